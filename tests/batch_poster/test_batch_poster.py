"""The batch poster against a real anvil: planned batches signed by 3 of 4 validators land as
blobs or calldata; a restart between send and confirmation leaves no gap and no duplicate; an
own transaction mined but not yet confirmed (even mid-step) is waited for, not sent again; a
stuck transaction is replaced with higher fees; a reorged-out batch is posted again; a backup
sequencer takes over from a silent producer."""

from __future__ import annotations

import asyncio

import pytest
from hexbytes import HexBytes

from ordo.batcher.batch_header import DataKind
from ordo.batcher.batch_poster import BatchConflict, PostStatus
from tests.batch_poster.poster_setup import (
    BATCH_BLOCKS,
    BlockAfterHeadClient,
    accepted_events,
    automine_off,
    mine,
    mining,
    ready_batch,
    rpc,
    running_poster,
)
from tests.l1_inbox.rollup_setup import RollupSetup

TIMEOUT = 30.0


async def test_posts_planned_batches_as_blobs_then_calldata(rollup: RollupSetup) -> None:
    first, second = ready_batch(rollup, 0, signers=(0, 1, 3)), ready_batch(rollup, 1)
    async with running_poster(rollup, confirmations=3) as poster:
        start = await poster.start()
        assert (start.next_index, start.last_block, start.last_header_hash) == (0, 0, None)
        async with mining(rollup.chain):
            await poster.post(first, timeout=TIMEOUT)
    async with running_poster(rollup, prefer_blobs=False) as calldata_poster:
        await calldata_poster.post(second, timeout=TIMEOUT)
        position = await calldata_poster.position()
    zero, one = accepted_events(rollup)
    assert (zero["index"], zero["data_kind"], zero["first_block"], zero["last_block"]) == \
        (0, int(DataKind.BLOBS), 1, BATCH_BLOCKS)
    assert zero["blob_hashes"] == list(first.sidecar.versioned_hashes)
    assert zero["header_hash"] == rollup.digest(first.variants[0].header)
    assert (one["index"], one["data_kind"], one["first_block"]) == \
        (1, int(DataKind.CALLDATA), BATCH_BLOCKS + 1)
    assert (position.next_index, position.last_block) == (2, 2 * BATCH_BLOCKS)
    assert position.last_header_hash == one["header_hash"]
    assert rollup.owed(0) > 0  # producers were credited


async def test_restart_between_send_and_confirmation_leaves_no_gap_or_duplicate(
        rollup: RollupSetup) -> None:
    first, second, third = (ready_batch(rollup, index) for index in range(3))
    nonce_before = rollup.chain.w3.eth.get_transaction_count(rollup.poster.address)
    with automine_off(rollup.chain):
        async with running_poster(rollup) as crashed:
            await crashed.start()
            assert await crashed.step(first) is PostStatus.PENDING  # sent, never mined
        async with running_poster(rollup, confirmations=2) as restarted:
            position = await restarted.start()
            assert position.next_index == 0  # the first poster's transaction is not mined
            # it cannot know the crashed poster's transaction: it sends its own
            assert await restarted.step(first) is PostStatus.PENDING
            async with mining(rollup.chain):
                await restarted.post(first, timeout=TIMEOUT)
                position = await restarted.position()
                assert (position.next_index, position.last_block) == (1, BATCH_BLOCKS)
                await restarted.post(second, timeout=TIMEOUT)
            # mined but not yet confirmed, its own transaction was waited for, not sent again
            assert (len(restarted.sent_hashes(0)), len(restarted.sent_hashes(1))) == (1, 1)
        # crash again after batch 2's transaction was mined, before it was confirmed
        async with running_poster(rollup, confirmations=3) as crashed_again:
            assert await crashed_again.step(third) is PostStatus.PENDING
            mine(rollup.chain)
        async with running_poster(rollup, confirmations=3) as resumed:
            assert (await resumed.start()).next_index == 2  # not confirmed yet
            assert await resumed.step(third) is PostStatus.PENDING  # accepted at the head
            async with mining(rollup.chain):
                await resumed.post(third, timeout=TIMEOUT)
            assert resumed.sent_hashes(2) == ()  # nothing sent twice
    assert [event["index"] for event in accepted_events(rollup)] == [0, 1, 2]
    # both posts of batch 0 were mined: the second one was the inbox's no-op
    assert rollup.chain.w3.eth.get_transaction_count(rollup.poster.address) == nonce_before + 4
    assert rollup.inbox.functions.next_index().call() == 3


async def test_an_own_transaction_mined_mid_step_is_not_sent_again(
        rollup: RollupSetup) -> None:
    batch = ready_batch(rollup, 0)
    nonce_before = rollup.chain.w3.eth.get_transaction_count(rollup.poster.address)
    with automine_off(rollup.chain):
        async with running_poster(rollup, client_type=BlockAfterHeadClient,
                                  confirmations=3) as poster:
            assert await poster.step(batch) is PostStatus.PENDING
            # this step's head is the block before the one mining the transaction: the inbox
            # at its head does not hold the batch, yet the account's nonce moved past it
            assert await poster.step(batch) is PostStatus.PENDING
            assert rollup.inbox.functions.next_index().call() == 1
            await poster.post(batch, timeout=TIMEOUT)  # every step mines: it confirms
            assert len(poster.sent_hashes(0)) == 1
    assert len(accepted_events(rollup)) == 1
    assert rollup.chain.w3.eth.get_transaction_count(rollup.poster.address) == nonce_before + 1


