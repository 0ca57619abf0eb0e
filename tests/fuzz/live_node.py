"""One real node (single validator, devnet genesis) served from a loop thread, and a plain
synchronous JSON-RPC client that can send any bytes at all, not only well-formed requests."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account

from ordo.config.node_config import NodeConfig
from ordo.consensus import LocalSigner
from ordo.core.genesis import GenesisValidator, devnet_genesis
from ordo.devnet.ports import free_port
from ordo.node.runner import run_node
from tests.fuzz.loop_thread import LoopThread

GWEI = 10**9
SIGNER_KEY = bytes(range(7, 39))
CHAIN_ID = devnet_genesis().chain_id


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RpcClient:
    def __init__(self, port: int) -> None:
        self.port = port

    def post(self, body: bytes, timeout: float = 30.0) -> HttpAnswer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("POST", "/", body=body,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return HttpAnswer(response.status, response.read())
        finally:
            connection.close()

    def request(self, method: str, *params: Any) -> dict[str, Any]:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        answer: dict[str, Any] = self.post(body.encode()).json()
        return answer

    def call(self, method: str, *params: Any) -> Any:
        answer = self.request(method, *params)
        assert "error" not in answer, answer
        return answer["result"]

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def wait_for_receipt(self, tx_hash: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            receipt = self.call("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                return dict(receipt)
            time.sleep(0.05)
        raise AssertionError(f"no receipt for {tx_hash} after {timeout} s")


class TransferSigner:
    """Signs consecutive transfers from one funded dev key; nonces tracked here."""

    def __init__(self, key: bytes) -> None:
        self.account = Account.from_key(key)
        self.nonce = 0

    def next_transfer(self, value: int = 1, to: str = "0x" + "33" * 20) -> str:
        signed = self.account.sign_transaction({
            "type": 2, "chainId": CHAIN_ID, "nonce": self.nonce, "to": to, "value": value,
            "gas": 21_000, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI // 10,
        })
        self.nonce += 1
        return "0x" + bytes(signed.raw_transaction).hex()


@contextlib.contextmanager
def live_node(tmp_path: Path) -> Iterator[RpcClient]:
    """A node producing blocks every 50 ms, until the block exits."""
    genesis_path = tmp_path / "genesis.json"
    signer_path = tmp_path / "signer.key"
    signer_path.write_text(SIGNER_KEY.hex())
    validator = GenesisValidator(LocalSigner(SIGNER_KEY).address, 1)
    devnet_genesis(validators=(validator,)).save(genesis_path)
    config = NodeConfig(data_dir=tmp_path / "node", genesis_path=genesis_path,
                        rpc_port=free_port(), block_time=0.05, heartbeat_interval=0.5,
                        signer_key_path=signer_path, p2p_port=free_port())
    loop = LoopThread()
    task = loop.run(_start(config))
    client = RpcClient(config.rpc_port)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert not task.done(), "node stopped while starting"
            try:
                client.head()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield client
        assert not task.done(), "node stopped while being fuzzed"
    finally:
        loop.close()


async def _start(config: NodeConfig) -> asyncio.Task[None]:
    return asyncio.create_task(run_node(config), name="fuzzed-node")
