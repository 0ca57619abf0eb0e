"""Several real nodes in one process: each with its own disk, JSON-RPC port and p2p port, all
connected over real TCP on 127.0.0.1 in a full mesh, started and stopped like processes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from eth_account import Account
from eth_hash.auto import keccak

from ordo.config.node_config import NodeConfig
from ordo.consensus import LocalSigner, Validator, ValidatorSet
from ordo.core.genesis import ConsensusRules, GenesisValidator, devnet_genesis
from ordo.devnet.ports import free_port
from ordo.mempool import Mempool
from ordo.node.runner import MempoolFactory, run_node

GWEI = 10**9
FAST_RULES = ConsensusRules(epoch_length=1000, propose_base_ms=600, propose_delta_ms=200,
                            prevote_base_ms=300, prevote_delta_ms=100, precommit_base_ms=300,
                            precommit_delta_ms=100)


def signer_key(index: int) -> bytes:
    return keccak(f"cluster signer {index}".encode())


@dataclass
class ClusterNode:
    index: int
    config: NodeConfig
    session: aiohttp.ClientSession
    make_mempool: MempoolFactory = Mempool
    """The pool this node admits into; a test passes a misbehaving one (e.g. a censoring pool,
    tests/l1_network/censoring_mempool.py) instead of any switch in the node."""
    task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.config.rpc_port}"

    async def request(self, method: str, *params: Any) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        async with self.session.post(self.url, json=body) as response:
            answer: dict[str, Any] = await response.json()
            return answer

    async def call(self, method: str, *params: Any) -> Any:
        answer = await self.request(method, *params)
        assert "error" not in answer, answer
        return answer["result"]

    async def head(self) -> int:
        return int(await self.call("eth_blockNumber"), 16)

    async def start(self) -> None:
        assert self.task is None
        self.task = asyncio.create_task(run_node(self.config, make_mempool=self.make_mempool),
                                        name=f"node-{self.index}")
        for _ in range(400):
            if self.task.done():
                self.task.result()  # raises what stopped the node
            try:
                await self.head()
                return
            except aiohttp.ClientError:
                await asyncio.sleep(0.025)
        raise AssertionError(f"node {self.index} did not start")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self.task is not None


@dataclass
class Cluster:
    nodes: list[ClusterNode]
    validators: ValidatorSet
    chain_id: int
    _nonces: dict[bytes, int] = field(default_factory=dict)

    def running(self) -> list[ClusterNode]:
        return [node for node in self.nodes if node.running]

    async def heads(self) -> list[int]:
        return [await node.head() for node in self.running()]

    async def wait_until(self, condition: Callable[[], Awaitable[bool]], timeout: float,
                         what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if await condition():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; heads "
                             f"{await self.heads()}")

    async def wait_for_height(self, height: int, timeout: float = 20.0) -> None:
        async def reached() -> bool:
            return min(await self.heads()) >= height
        await self.wait_until(reached, timeout, f"every running node at height {height}")

    def transfer(self, key: bytes, value: int = 1, to: str = "0x" + "22" * 20) -> str:
        sender = bytes(Account.from_key(key).address, "ascii")
        nonce = self._nonces.get(sender, 0)
        self._nonces[sender] = nonce + 1
        signed = Account.from_key(key).sign_transaction({
            "type": 2, "chainId": self.chain_id, "nonce": nonce, "to": to, "value": value,
            "gas": 21_000, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI // 10,
        })
        return "0x" + bytes(signed.raw_transaction).hex()

    async def block_hashes(self, node: ClusterNode, upto: int) -> list[str]:
        hashes = []
        for number in range(upto + 1):
            block = await node.call("eth_getBlockByNumber", hex(number), False)
            hashes.append(block["hash"])
        return hashes


@asynccontextmanager
async def running_cluster(tmp_path: Path, validators: int = 4, followers: int = 0,
                          start: bool = True) -> AsyncIterator[Cluster]:
    """``validators`` validator nodes of equal stake, then ``followers`` nodes without a signer
    key, all in a full mesh; started unless ``start`` is False. Everything stops on exit."""
    keys = [signer_key(index) for index in range(validators)]
    members = tuple(GenesisValidator(LocalSigner(key).address, 100) for key in keys)
    genesis = devnet_genesis(validators=members, consensus=FAST_RULES)
    genesis_path = tmp_path / "genesis.json"
    genesis.save(genesis_path)
    total = validators + followers
    p2p_ports = [free_port() for _ in range(total)]
    async with aiohttp.ClientSession() as session:
        nodes = []
        for index in range(total):
            data_dir = tmp_path / f"node{index}"
            data_dir.mkdir()
            signer_path = None
            if index < validators:
                signer_path = data_dir / "signer.key"
                signer_path.write_text(keys[index].hex())
            peers = tuple(("127.0.0.1", port) for i, port in enumerate(p2p_ports) if i != index)
            config = NodeConfig(data_dir=data_dir, genesis_path=genesis_path,
                                rpc_port=free_port(), block_time=0.05, heartbeat_interval=0.4,
                                signer_key_path=signer_path, p2p_port=p2p_ports[index],
                                peers=peers)
            nodes.append(ClusterNode(index, config, session))
        cluster = Cluster(nodes, ValidatorSet.of(Validator(m.address, m.stake) for m in members),
                          genesis.chain_id)
        try:
            if start:
                await asyncio.gather(*(node.start() for node in nodes))
            yield cluster
        finally:
            await asyncio.gather(*(node.stop() for node in nodes))
