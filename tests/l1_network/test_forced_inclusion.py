"""Censorship resistance on a live L1 network: every sequencer refuses a user's transactions
(the harness runs each real node with a censoring pool, tests/l1_network/censoring_mempool.py;
the node itself has no such switch), yet what the user enqueues on L1 lands on L2 before its
deadline: a forced transaction executes, a deposit mints L2 ether, and an invalid forced
transaction passes as a no-op without stopping the queue."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.core.block_extra import decode_anchored_extra
from ordo.core.genesis import dev_private_keys
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import DEFAULT_FORCED_FEE, inbox_at, queue_at
from tests.cluster.cluster_harness import ClusterNode
from tests.l1_network.censoring_mempool import CENSORED_MESSAGE, censoring
from tests.l1_network.l1_cluster import (
    L1Cluster,
    l1_cluster,
    ticking_l1,  # noqa: F401 (fixture)
)

TIMEOUT = 90.0
GWEI = 10**9
DEPOSIT = 10**18


def signed_transfer(key: bytes, nonce: int, to: str, value: int) -> tuple[str, str]:
    """(raw transaction, its hash), both 0x-hex."""
    transaction = {"type": 2, "chainId": 77077, "nonce": nonce, "to": to, "value": value,
                   "gas": 21_000, "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": GWEI}
    signed = Account.sign_transaction(transaction, key)
    return "0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex()


async def enqueue(net: L1Cluster, user: LocalAccount, function: str, *arguments: Any,
                  value: int) -> None:
    queue = queue_at(net.client, net.rollup.queue)
    sent = await queue.transact(user, function, *arguments, value=value)
    receipt = await net.client.wait_for_receipt(sent.tx_hash)
    assert receipt.succeeded


async def eventually(check: Any, what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        result = await check()
        if result:
            return result
        assert loop.time() < deadline, f"{what} within {TIMEOUT} s"
        await asyncio.sleep(0.3)


async def test_forced_items_land_although_every_sequencer_censors(
        tmp_path: Path, ticking_l1: str) -> None:  # noqa: F811
    user_key = dev_private_keys(9)[8]
    user = Account.from_key(user_key).address
    async with l1_cluster(tmp_path, ticking_l1, make_mempool=censoring([user])) as net:
        node: ClusterNode = net.cluster.nodes[0]
        recipient = to_checksum_address("0x" + "ab" * 20)
        depositee = to_checksum_address("0x" + "cd" * 20)
        raw, forced_hash = signed_transfer(user_key, 0, recipient, 12345)
        refused = await node.request("eth_sendRawTransaction", raw)
        assert refused["error"]["message"] == CENSORED_MESSAGE

        l1_user = LocalAccount(net.client, user_key)
        enqueued_at = await net.client.block_number()
        await enqueue(net, l1_user, "enqueue_transaction", bytes.fromhex(raw[2:]),
                      value=DEFAULT_FORCED_FEE)
        bad, bad_hash = signed_transfer(user_key, 7, recipient, 1)  # nonce 7: cannot execute
        await enqueue(net, l1_user, "enqueue_transaction", bytes.fromhex(bad[2:]),
                      value=DEFAULT_FORCED_FEE)
        await enqueue(net, l1_user, "deposit", bytes.fromhex(depositee[2:]),
                      value=DEPOSIT + DEFAULT_FORCED_FEE)

        async def forced_receipt() -> Any:
            return await node.call("eth_getTransactionReceipt", forced_hash)
        receipt = await eventually(forced_receipt, "the forced transaction was not included")
        assert receipt["status"] == "0x1"
        assert int(await node.call("eth_getBalance", recipient, "latest"), 16) == 12345

        async def deposited() -> bool:
            return int(await node.call("eth_getBalance", depositee, "latest"), 16) == DEPOSIT
        await eventually(deposited, "the deposit was not minted on L2")

        # Included in queue order, within the deadline, and the bad one consumed as a no-op.
        block = await node.call("eth_getBlockByNumber", receipt["blockNumber"], False)
        extra = decode_anchored_extra(bytes.fromhex(block["extraData"][2:]))
        assert extra is not None and extra.forced_through >= 1
        deadline = int(await queue_at(net.client, net.rollup.queue).call("deadline_of", 0))
        assert enqueued_at <= extra.origin_number <= deadline
        assert block["transactions"][0] == forced_hash
        assert await node.call("eth_getTransactionReceipt", bad_hash) is None
        head = await node.call("eth_getBlockByNumber", "latest", False)
        head_extra = decode_anchored_extra(bytes.fromhex(head["extraData"][2:]))
        assert head_extra is not None and head_extra.forced_through == 3

        # The inbox accepts batches that account for all three items.
        inbox = inbox_at(net.client, net.rollup.inbox)

        async def accounted() -> bool:
            return int(await inbox.call("forced_through")) == 3
        await eventually(accounted, "no batch accounted for the forced items")
