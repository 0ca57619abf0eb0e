"""The recovery record in the store: written only once this node signed something at the
height, read back as written, and an unreadable record is dropped instead of stopping start."""

from __future__ import annotations

import asyncio

from ordo.consensus import BlockValidated, ProposalReceived, step
from ordo.node.recovery_codec import RECOVERY_META_KEY
from ordo.node.recovery_journal import load_recovery, save_recovery
from tests.consensus.committee import Committee

COMMITTEE = Committee((1, 1, 1, 1))


class MemoryMeta(dict[str, bytes]):
    def get_meta(self, key: str) -> bytes | None:
        return self.get(key)

    def put_meta(self, key: str, value: bytes) -> None:
        self[key] = value


def test_nothing_signed_writes_nothing_and_a_prevote_is_kept() -> None:
    store = MemoryMeta()
    voter = COMMITTEE.non_proposer()
    state, _ = COMMITTEE.started(voter)
    asyncio.run(save_recovery(store, state))
    assert store == {} and load_recovery(store) is None

    proposer = COMMITTEE.proposer_index(state, 0)
    value = COMMITTEE.value_by(proposer)
    state, _ = step(state, ProposalReceived(COMMITTEE.proposal(proposer, value)))
    state, _ = step(state, BlockValidated(value.block_hash, True))
    asyncio.run(save_recovery(store, state))
    record = load_recovery(store)
    assert record is not None and record.height == 1
    assert [vote.validator for vote in record.own_votes] == [COMMITTEE.signers[voter].address]


def test_an_unreadable_record_is_dropped() -> None:
    store = MemoryMeta({RECOVERY_META_KEY: b"\xc3not a record"})
    assert load_recovery(store) is None
