"""A steady stream of L2 transfers into a cluster that may lose nodes while it runs.

Each transfer goes to every running node (a node that already has it answers with an error,
which is ignored), so a node stopped right after it took a transaction does not strand the
sender's later nonces in a dead mempool.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp

from ordo.core.genesis import dev_private_keys
from tests.cluster.cluster_harness import Cluster

SENDERS = 3
INTERVAL_S = 0.25


class TransferLoad:
    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._keys = dev_private_keys()[-SENDERS:]
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    async def __aenter__(self) -> TransferLoad:
        self._task = asyncio.create_task(self._run(), name="transfer-load")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            raw = self._cluster.transfer(self._keys[self.sent % SENDERS], value=1 + self.sent)
            for node in self._cluster.running():
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    await node.request("eth_sendRawTransaction", raw)
            self.sent += 1
            await asyncio.sleep(INTERVAL_S)
