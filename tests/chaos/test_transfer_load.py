"""The load's client behaviour against a scripted node: unanswered sends are retried with the
same bytes, 'already known' counts as acknowledged, receipts are taken only for included nonces."""

from __future__ import annotations

import asyncio
from typing import Any

from eth_utils import keccak

from ordo.chaos.rpc_client import RpcClient, RpcError, RpcUnavailable
from ordo.chaos.transfer_load import TransferLoad
from ordo.core.genesis import dev_private_keys


class ScriptedNodes(RpcClient):
    """Every third send goes unanswered, every fifth is answered 'already known'."""

    def __init__(self) -> None:
        self.sends: list[str] = []
        self.included_nonces = 0
        self.receipts: dict[str, dict[str, str]] = {}
        self.raw_by_hash: dict[str, list[str]] = {}

    async def call(self, url: str, method: str, *params: Any) -> Any:
        if method == "eth_getTransactionCount":
            return hex(self.included_nonces)
        if method == "eth_sendRawTransaction":
            raw = params[0]
            self.sends.append(raw)
            number = len(self.sends)
            if number % 3 == 0:
                raise RpcUnavailable("connection refused")
            if number % 5 == 0:
                raise RpcError("already known", -32000)
            return _hash_of(raw)
        if method == "eth_getTransactionReceipt":
            return self.receipts.get(params[0])
        raise AssertionError(f"unexpected {method}")


def _hash_of(raw: str) -> str:
    return "0x" + keccak(bytes.fromhex(raw[2:])).hex()


async def test_retries_resend_identical_bytes_and_known_answers_acknowledge() -> None:
    nodes = ScriptedNodes()
    load = TransferLoad(nodes, ["http://a", "http://b"], lambda: [0, 1],
                        dev_private_keys(1), chain_id=77077, rate=200.0, seed=1)
    stop = asyncio.Event()
    task = asyncio.create_task(load.run(stop))
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.wait_for(task, 5)
    acknowledged = [tx for tx in load.transactions.values() if tx.acknowledged]
    assert len(acknowledged) >= 4
    assert load.counters.unanswered >= 1
    assert load.counters.attempts == len(nodes.sends)
    for tx in acknowledged:
        assert _hash_of(tx.raw) == tx.hash
    sent_hashes = [_hash_of(raw) for raw in nodes.sends]
    retried = {tx_hash for tx_hash in sent_hashes if sent_hashes.count(tx_hash) > 1}
    assert retried, "an unanswered send was offered again"
    nonces = [tx.nonce for tx in load.by_account[0]]
    assert nonces == list(range(len(nonces)))


async def test_receipts_are_collected_only_below_the_included_nonce() -> None:
    nodes = ScriptedNodes()
    load = TransferLoad(nodes, ["http://a"], lambda: [0], dev_private_keys(1),
                        chain_id=77077, rate=200.0, seed=2)
    stop = asyncio.Event()
    task = asyncio.create_task(load.run(stop))
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.wait_for(task, 5)
    txs = [tx for tx in load.by_account[0] if tx.acknowledged]
    assert len(txs) >= 3
    for tx in txs:
        nodes.receipts[tx.hash] = {"blockNumber": "0x7", "blockHash": "0xb7"}
    nodes.included_nonces = 2
    await load.collect_receipts()
    assert [tx.receipt_block for tx in txs[:2]] == [(7, "0xb7"), (7, "0xb7")]
    assert all(tx.receipt_block is None for tx in txs[2:])
    assert load.outstanding() == len(txs) - 2
    delays = load.inclusion_delays()
    assert len(delays) == 2 and all(delay >= 0 for delay in delays)
