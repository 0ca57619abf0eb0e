"""Derivation and a returning node's adoption after a lost dispute, on anvil: a signed batch
with a wrong output root is refused, the inbox removes it with every batch after it (called by
the address it names as its dispute game, as the DisputeGame does when the root loses), the
honest batches are accepted at the same indexes, and derivation goes on from there; adoption
never takes a removed batch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ordo.derivation.derivation_run import run_derivation
from ordo.derivation.l1_batches import L1BatchReader
from ordo.derivation.removed_batches import RemovedBatches
from ordo.l1.client import L1Client
from ordo.node.l1_chain_adoption import _accepted_batches
from ordo.storage.chain_store import ChainStore
from tests.derivation.command_runs import l1_url
from tests.derivation.l2_chain_maker import L2ChainMaker, batch_block_of
from tests.derivation.rollup_posting import BatchEnd, post_calldata_batch
from tests.derivation.test_l1_derivation import end_of, made, options  # noqa: F401
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_inbox.rollup_setup import RollupSetup, deploy_rollup_setup

GAME = 8
"""The dev account the inbox names as its dispute game: it removes batches as the game would."""


@pytest.fixture
def rollup(chain: AnvilChain) -> RollupSetup:
    return deploy_rollup_setup(chain, disputes=chain.accounts[GAME].address)


def remove(rollup: RollupSetup, receipt: dict[str, object]) -> None:
    accepted = rollup.accepted(receipt)[0]  # type: ignore[arg-type]
    rollup.chain.send(rollup.inbox.functions.remove_batches(accepted["index"],
                                                            accepted["header_hash"]),
                      rollup.chain.accounts[GAME])


def test_derivation_goes_on_after_a_wrong_root_is_removed(
        rollup: RollupSetup, made: L2ChainMaker, tmp_path: Path) -> None:  # noqa: F811
    posted = [batch_block_of(block) for block in made.blocks]
    post_calldata_batch(rollup, 0, posted[0:4], end_of(made, 4))
    wrong = post_calldata_batch(rollup, 1, posted[4:8],
                                BatchEnd(made.blocks[7].hash, b"\x66" * 32))
    post_calldata_batch(rollup, 2, posted[8:12], end_of(made, 12))

    summary = asyncio.run(run_derivation(options(rollup, made, tmp_path / "derived")))
    assert summary.invalid_batch is not None and summary.invalid_batch["index"] == 1
    assert summary.blocks == 4 and not summary.ok  # stops at the wrong root

    remove(rollup, wrong)  # batches 1 and 2 go
    assert rollup.inbox.functions.next_index().call() == 1
    post_calldata_batch(rollup, 1, posted[4:10], end_of(made, 10))  # re-cut: 5..10, 11..14
    post_calldata_batch(rollup, 2, posted[10:14], end_of(made, 14))

    summary = asyncio.run(run_derivation(options(rollup, made, tmp_path / "again")))
    assert summary.ok, summary.to_json()
    assert summary.blocks == 14 and summary.head_hash == made.blocks[13].hash
    assert [(entry["index"], entry["count"]) for entry in summary.removed] == [(1, 2)]
    refused = summary.removed[0]["refused"]
    assert refused is not None and refused["index"] == 1
    # The run that stopped at the wrong root resumes on the same data directory.
    resumed = asyncio.run(run_derivation(options(rollup, made, tmp_path / "derived")))
    assert resumed.ok and resumed.blocks == 10
    with ChainStore(tmp_path / "derived") as store:
        assert store.head_number() == 14

    async def standing() -> list[int]:
        async with L1Client(l1_url(rollup)) as client:
            reader = L1BatchReader(client, rollup.inbox_address, made.genesis.chain_id)
            events = await reader.events_between(0, await client.block_number())
            assert [type(event) is RemovedBatches for event in events].count(True) == 1
            return [batch.last_block for batch in await _accepted_batches(reader, 0, 1)]

    assert asyncio.run(standing()) == [4, 10, 14], "adoption never sees the removed batches"
