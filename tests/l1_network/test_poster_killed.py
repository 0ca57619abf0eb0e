"""The sequencer that posts is stopped the moment its batch transaction reaches the L1, before
the batch is confirmed and while the next batches gather signatures; under continued load the
others carry on posting (the next producer, or a takeover after ``takeover_after``, 20 s and not
configurable through the node) and the inbox stays gapless. Restarted, the node reads the
inbox's position and resumes without posting anything twice.

On anvil only: the full loop on both L1s is test_full_loop_derivation's job, and a second run
would cost another minute of CI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ordo.derivation.inbox_batches import AcceptedBatch
from tests.cluster.cluster_harness import ClusterNode
from tests.l1_network.inbox_record import (
    accepted_batches,
    inbox_problems,
    inbox_transactions,
    wait_for_batches,
)
from tests.l1_network.l1_cluster import (
    L1Cluster,
    l1_cluster,
    ticking_l1,  # noqa: F401 (fixture)
)
from tests.l1_network.transfer_load import TransferLoad

TIMEOUT = 90.0
BATCHES_AFTER_KILL = 1
"""Landed by the others while the node is down; it may wait for a takeover (20 s) when the
stopped node is the producer as its posting starts (each more costs up to 20 s of CI)."""
BATCHES_AFTER_RESTART = 2
CATCH_UP_S = 15.0
"""How long the restarted node's batcher may take to see a batch the inbox already confirmed
(its poster polls the confirmed block every second)."""


async def poster_caught_sending(net: L1Cluster) -> tuple[ClusterNode, AcceptedBatch]:
    """The node whose batch transaction the inbox just accepted at the L1 head, caught before
    its poster saw the batch confirmed (so it is mid-batch), and that batch."""
    by_signer = {signer.address: node for signer, node in zip(net.signers, net.cluster.nodes,
                                                                strict=True)}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while loop.time() < deadline:
        batches = await accepted_batches(net.client, net.rollup.inbox, net.cluster.chain_id)
        if batches:
            poster = by_signer[batches[-1].submitter]
            recorded = (await poster.call("ordo_status"))["l1"]["batcher"]["lastBatchIndex"]
            if recorded is None or recorded < batches[-1].index:
                return poster, batches[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"never caught a poster before its batch was confirmed ({TIMEOUT} s)")


async def landing_gaps(net: L1Cluster, after: int, count: int) -> list[float]:
    """Seconds between consecutive new batches at the L1 head (from now) until ``count``
    batches after index ``after`` landed."""
    loop = asyncio.get_running_loop()
    started = last = loop.time()
    seen, gaps = after, []
    while seen < after + count:
        assert loop.time() - started < TIMEOUT, \
            f"only {seen - after} of {count} batches landed in {TIMEOUT} s after the stop"
        now_seen = await wait_for_batches(net.client, net.rollup.inbox, seen + 2, TIMEOUT) - 1
        gaps.append(loop.time() - last)
        last, seen = loop.time(), now_seen
    return gaps


async def batcher_past(node: ClusterNode, index: int) -> None:
    """Until the restarted node's batcher has read the inbox again and seen batch ``index`` or
    a later one land."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CATCH_UP_S
    while True:
        batcher = (await node.call("ordo_status"))["l1"]["batcher"]
        if batcher["lastBatchIndex"] is not None and batcher["lastBatchIndex"] >= index:
            return
        if loop.time() > deadline:
            raise AssertionError(f"node {node.index}'s batcher never saw batch {index} land: "
                                 f"{batcher}")
        await asyncio.sleep(0.25)


@pytest.mark.parametrize("ticking_l1", ["anvil"], indirect=True)
async def test_killing_the_posting_sequencer_leaves_the_inbox_gapless(
        tmp_path: Path, ticking_l1: str) -> None:  # noqa: F811
    clock = asyncio.get_running_loop().time
    started = clock()
    async with l1_cluster(tmp_path, ticking_l1) as net:
        cluster, client, inbox = net.cluster, net.client, net.rollup.inbox
        async with TransferLoad(cluster):
            await wait_for_batches(client, inbox, 2, TIMEOUT)
            poster, sent = await poster_caught_sending(net)
            await poster.stop()
            stopped_at = clock()
            producer = (await cluster.nodes[4].call("ordo_status"))["producer"]
            killed = net.signers[poster.index].address

            gaps = await landing_gaps(net, sent.index, BATCHES_AFTER_KILL)
            after_kill = [batch for batch in await accepted_batches(client, inbox,
                                                                    cluster.chain_id)
                          if batch.index > sent.index]
            assert after_kill and all(batch.submitter != killed for batch in after_kill)
            resumed = after_kill[-1].index

            await poster.start()
            restarted_at = clock()
            restarted_l1_block = await client.block_number()
            await wait_for_batches(client, inbox, resumed + 1 + BATCHES_AFTER_RESTART, TIMEOUT)
            after_restart = clock() - restarted_at
            head = await client.block_number()
            batches = await accepted_batches(client, inbox, cluster.chain_id)
            assert not inbox_problems(batches), inbox_problems(batches)
            sent_to_inbox = await inbox_transactions(client, inbox, 0, head)
            refused = ["0x" + sender.hex() for sender, succeeded in sent_to_inbox
                       if not succeeded]
            assert refused == [], f"inbox transactions reverted, sent by {refused}"
            restarted_sends = [sender for sender, _ in await inbox_transactions(
                client, inbox, restarted_l1_block, head) if sender == killed]
            print(f"\nstopped node {poster.index} (producer after: {producer}) right after it "
                  f"sent batch {sent.index} (blocks {sent.first_block}-{sent.last_block}); "
                  f"the next {BATCHES_AFTER_KILL} landed after "
                  f"{', '.join(f'{gap:.1f}' for gap in gaps)} s; {len(batches)} batches through "
                  f"block {batches[-1].last_block}, {len(sent_to_inbox)} inbox transactions; "
                  f"the restarted node sent {len(restarted_sends)}; stopped at "
                  f"{stopped_at - started:.1f} s, restarted at {restarted_at - started:.1f} s, "
                  f"{BATCHES_AFTER_RESTART} more batches {after_restart:.1f} s later")
            await batcher_past(poster, batches[-1].index)
