"""The full loop: a 4-validator network anchored to a ticking L1 posts its final blocks to the
inbox itself under transfer load; a separate ``python -m ordo.derivation`` process that reads
only the L1 rebuilds every posted block and finds it byte for byte equal (hash, state root, raw
transactions) to a node's. On anvil the batches travel in blobs, on the embedded dev L1 (no
type-3 transactions) in calldata."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ordo.batcher.batch_header import DataKind
from tests.l1_network.derivation_process import derive_from_l1
from tests.l1_network.inbox_record import accepted_batches, inbox_problems, wait_for_batches
from tests.l1_network.l1_cluster import l1_cluster, ticking_l1  # noqa: F401 (fixture)
from tests.l1_network.transfer_load import TransferLoad

BATCHES = 3
TIMEOUT = 90.0


async def test_a_separate_process_rebuilds_every_posted_block_from_l1(
        tmp_path: Path, ticking_l1: str, request: pytest.FixtureRequest) -> None:  # noqa: F811
    started = time.monotonic()
    async with l1_cluster(tmp_path, ticking_l1) as net:
        cluster, inbox = net.cluster, net.rollup.inbox
        async with TransferLoad(cluster) as load:
            await wait_for_batches(net.client, inbox, BATCHES, TIMEOUT)
        batches = await accepted_batches(net.client, inbox, cluster.chain_id)
        assert len(batches) >= BATCHES and not inbox_problems(batches), inbox_problems(batches)
        posted_through = batches[-1].last_block
        kinds = {batch.data_kind for batch in batches}
        on_anvil = request.node.callspec.params["ticking_l1"] == "anvil"
        assert kinds == ({DataKind.BLOBS} if on_anvil else {DataKind.CALLDATA})
        loaded_at = time.monotonic()

        follower = cluster.nodes[4]
        status, summary = await derive_from_l1(ticking_l1, inbox, tmp_path / "genesis.json",
                                               tmp_path / "derived", follower.url)

        assert status == 0 and summary["ok"], summary
        assert summary["mismatches"] == [] and summary["invalid_batch"] is None
        assert summary["l1"]["origins_checked"]
        assert summary["batches"] >= len(batches)
        assert summary["blocks"] >= posted_through
        assert summary["compared_blocks"] == summary["blocks"]
        assert summary["head"]["number"] == summary["blocks"]
        node_block = await follower.call("eth_getBlockByNumber", hex(summary["head"]["number"]),
                                         False)
        assert summary["head"]["hash"] == node_block["hash"]
        carried = 0
        for number in range(1, posted_through + 1):
            block = await follower.call("eth_getBlockByNumber", hex(number), False)
            carried += len(block["transactions"])
        assert carried > 0 and summary["transactions"] >= carried
        print(f"\nfull loop: {len(batches)} batches ({sorted(k.name for k in kinds)}) through "
              f"block {posted_through}, {carried} transfers ({load.sent} sent); derived "
              f"{summary['blocks']} blocks in {summary['seconds']} s; network "
              f"{loaded_at - started:.1f} s, total {time.monotonic() - started:.1f} s")
