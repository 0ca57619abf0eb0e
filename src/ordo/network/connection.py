"""One authenticated session with a peer: a reader task, a writer task fed by a bounded queue,
and keepalive pings. Everything it reads goes to its owner; it decides nothing about content.

Every frame is sealed on its way out and opened on its way in with the session's ciphers (see
``sealed_frames``); the queue holds plaintext frames and the writer seals them in queue order,
so the counter nonces follow the byte order on the wire.

Sending never waits: frames are queued, and a peer whose queue overflows or whose socket does not
drain within the write timeout is disconnected rather than allowed to stall the broadcaster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from typing import Protocol

from ordo.network.config import NetworkConfig
from ordo.network.frame_codec import HEADER_SIZE, Frame, FrameError
from ordo.network.handshake import Session
from ordo.network.message_kind import MessageKind
from ordo.network.node_key import PeerId
from ordo.network.sealed_frames import NonceExhaustedError, seal_frame
from ordo.network.stream_frames import PeerClosedError, read_frame
from ordo.network.transcript import TAG_SIZE

log = logging.getLogger(__name__)

GRACEFUL_CLOSE_SECONDS = 1.0
"""How long a politely closed socket may take to flush its DISCONNECT before it is aborted."""
NOTIFY_BUFFER_LIMIT = 256 * 1024
"""Above this many unsent bytes the peer is not reading: abort instead of queueing a goodbye."""
DRAIN_SECONDS = 2.0
"""How long a retired duplicate session keeps reading what the peer sent before it learnt."""


class ConnectionOwner(Protocol):
    def frame_received(self, connection: PeerConnection, frame: Frame) -> None: ...

    def framing_failed(self, connection: PeerConnection, error: FrameError) -> None: ...

    def connection_closed(self, connection: PeerConnection, reason: str) -> None: ...


class PeerConnection:
    def __init__(self, owner: ConnectionOwner, config: NetworkConfig,
                 reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, session: int,
                 keys: Session, direction: str, host: str, port: int,
                 connected_since: float) -> None:
        self._owner = owner
        self._config = config
        self._reader = reader
        self._writer = writer
        self.session = session
        self.gossip_id = session
        """Whose gossip memory this session uses: a duplicate's successor inherits it, so what the
        peer saw on one session of a simultaneous dial is not sent to it again on the other."""
        self.peer: PeerId = keys.peer
        self._send_cipher = keys.send
        self._receive_cipher = keys.receive
        self.direction = direction
        self.host = host
        self.port = port
        self.connected_since = connected_since
        self.rtt: float | None = None
        self.closed = False
        self.retired = False
        self.close_reason: str | None = None
        self._queue: deque[Frame] = deque()
        self._queued_bytes = 0
        self._has_frames = asyncio.Event()
        self._pong_nonce: bytes | None = None
        self._pong = asyncio.Event()
        self._closed_event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        name = f"peer-{self.peer.hex()[:8]}-{self.session}"
        self._tasks = [
            asyncio.create_task(self._read_loop(), name=f"{name}-read"),
            asyncio.create_task(self._write_loop(), name=f"{name}-write"),
            asyncio.create_task(self._keepalive_loop(), name=f"{name}-ping"),
        ]

    @property
    def queued_frames(self) -> int:
        return len(self._queue)

    def enqueue(self, frame: Frame) -> bool:
        """Queue a frame (its payload already checked against the cap); False (and the session
        closed) if the peer cannot keep up."""
        if self.closed or self.retired:
            return False
        size = HEADER_SIZE + len(frame.payload) + TAG_SIZE
        if (len(self._queue) >= self._config.outbound_queue_frames
                or self._queued_bytes + size > self._config.outbound_queue_bytes):
            self.close("outbound_queue_full", notify_peer=False)
            return False
        self._queue.append(frame)
        self._queued_bytes += size
        self._has_frames.set()
        return True

    def retire(self, reason: str, successor: PeerConnection) -> None:
        """Stop sending on this session in favour of ``successor`` (the one both sides keep of a
        simultaneous dial), without losing traffic: frames not yet written move to the successor,
        a sealed DISCONNECT follows what was written, and frames the peer sent before it learnt
        are still read and delivered until it closes its end or DRAIN_SECONDS pass."""
        if self.closed or self.retired:
            return
        pending = list(self._queue)
        self._queue.clear()
        self._queued_bytes = 0
        for frame in pending:
            successor.enqueue(frame)
        for task in self._tasks[2:]:
            task.cancel()  # no more pings: the successor carries the keepalive
        goodbye = reason.encode("ascii", "replace")[:self._config.frame_limits.cap(
            MessageKind.DISCONNECT)]
        self._queue.append(Frame(MessageKind.DISCONNECT, goodbye))
        self._has_frames.set()
        self.retired = True
        asyncio.get_running_loop().call_later(DRAIN_SECONDS, self.close, reason)

    def pong_received(self, payload: bytes) -> bool:
        """True if this answers our outstanding ping."""
        if self._pong_nonce is None or payload != self._pong_nonce:
            return False
        self._pong.set()
        return True

    async def wait_closed(self) -> None:
        await self._closed_event.wait()

    def close(self, reason: str, *, notify_peer: bool = True) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        transport = self._writer.transport
        if (notify_peer and not transport.is_closing()
                and transport.get_write_buffer_size() < NOTIFY_BUFFER_LIMIT):
            goodbye = reason.encode("ascii", "replace")[:self._config.frame_limits.cap(
                MessageKind.DISCONNECT)]
            with contextlib.suppress(NonceExhaustedError):  # then close without a goodbye
                transport.write(seal_frame(self._send_cipher, MessageKind.DISCONNECT, goodbye))
            transport.close()
            asyncio.get_running_loop().call_later(GRACEFUL_CLOSE_SECONDS, transport.abort)
        else:
            transport.abort()
        self._queue.clear()
        self._queued_bytes = 0
        self._closed_event.set()
        self._owner.connection_closed(self, reason)

    async def _read_loop(self) -> None:
        limits = self._config.frame_limits
        try:
            while not self.closed:
                frame = await read_frame(self._reader, limits, self._config.frame_timeout,
                                         cipher=self._receive_cipher)
                if self.closed:
                    return
                self._owner.frame_received(self, frame)
        except FrameError as error:
            self._owner.framing_failed(self, error)
        except NonceExhaustedError:
            self.close("nonce_exhausted", notify_peer=False)
        except PeerClosedError:
            self.close("peer_closed", notify_peer=False)
        except (ConnectionError, OSError):
            self.close("connection_lost", notify_peer=False)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reader of peer 0x%s failed", self.peer.hex())
            self.close("internal_error")

    async def _write_loop(self) -> None:
        try:
            while not self.closed:
                await self._has_frames.wait()
                self._has_frames.clear()
                if not self._queue:
                    continue
                sealed: list[bytes] = []
                exhausted = False
                for frame in self._queue:
                    try:
                        sealed.append(seal_frame(self._send_cipher, frame.kind, frame.payload))
                    except NonceExhaustedError:
                        exhausted = True
                        break
                self._queue.clear()
                self._queued_bytes = 0
                self._writer.write(b"".join(sealed))
                if exhausted:  # what was sealed is flushed by the graceful close
                    self.close("nonce_exhausted")
                    return
                try:
                    async with asyncio.timeout(self._config.write_timeout):
                        await self._writer.drain()
                except TimeoutError:
                    self.close("write_timeout", notify_peer=False)
        except asyncio.CancelledError:
            raise
        except (ConnectionError, OSError):
            self.close("connection_lost", notify_peer=False)
        except Exception:
            log.exception("writer of peer 0x%s failed", self.peer.hex())
            self.close("internal_error")

    async def _keepalive_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.closed:
            await asyncio.sleep(self._config.ping_interval)
            self._pong_nonce = os.urandom(8)
            self._pong.clear()
            sent_at = loop.time()
            if not self.enqueue(Frame(MessageKind.PING, self._pong_nonce)):
                return
            try:
                async with asyncio.timeout(self._config.pong_timeout):
                    await self._pong.wait()
            except TimeoutError:
                self.close("ping_timeout")
                return
            self.rtt = loop.time() - sent_at
            self._pong_nonce = None
