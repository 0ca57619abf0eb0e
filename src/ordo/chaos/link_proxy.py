"""A fault-injecting TCP proxy for one directed link between two nodes.

Node i dials node j through proxy (i, j), so the harness can hurt exactly that link: cut it
(close its connections and refuse new ones), delay its bytes, or make it lossy. TCP never loses
bytes silently, so loss is modelled the way an application sees it: a chunk stalls as if it were
being retransmitted, and now and then the connection breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass

CHUNK = 65536
LOSS_STALL = (0.2, 1.0)
"""Seconds a lost chunk stalls (a retransmission timeout)."""
LOSS_CLOSE_SHARE = 0.1
"""Share of lost chunks that break the connection instead of stalling."""
QUEUED_CHUNKS = 256
"""Chunks in flight on one direction of a link before reading waits (back-pressure)."""


@dataclass
class LinkCounters:
    connections: int = 0
    refused: int = 0
    """Connections turned away because the link was cut."""
    target_unreachable: int = 0
    """Connections that could not reach the target node (it was down or not yet listening)."""
    closed_by_fault: int = 0
    bytes_forwarded: int = 0
    stalls: int = 0


class LinkProxy:
    def __init__(self, source: int, target: int, target_port: int, seed: int,
                 host: str = "127.0.0.1", *, target_host: str | None = None,
                 local_host: str | None = None) -> None:
        """Listens on ``host``; forwards to ``target_host`` (default ``host``) from
        ``local_host`` (default: any address), so the target sees the source's own address."""
        self.source = source
        self.target = target
        self.host = host
        self.target_host = target_host or host
        self.local_host = local_host
        self.target_port = target_port
        self.port = 0
        self.counters = LinkCounters()
        self.baseline_delay = 0.0
        """Seconds every chunk waits even when healed: a WAN link's one-way latency."""
        self.baseline_loss = 0.0
        """Loss even when healed: a WAN link's own."""
        self._cut = False
        self._delay = 0.0
        self._loss = 0.0
        self._rng = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self._close_connections()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    # --- faults ---------------------------------------------------------------------------------

    def cut(self) -> None:
        self._cut = True
        self.counters.closed_by_fault += len(self._writers)
        self._close_connections()

    def set_delay(self, seconds: float) -> None:
        self._delay = seconds

    def set_loss(self, probability: float) -> None:
        self._loss = probability

    def set_baseline(self, delay: float, loss: float) -> None:
        """The link's own latency and loss, kept through every fault and heal."""
        self.baseline_delay = self._delay = delay
        self.baseline_loss = self._loss = loss

    def heal(self) -> None:
        self._cut = False
        self._delay = self.baseline_delay
        self._loss = self.baseline_loss

    # --- forwarding -----------------------------------------------------------------------------

    def _close_connections(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            self.counters.refused += 1
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port,
                local_addr=None if self.local_host is None else (self.local_host, 0))
        except OSError:
            self.counters.target_unreachable += 1
            writer.close()
            return
        self.counters.connections += 1
        self._writers |= {writer, upstream_writer}
        pumps = [asyncio.create_task(self._pump(reader, upstream_writer)),
                 asyncio.create_task(self._pump(upstream_reader, writer))]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for end in (writer, upstream_writer):
                end.close()
                self._writers.discard(end)
            self._tasks.difference_update(pumps)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Forward one direction. Latency is pipelined, as on a real link: a chunk is read at
        once and delivered ``delay`` later, so later chunks do not wait behind earlier ones'
        delays (a serial sleep per chunk would cap a link at one chunk per delay, and messages
        would queue behind each other as they never do on a WAN)."""
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(QUEUED_CHUNKS)
        delivery = asyncio.create_task(self._deliver(queue, writer))
        try:
            while not self._cut and not delivery.done():
                chunk = await reader.read(CHUNK)
                if not chunk:
                    break
                await queue.put((time.monotonic() + self._delay, chunk))
            if not delivery.done():
                await queue.put(None)
            await delivery
        except (OSError, asyncio.IncompleteReadError):
            return
        finally:
            delivery.cancel()

    async def _deliver(self, queue: asyncio.Queue[tuple[float, bytes] | None],
                       writer: asyncio.StreamWriter) -> None:
        """Write each chunk when it is due; a 'lost' chunk stalls it and every chunk behind it
        (TCP's head-of-line blocking), or now and then breaks the connection."""
        try:
            while (item := await queue.get()) is not None:
                due, chunk = item
                if due > time.monotonic():
                    await asyncio.sleep(due - time.monotonic())
                if self._loss and self._rng.random() < self._loss:
                    if self._rng.random() < LOSS_CLOSE_SHARE:
                        self.counters.closed_by_fault += 1
                        writer.close()
                        return
                    self.counters.stalls += 1
                    await asyncio.sleep(self._rng.uniform(*LOSS_STALL))
                if self._cut:
                    return
                writer.write(chunk)
                await writer.drain()
                self.counters.bytes_forwarded += len(chunk)
        except OSError:
            return
