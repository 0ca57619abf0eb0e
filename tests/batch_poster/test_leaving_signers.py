"""The node's batcher leaves out the signature of a sequencer whose stake could be withdrawn
before a batch's window and longest dispute end (the inbox refuses a batch it signs:
docs/settlement.md), against a real pool and inbox on anvil: the batch lands without it, and a
batch that has a quorum only with it waits for other signers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from ordo.batcher.batch_attestations import stake_leaving_signers
from ordo.batcher.batch_header import DataKind
from ordo.batcher.batch_poster import PostStatus
from ordo.l1.client import L1Client
from ordo.node.batcher_service import BatcherService
from tests.batch_poster.poster_setup import (
    endpoint,
    l2_chain_id,
    mining,
    running_poster,
    signed_plan,
)
from tests.l1_inbox.rollup_setup import STAKES, RollupSetup

TIMEOUT = 30.0


def batcher(rollup: RollupSetup, client: L1Client) -> BatcherService:
    """The service's posting half only: no store, planner or gossip is used here."""
    return BatcherService(None, client, rollup.inbox_address,  # type: ignore[arg-type]
                          l2_chain_id(rollup), rollup.keys[0].private_key, 40,
                          lambda _epoch: None, lambda: None, lambda _payload: None, 1,
                          lambda _header: bytes(32))


def plant(service: BatcherService, rollup: RollupSetup, signers: tuple[int, ...]) -> None:
    planned, collectors = signed_plan(rollup.keys, STAKES, rollup.epoch, l2_chain_id(rollup),
                                      rollup.inbox_address, 0, signers)
    service._planned[0], service._collectors[0] = planned, collectors


def unlock(rollup: RollupSetup, key_index: int) -> None:
    pools = rollup.pools
    rollup.chain.send(pools.pool.functions.unlock(), pools.account(key_index + 1))


def test_the_rule_counts_the_window_the_longest_dispute_and_the_margin() -> None:
    locked = {b"\x01" * 20: 2**256 - 1, b"\x02" * 20: 1_000 + 30 + 20 + 120,
              b"\x03" * 20: 1_000 + 30 + 20 + 121, b"\x04" * 20: 0}
    assert stake_leaving_signers(locked, 1_000, 30, 20, 120) == {b"\x02" * 20, b"\x04" * 20}


async def test_an_exiting_signer_is_left_out_and_the_batch_lands(rollup: RollupSetup) -> None:
    async with L1Client(endpoint(rollup.chain)) as client:
        service = batcher(rollup, client)
        plant(service, rollup, (0, 1, 2, 3))
        assert await service._stake_leaving(0) == frozenset(), "every stake is active"
        unlock(rollup, 3)  # 20k of 120k: the other three still carry 100k > 80k
        service._locks = None  # read the pool again now, not LOOK_AGAIN_S later
        assert await service._stake_leaving(0) == frozenset(), \
            "early in the exit (100 s) its stake stays past window 30 s + dispute 20 s"
        # Later in the exit, the inbox refuses the batch with signer 3's signature.
        rollup.chain.increase_time(60)
        rollup.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        service._locks = None
        leaving = await service._stake_leaving(0)
        assert leaving == {rollup.keys[3].address}
        ready = service._ready(0, leaving)
        assert ready is not None
        batch = ready[1]
        assert all(len(variant.signatures) == 3 for variant in batch.variants)
        everyone = service._ready(0)
        assert everyone is not None
        full = everyone[1].variant(DataKind.CALLDATA)
        assert full is not None and len(full.signatures) == 4
    # the inbox refuses the batch with signer 3's signature; without it, the batch lands.
    assert rollup.refusal(full.header, full.signatures, everyone[1].payload) == (
        "RollupInbox: a signer's stake could be withdrawn before this batch's window and "
        "longest dispute are over (it unlocked too long ago)")
    async with running_poster(rollup) as poster, mining(rollup.chain):
        await poster.start()
        status: Any = None
        for _ in range(int(TIMEOUT / 0.1)):
            status = await poster.step(batch)
            if status is PostStatus.LANDED:
                break
            await asyncio.sleep(0.1)
        assert status is PostStatus.LANDED
        assert (await poster.position()).next_index == 1


async def test_a_quorum_only_with_an_exiting_signer_waits(rollup: RollupSetup,
                                                          caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    async with L1Client(endpoint(rollup.chain)) as client:
        service = batcher(rollup, client)
        plant(service, rollup, (0, 1, 3))  # 100k with signer 3, 80k (not > 2/3) without
        unlock(rollup, 3)
        rollup.chain.increase_time(60)
        rollup.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        leaving = await service._stake_leaving(0)
        assert leaving == {rollup.keys[3].address}
        assert service._ready(0) is not None and service._ready(0, leaving) is None
        with caplog.at_level(logging.WARNING, "ordo.node.batcher_service"):
            service._note_leaving(0, leaving)
            service._note_leaving(0, leaving)
        assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
        assert "waiting for other signers" in caplog.records[0].getMessage()
