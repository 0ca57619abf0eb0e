"""Group commit of accepted transactions into the durable mempool journal.

``eth_sendRawTransaction`` may only return a hash once the transaction survives a crash. One LMDB
write (with its fsync) per transaction would cap intake at the disk's sync rate, so concurrent
submissions wait together for one write that carries all of them.

Writes are also spaced: one starts at least ``spacing_s`` (10 ms) after the previous one started,
and submissions arriving meanwhile wait for it (a bounded wait). Under load that turns a stream of
small back-to-back writes into one write per 10 ms, each with one fsync and one hand-off to the
worker thread (the hand-off stalls the event loop on a busy machine: docs/performance.md); a
submission to an idle writer is written at once, so an idle client's latency is unchanged. The
cost: a client that waits for each acknowledgement before sending again gets at most one per
10 ms per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable

JOURNAL_WRITE_SPACING_S = 0.01
"""Least time from the start of one journal write to the start of the next."""


def rest_before_write(last_write: float | None, spacing_s: float, now: float) -> float:
    """Seconds to wait before the next write may start (0: at once)."""
    if last_write is None:
        return 0.0
    return max(0.0, last_write + spacing_s - now)


class JournalWriter:
    def __init__(self, write: Callable[[Iterable[tuple[bytes, bytes]]], None],
                 spacing_s: float = JOURNAL_WRITE_SPACING_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not spacing_s >= 0:
            raise ValueError(f"spacing_s: {spacing_s!r} must be zero or more seconds")
        self._write = write
        self._spacing_s = spacing_s
        self._clock = clock
        self._last_write: float | None = None
        self.writes = 0
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
            rest = rest_before_write(self._last_write, self._spacing_s, self._clock())
            if rest > 0:
                await asyncio.sleep(rest)  # what arrives meanwhile joins this write
            self._wakeup.clear()
            await self._flush()

    async def _flush(self) -> None:
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        self._last_write = self._clock()
        self.writes += 1
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
