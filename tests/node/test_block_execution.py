"""Validation and commit alone (node/block_execution.py) on real chains: a proposal is judged
once and committed without running it again; bad proposals are refused with their reason and
counted; a decided block never seen is executed at commit; a decision not at head + 1 is
refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ordo.chain.chain import Chain
from ordo.consensus import Commit, CommitCertificate, LocalSigner, ProposedValue
from ordo.core.block_codec import encode_block
from ordo.core.genesis import GenesisValidator, devnet_genesis
from ordo.execution.engine import BlockEnvironment
from ordo.node.block_execution import BlockExecution
from ordo.node.l1_block_inputs import L1BlockInputs
from ordo.storage.chain_store import ChainStore

OURS = LocalSigner(bytes(range(1, 33))).address
GENESIS = devnet_genesis(validators=(GenesisValidator(OURS, 1),))


class Side:
    """One node's chain and its BlockExecution, counting what it found invalid."""

    def __init__(self, path: Path) -> None:
        self.store = ChainStore(path)
        self.chain = Chain(self.store, GENESIS)
        self.invalid = 0

        def count() -> None:
            self.invalid += 1

        self.execution = BlockExecution(self.chain, L1BlockInputs(None, 0, False), 5, count,
                                        clock=lambda: 1_900_000_000.0)

    def proposal(self, extra: bytes = OURS) -> ProposedValue:
        parent = self.chain.head_header()
        env = BlockEnvironment(coinbase=bytes(20), timestamp=1_900_000_000,
                               gas_limit=int(parent.gas_limit), extra_data=extra)
        block = self.chain.engine.build_block(parent, [], env).executed.block
        return ProposedValue(block.number, bytes(parent.hash), block.hash, OURS,
                             encode_block(block))


@pytest.fixture
def sides(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    producer, validator = Side(tmp_path / "a"), Side(tmp_path / "b")
    yield producer, validator
    producer.store.close()
    validator.store.close()


def commit_of(value: ProposedValue) -> Commit:
    return Commit(value.height, value, CommitCertificate(value.height, 0, value.block_hash, ()))


async def test_a_valid_proposal_is_judged_once_and_committed_as_executed(
        sides: tuple[Side, Side], monkeypatch: pytest.MonkeyPatch) -> None:
    producer, validator = sides
    value = producer.proposal()
    assert await validator.execution.validate(value)
    runs = []
    engine = validator.chain.engine
    monkeypatch.setattr(engine, "execute_block",
                        lambda *args: runs.append(args) or pytest.fail("executed again"))
    assert await validator.execution.validate(value)  # remembered: not executed again
    stored = await validator.execution.commit(commit_of(value))
    assert stored is not None and runs == []
    assert validator.chain.head_number() == 1
    assert bytes(validator.chain.head_header().hash) == value.block_hash
    assert validator.store.get_certificate(1) == stored[1]
    assert validator.invalid == 0


async def test_invalid_proposals_are_refused_and_counted(sides: tuple[Side, Side]) -> None:
    producer, validator = sides
    value = producer.proposal()
    assert not await validator.execution.validate(replace(value, payload=b"\xc0junk"))
    wrong_builder = producer.proposal(extra=b"\x44" * 20)  # names another builder than OURS
    assert not await validator.execution.validate(wrong_builder)
    assert validator.invalid == 2
    assert validator.chain.head_number() == 0


async def test_a_decided_block_never_seen_is_executed_at_commit(sides: tuple[Side, Side]) -> None:
    producer, validator = sides
    value = producer.proposal()
    assert await validator.execution.commit(commit_of(value)) is not None
    assert bytes(validator.chain.head_header().hash) == value.block_hash
    # a decision that is not at head + 1 is refused, nothing stored
    assert await validator.execution.commit(commit_of(value)) is None
    assert validator.chain.head_number() == 1
