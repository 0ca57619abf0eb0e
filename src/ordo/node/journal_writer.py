"""Group commit of accepted transactions into the durable mempool journal.

``eth_sendRawTransaction`` may only return a hash once the transaction survives a crash. One LMDB
write (with its fsync) per transaction would cap intake at the disk's sync rate, so concurrent
submissions wait together for one write that carries all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable


class JournalWriter:
    def __init__(self, write: Callable[[Iterable[tuple[bytes, bytes]]], None]) -> None:
        self._write = write
        self._waiting: list[tuple[bytes, bytes, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="journal-writer")

    async def stop(self) -> None:
        if self._task is not None:
            await self._flush()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def append(self, tx_hash: bytes, raw: bytes) -> None:
        """Return once (tx_hash, raw) is durably journaled; raises if the write failed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((tx_hash, raw, future))
        self._wakeup.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self._flush()

    async def _flush(self) -> None:
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        try:
            await asyncio.to_thread(self._write, [(tx_hash, raw) for tx_hash, raw, _ in batch])
        except Exception as error:  # the disk refused: every waiter learns it, none is acked
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for _, _, future in batch:
            if not future.done():
                future.set_result(None)