async def test_a_stuck_transaction_is_replaced_with_higher_fees(rollup: RollupSetup) -> None:
    batch = ready_batch(rollup, 0)
    chain = rollup.chain
    with automine_off(chain):
        async with running_poster(rollup, bump_after=0.3) as poster:
            assert await poster.step(batch) is PostStatus.PENDING
            (first,) = poster.sent_hashes(0)
            await asyncio.sleep(0.35)  # nothing mined it for bump_after seconds
            assert await poster.step(batch) is PostStatus.PENDING
            assert poster.sent_hashes(0)[0] == first and len(poster.sent_hashes(0)) == 2
            bumped = chain.w3.eth.get_transaction(HexBytes(poster.sent_hashes(0)[1]))
            original_fee = int(bumped["maxFeePerGas"]) * 8 // 9
            assert int(bumped["maxPriorityFeePerGas"]) >= 1
            assert bumped["nonce"] == chain.w3.eth.get_transaction_count(rollup.poster.address)
            # the L1's base fee jumps past what it offers: anvil drops it from its pool
            rpc(chain, "anvil_setNextBlockBaseFeePerGas", hex(int(bumped["maxFeePerGas"]) * 10))
            mine(chain)
            assert rpc(chain, "eth_getTransactionByHash", "0x" + bytes(bumped["hash"]).hex()) \
                is None
            assert await poster.step(batch) is PostStatus.PENDING
            assert len(poster.sent_hashes(0)) == 3
            mine(chain)
            await poster.post(batch, timeout=TIMEOUT)
    (event,) = accepted_events(rollup)
    assert event["transactionHash"] == poster.sent_hashes(0)[2]
    landed = chain.w3.eth.get_transaction(HexBytes(poster.sent_hashes(0)[2]))
    assert landed["nonce"] == bumped["nonce"]
    assert int(landed["maxFeePerGas"]) > int(bumped["maxFeePerGas"]) * 10 > original_fee


async def test_a_nonce_hole_below_a_waiting_batch_is_filled(rollup: RollupSetup) -> None:
    """A transaction of the poster's account below its batch's nonce that nothing sends again
    (a reorg took it out: a forgotten record, or the epoch keeper's, which signs with the same
    key) holds the batch for ever; after bump_after the poster sends the batch at the hole."""
    batch = ready_batch(rollup, 0)
    chain = rollup.chain
    hole = chain.w3.eth.get_transaction_count(rollup.poster.address)
    async with running_poster(rollup, bump_after=0.3) as poster:
        await poster.start()
        poster._next_nonce = hole + 1  # as if nonce `hole` had been sent and then lost
        assert await poster.step(batch) is PostStatus.PENDING
        assert chain.w3.eth.get_transaction_count(rollup.poster.address) == hole, "it waits"
        await asyncio.sleep(0.35)
        async with mining(chain):
            await poster.post(batch, timeout=TIMEOUT)
        assert poster.gaps_filled == 1
    mine(chain)
    (event,) = accepted_events(rollup)
    landed = chain.w3.eth.get_transaction(HexBytes(event["transactionHash"]))
    assert landed["nonce"] == hole
    assert chain.w3.eth.get_transaction_count(rollup.poster.address) == hole + 2, \
        "the copy above the hole was mined too, as the inbox's no-op"


async def test_a_reorged_out_batch_is_posted_again(rollup: RollupSetup) -> None:
    batch = ready_batch(rollup, 0)
    chain = rollup.chain
    snapshot = rpc(chain, "evm_snapshot")
    async with running_poster(rollup, confirmations=2) as poster:
        async with mining(chain):
            await poster.post(batch, timeout=TIMEOUT)
        (landed,) = accepted_events(rollup)
        assert rpc(chain, "evm_revert", snapshot) is True
        assert rollup.inbox.functions.next_index().call() == 0
        async with mining(chain):
            await poster.post(batch, timeout=TIMEOUT)
        assert poster.sent_hashes(0) == (landed["transactionHash"],)  # the same bytes again
    (again,) = accepted_events(rollup)
    assert again["header_hash"] == landed["header_hash"]
    assert rollup.inbox.functions.next_index().call() == 1


async def test_a_backup_takes_over_from_a_silent_producer_and_waits_for_a_live_one(
        rollup: RollupSetup) -> None:
    backup_account = rollup.chain.accounts[6]
    first, second = ready_batch(rollup, 0), ready_batch(rollup, 1)
    async with running_poster(rollup, backup_account) as backup:
        await backup.post(first, delay=0.5, timeout=TIMEOUT)  # the producer never posts
        assert len(backup.sent_hashes(0)) == 1
        async with running_poster(rollup) as producer:
            await producer.post(second, delay=0.0, timeout=TIMEOUT)
        await backup.post(second, delay=60.0, timeout=TIMEOUT)  # already landed: no send
        assert backup.sent_hashes(1) == ()
    zero, one = accepted_events(rollup)
    assert zero["submitter"] == backup_account.address
    assert one["submitter"] == rollup.poster.address


async def test_a_conflicting_accepted_header_is_reported(rollup: RollupSetup) -> None:
    ours = ready_batch(rollup, 0)
    other = rollup.header(0, 1, BATCH_BLOCKS)  # another header for the same index
    rollup.submit(other)
    async with running_poster(rollup) as poster:
        with pytest.raises(BatchConflict, match="batch 0 was accepted with header"):
            await poster.post(ours, timeout=TIMEOUT)
