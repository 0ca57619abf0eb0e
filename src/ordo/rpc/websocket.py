"""One WebSocket client: requests in, responses and notifications out through a bounded queue.

Responses wait for room in the queue (the client's own pace throttles its own requests);
notifications never wait: when the queue is full the client is too slow and is disconnected,
so the event feed and every other client keep going.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSCloseCode, WSMsgType, web

from ordo.rpc.dispatch import Dispatcher
from ordo.rpc.event_feed import EventFeed
from ordo.rpc.log_match import LogCriteria

logger = logging.getLogger(__name__)


class WebSocketConnection:
    def __init__(self, socket: web.WebSocketResponse, dispatcher: Dispatcher, feed: EventFeed,
                 queue_size: int, peer: str) -> None:
        self._socket = socket
        self._peer = peer
        self._writer: asyncio.Task[None] | None = None
        self._close_task: asyncio.Task[bool] | None = None
        self._dispatcher = dispatcher
        self._feed = feed
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._closing = False

    @property
    def peer(self) -> str:
        """The client's remote address, as the server's per-address bound counts it."""
        return self._peer

    # --- Session -------------------------------------------------------------------------------
    def subscribe(self, kind: str, criteria: LogCriteria | None, full_transactions: bool) -> str:
        return self._feed.subscribe(self, kind, criteria, full_transactions)

    def unsubscribe(self, subscription_id: str) -> bool:
        return self._feed.unsubscribe(self, subscription_id)

    # --- NotificationSink ----------------------------------------------------------------------
    def deliver(self, message: str) -> None:
        if self._closing:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            logger.warning("dropping WebSocket client %s: send queue overflow", self._peer)
            self._begin_close(WSCloseCode.POLICY_VIOLATION, b"send queue overflow")

    # --- lifecycle -----------------------------------------------------------------------------
    async def run(self) -> None:
        writer = self._writer = asyncio.create_task(self._write_loop())
        try:
            async for message in self._socket:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    response = await self._dispatcher.handle(message.data, self)
                    if response is not None and not self._closing:
                        await self._queue.put(response)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self._closing = True
            self._feed.drop_sink(self)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def close(self) -> None:
        self._begin_close(WSCloseCode.GOING_AWAY, b"server shutdown")

    def _begin_close(self, code: int, reason: bytes) -> None:
        if self._closing:
            return
        self._closing = True
        self._feed.drop_sink(self)
        if self._writer is not None:
            self._writer.cancel()
        self._close_task = asyncio.get_running_loop().create_task(
            self._socket.close(code=code, message=reason)
        )

    async def _write_loop(self) -> None:
        while True:
            message = await self._queue.get()
            await self._socket.send_str(message)

