"""Forced items through the whole loop: a deposit and a forced transaction enqueued on anvil land
on L2, the network posts batches accounting for them, and a separate ``python -m
ordo.derivation`` process reading only L1 (the queue named by the genesis) rebuilds every posted
block, the forced ones included, byte for byte against a node."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from eth_utils import to_checksum_address

from ordo.core.block_extra import decode_anchored_extra
from ordo.core.genesis import dev_private_keys
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import DEFAULT_FORCED_FEE, inbox_at
from tests.l1_network.derivation_process import derive_from_l1
from tests.l1_network.l1_cluster import (
    l1_cluster,
    ticking_l1,  # noqa: F401 (fixture)
)
from tests.l1_network.test_forced_inclusion import enqueue, eventually, signed_transfer
from tests.l1_network.transfer_load import TransferLoad

DEPOSIT = 10**18
FORCED_VALUE = 4242


@pytest.mark.parametrize("ticking_l1", ["anvil"], indirect=True)
async def test_derivation_rebuilds_blocks_that_took_forced_items(
        tmp_path: Path, ticking_l1: str) -> None:  # noqa: F811
    user_key = dev_private_keys(10)[4]  # not one of TransferLoad's senders
    started = time.monotonic()
    async with l1_cluster(tmp_path, ticking_l1) as net:
        up_at = time.monotonic()
        follower = net.cluster.nodes[4]
        recipient = to_checksum_address("0x" + "e1" * 20)
        depositee = to_checksum_address("0x" + "e2" * 20)
        raw, forced_hash = signed_transfer(user_key, 0, recipient, FORCED_VALUE)
        l1_user = LocalAccount(net.client, user_key)
        await enqueue(net, l1_user, "enqueue_transaction", bytes.fromhex(raw[2:]),
                      value=DEFAULT_FORCED_FEE)
        await enqueue(net, l1_user, "deposit", bytes.fromhex(depositee[2:]),
                      value=DEPOSIT + DEFAULT_FORCED_FEE)

        inbox = inbox_at(net.client, net.rollup.inbox)

        async def accounted() -> bool:
            return int(await inbox.call("forced_through")) == 2
        async with TransferLoad(net.cluster):  # blocks, so epochs and batches, come faster
            await eventually(accounted, "a batch accounting for both forced items")
        accounted_at = time.monotonic()

        async def forced_receipt() -> Any:
            return await follower.call("eth_getTransactionReceipt", forced_hash)
        receipt = await eventually(forced_receipt, "the forced transaction on the follower")
        forced_block = int(receipt["blockNumber"], 16)

        status, summary = await derive_from_l1(ticking_l1, net.rollup.inbox,
                                               tmp_path / "genesis.json", tmp_path / "derived",
                                               follower.url)

        assert status == 0 and summary["ok"], summary
        assert summary["mismatches"] == [] and summary["invalid_batch"] is None
        assert summary["l1"]["origins_checked"]
        assert summary["compared_blocks"] == summary["blocks"] >= forced_block
        head = await follower.call("eth_getBlockByNumber", hex(summary["head"]["number"]), False)
        extra = decode_anchored_extra(bytes.fromhex(head["extraData"][2:]))
        assert extra is not None and extra.forced_through == 2
        block = await follower.call("eth_getBlockByNumber", hex(forced_block), False)
        assert block["transactions"][0] == forced_hash
        assert int(await follower.call("eth_getBalance", depositee, "latest"), 16) == DEPOSIT
        print(f"\nforced derivation: cluster up {up_at - started:.1f} s, items accounted on L1 "
              f"after {accounted_at - up_at:.1f} s, derived {summary['blocks']} blocks in "
              f"{summary['seconds']} s; total {time.monotonic() - started:.1f} s")
