"""Watching finality while faults happen: forks between nodes, and how long finality stalls.

Polls every reachable node's latest final block. Two different hashes ever reported final at one
height is a fork; the longest time the network's highest final block did not move is the stall.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ordo.chaos.rpc_client import RpcClient, RpcError, RpcUnavailable

POLL_INTERVAL = 0.5


@dataclass
class FinalityRecord:
    final_hashes: dict[int, str] = field(default_factory=dict)
    """Height -> the first hash any node reported final there."""
    forks: list[dict[str, object]] = field(default_factory=list)
    progress: list[tuple[float, int]] = field(default_factory=list)
    """(monotonic time, highest final height) each time the network's highest final grew."""
    per_node_final: dict[int, int] = field(default_factory=dict)


class FinalityWatch:
    def __init__(self, client: RpcClient, urls: list[str],
                 reachable: Callable[[], list[int]]) -> None:
        self._client = client
        self._urls = urls
        self._reachable = reachable
        self.record = FinalityRecord()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_INTERVAL)

    async def poll_once(self) -> None:
        nodes = self._reachable()
        answers = await asyncio.gather(*(self._client.final_block(self._urls[index])
                                         for index in nodes), return_exceptions=True)
        now = time.monotonic()
        record = self.record
        for index, answer in zip(nodes, answers, strict=True):
            if isinstance(answer, (RpcUnavailable, RpcError)):
                continue
            if isinstance(answer, BaseException):
                raise answer
            number, block_hash = answer
            record.per_node_final[index] = number
            known = record.final_hashes.setdefault(number, block_hash)
            if known != block_hash:
                record.forks.append({"height": number, "node": index, "hash": block_hash,
                                     "other": known})
            top = record.progress[-1][1] if record.progress else -1
            if number > top:
                record.progress.append((now, number))

    def highest_final(self) -> int:
        return self.record.progress[-1][1] if self.record.progress else -1
