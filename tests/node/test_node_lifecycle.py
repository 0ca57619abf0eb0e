"""A whole node in-process: real store, EVM, mempool and RPC; stopped and restarted on one disk."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from eth_account import Account

from ordo.config.node_config import NodeConfig
from ordo.consensus import LocalSigner
from ordo.core.genesis import GenesisValidator, dev_private_keys, devnet_genesis
from ordo.devnet.ports import free_port
from ordo.node.runner import run_node

GWEI = 10**9
CHAIN_ID = devnet_genesis().chain_id
SIGNER_KEY = bytes(range(1, 33))


class Rpc:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def request(self, method: str, *params: Any) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        async with self.session.post(self.url, json=body) as response:
            answer: dict[str, Any] = await response.json()
            return answer

    async def call(self, method: str, *params: Any) -> Any:
        answer = await self.request(method, *params)
        assert "error" not in answer, answer
        return answer["result"]

    async def wait_for_receipt(self, tx_hash: str, timeout: float = 20) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            receipt = await self.call("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                return dict(receipt)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no receipt for {tx_hash}")


@asynccontextmanager
async def running_node(tmp_path: Path, port: int) -> AsyncIterator[Rpc]:
    genesis_path = tmp_path / "genesis.json"
    signer_path = tmp_path / "signer.key"
    if not genesis_path.exists():
        signer_path.write_text(SIGNER_KEY.hex())
        validator = GenesisValidator(LocalSigner(SIGNER_KEY).address, 1)
        devnet_genesis(validators=(validator,)).save(genesis_path)
    config = NodeConfig(data_dir=tmp_path / "node", genesis_path=genesis_path, rpc_port=port,
                        block_time=0.05, heartbeat_interval=0.5, signer_key_path=signer_path,
                        p2p_port=free_port())
    task = asyncio.create_task(run_node(config))
    async with aiohttp.ClientSession() as session:
        rpc = Rpc(session, f"http://127.0.0.1:{port}")
        for _ in range(200):
            try:
                await rpc.call("eth_blockNumber")
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
        try:
            yield rpc
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def transfer(key: bytes, nonce: int, value: int, to: str = "0x" + "22" * 20,
             max_fee: int = 2 * GWEI) -> str:
    signed = Account.from_key(key).sign_transaction({
        "type": 2, "chainId": CHAIN_ID, "nonce": nonce, "to": to, "value": value, "gas": 21_000,
        "maxFeePerGas": max_fee, "maxPriorityFeePerGas": GWEI // 10,
    })
    return "0x" + bytes(signed.raw_transaction).hex()


async def test_queued_transaction_survives_restart_and_executes_later(tmp_path: Path) -> None:
    key = dev_private_keys()[1]
    port = free_port()
    async with running_node(tmp_path, port) as rpc:
        gapped = await rpc.call("eth_sendRawTransaction", transfer(key, 1, 5))
        await asyncio.sleep(0.3)
        assert (await rpc.call("ordo_getTransactionStatus", gapped))["status"] == "pending"
        head_before = int(await rpc.call("eth_blockNumber"), 16)
        block_before = await rpc.call("eth_getBlockByNumber", hex(head_before), False)
    async with running_node(tmp_path, port) as rpc:
        assert await rpc.call("eth_getBlockByNumber", hex(head_before), False) == block_before
        pending = await rpc.call("eth_getTransactionByHash", gapped)
        assert pending is not None and pending["blockHash"] is None
        assert await rpc.call("eth_getTransactionCount", Account.from_key(key).address,
                              "pending") == "0x0"
        await rpc.call("eth_sendRawTransaction", transfer(key, 0, 5))
        receipt = await rpc.wait_for_receipt(gapped)
        assert receipt["status"] == "0x1"
        status = await rpc.call("ordo_getTransactionStatus", gapped)
        assert status["status"] == "included"


async def test_unaffordable_follow_up_is_reported_dropped_with_reason(tmp_path: Path) -> None:
    funder = dev_private_keys()[2]
    poor = Account.create()
    async with running_node(tmp_path, free_port()) as rpc:
        fund = await rpc.call("eth_sendRawTransaction",
                              transfer(funder, 0, 10**16, to=poor.address))
        await rpc.wait_for_receipt(fund)
        budget = 10**16 - 21_000 * 2 * GWEI
        # nonce 1 first (queued behind a gap), then nonce 0 spends almost everything
        follow_up = await rpc.call("eth_sendRawTransaction", transfer(bytes(poor.key), 1, budget))
        spend = await rpc.call("eth_sendRawTransaction", transfer(bytes(poor.key), 0, budget))
        assert (await rpc.wait_for_receipt(spend))["status"] == "0x1"
        for _ in range(100):
            status = await rpc.call("ordo_getTransactionStatus", follow_up)
            if status["status"] == "dropped":
                break
            await asyncio.sleep(0.05)
        assert status["status"] == "dropped"
        assert "insufficient funds" in status["reason"]
        assert await rpc.call("eth_getTransactionReceipt", follow_up) is None


async def test_blockhash_reads_history_after_restart(tmp_path: Path) -> None:
    port = free_port()
    async with running_node(tmp_path, port) as rpc:
        await asyncio.sleep(1.2)  # a few heartbeat blocks
        one = await rpc.call("eth_getBlockByNumber", "0x1", False)
    # eth_call without "to" runs its data as code:
    # PUSH1 1 BLOCKHASH PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN  -> returns BLOCKHASH(1)
    program = "0x" + "600140" + "600052" + "60206000f3"
    async with running_node(tmp_path, port) as rpc:
        assert await rpc.call("eth_call", {"data": program}, "latest") == one["hash"]
