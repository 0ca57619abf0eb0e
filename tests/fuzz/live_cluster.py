"""The 4-validator cluster of tests/cluster, run on a loop thread so synchronous hypothesis tests
can aim hostile peers at it between examples, plus the checks that consensus is unharmed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordo.consensus import LocalSigner
from tests.cluster.cluster_harness import Cluster, running_cluster, signer_key
from tests.fuzz.loop_thread import LoopThread

VALIDATORS = 4


@dataclass
class LiveCluster:
    loop: LoopThread
    cluster: Cluster

    @property
    def chain_id(self) -> int:
        return self.cluster.chain_id

    @property
    def p2p_ports(self) -> list[int]:
        return [node.config.p2p_port for node in self.cluster.nodes]

    @property
    def signers(self) -> list[LocalSigner]:
        return [LocalSigner(signer_key(index)) for index in range(VALIDATORS)]

    def heads(self) -> list[int]:
        return self.loop.run(self.cluster.heads())

    def status(self, index: int) -> dict[str, Any]:
        result: dict[str, Any] = self.loop.run(
            self.cluster.nodes[index].call("ordo_status"))
        return result

    def call(self, index: int, method: str, *params: Any) -> Any:
        return self.loop.run(self.cluster.nodes[index].call(method, *params))

    def assert_consensus_goes_on(self, blocks: int = 3, timeout: float = 30.0) -> None:
        """Every node gains ``blocks`` more blocks, and all agree on every hash they share."""
        start = max(self.heads())
        deadline = time.monotonic() + timeout
        while min(heads := self.heads()) < start + blocks:
            assert time.monotonic() < deadline, f"heads stuck at {heads}, wanted {start + blocks}"
            time.sleep(0.05)
        first = min(heads) - blocks
        for number in range(max(first, 0), min(heads) + 1):
            hashes = {self.call(index, "eth_getBlockByNumber", hex(number), False)["hash"]
                      for index in range(VALIDATORS)}
            assert len(hashes) == 1, f"nodes disagree at block {number}: {hashes}"


@contextlib.contextmanager
def live_cluster(tmp_path: Path) -> Iterator[LiveCluster]:
    loop = LoopThread()
    context = running_cluster(tmp_path, validators=VALIDATORS)
    try:
        cluster = loop.run(_enter(context), timeout=120)
        live = LiveCluster(loop, cluster)
        yield live
        for node in cluster.nodes:
            assert node.task is not None and not node.task.done(), f"node {node.index} stopped"
        loop.run(context.__aexit__(None, None, None), timeout=60)
    finally:
        loop.close()


async def _enter(context: contextlib.AbstractAsyncContextManager[Cluster]) -> Cluster:
    return await context.__aenter__()


async def gather(*coroutines: Any) -> list[Any]:
    return list(await asyncio.gather(*coroutines))
