"""The node's view of the peer-to-peer network: listen, dial, authenticate, gossip, score.

The node talks to this object only through non-blocking calls (``broadcast``, ``send``,
``report_misbehaviour``) and callbacks; all socket work runs in per-peer tasks, so one slow or
hostile peer can stall only itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ordo.network.backoff import reconnect_delay
from ordo.network.config import NetworkConfig
from ordo.network.connection import PeerConnection
from ordo.network.frame_codec import Frame, FrameError, encode_frame
from ordo.network.handshake import (
    EphemeralLedger,
    HandshakeError,
    Initiator,
    Responder,
    Session,
)
from ordo.network.message_kind import (
    APPLICATION_KINDS,
    GOSSIP_KINDS,
    HANDSHAKE_KINDS,
    MessageKind,
)
from ordo.network.node_key import NodeKey, PeerId
from ordo.network.peer_score import ScoreBook
from ordo.network.rate_limit import Clock, RateLimiter
from ordo.network.sealed_frames import seal_frame
from ordo.network.seen_cache import Arrival, SeenCache, message_id
from ordo.network.stream_frames import PeerClosedError, read_frame
from ordo.network.tx_batch import OutgoingBatches, TxBatchError, decode_tx_batch

log = logging.getLogger(__name__)

MessageHandler = Callable[[PeerId, MessageKind, bytes], "bool | None"]
"""Called once per distinct message. Returning False stops a relayable message from being relayed
(e.g. a transaction the mempool rejected); None or True lets it go on."""
PeerHandler = Callable[[PeerId], None]
DisconnectHandler = Callable[[PeerId, str], None]

INBOUND = "inbound"
OUTBOUND = "outbound"
HANDSHAKE_REPLIES = frozenset({MessageKind.HELLO, MessageKind.AUTH, MessageKind.DISCONNECT})
DUPLICATE_REASONS = frozenset({"duplicate_connection", "remote_refused:duplicate_connection"})


class SessionError(Exception):
    """A dial did not produce a session. ``peer`` is the address the remote claimed, if any."""

    def __init__(self, reason: str, detail: str, peer: PeerId | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.peer = peer


class OutboundMessageError(ValueError):
    """The node asked to send something the protocol does not allow; a bug in the caller."""


@dataclass(frozen=True)
class PeerInfo:
    peer_id: PeerId
    host: str
    port: int
    direction: str
    score: float
    connected_since: float
    """Wall-clock seconds since the epoch when the session was established."""
    rtt: float | None
    queued_frames: int


class PeerNetwork:
    def __init__(self, key: NodeKey, config: NetworkConfig, *,
                 on_message: MessageHandler | None = None,
                 on_peer_connected: PeerHandler | None = None,
                 on_peer_disconnected: DisconnectHandler | None = None,
                 clock: Clock = time.monotonic, wall_clock: Clock = time.time,
                 rng: random.Random | None = None) -> None:
        self.key = key
        self.config = config
        self.on_message = on_message
        self.on_peer_connected = on_peer_connected
        self.on_peer_disconnected = on_peer_disconnected
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()
        self.scores = ScoreBook(config.scoring, clock)
        self._limiter = RateLimiter(config.rate_limits, clock)
        self._seen = SeenCache(config.seen_cache_size, resend_interval=config.resend_interval,
                               clock=clock)
        self._ephemerals = EphemeralLedger()
        self._sessions: dict[PeerId, PeerConnection] = {}
        self._retired: set[PeerConnection] = set()
        """Duplicate sessions still draining what the peer sent on them (see ``retire``)."""
        self._session_counter = 0
        self._handshaking = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False
        self.drops: Counter[str] = Counter()
        self.resends_delivered = 0
        """Gossip copies a peer re-sent on a session that already had them (see ``_deliver``)."""
        self.handshake_failures: Counter[str] = Counter()
        self.tx_batches: Counter[str] = Counter()
        """``sent``/``received`` TX_BATCH frames and the ``sent_transactions`` /
        ``received_transactions`` they carried."""
        self._outgoing = OutgoingBatches[PeerId](config.tx_batch_max_count,
                                                 config.tx_batch_max_bytes)
        self._batch_timer: asyncio.TimerHandle | None = None
        self.disconnects: Counter[str] = Counter()
        self.listen_address: tuple[str, int] | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, listen_host: str = "127.0.0.1", listen_port: int = 0) -> tuple[str, int]:
        """Listen, start dialling the configured static peers; returns the bound address."""
        self._server = await asyncio.start_server(self._accept, listen_host, listen_port)
        sockname = self._server.sockets[0].getsockname()
        self.listen_address = (sockname[0], sockname[1])
        for host, port in self.config.static_peers:
            self.add_static_peer(host, port)
        return self.listen_address

    def add_static_peer(self, host: str, port: int) -> None:
        """Keep a session to this address: redial with backoff whenever it drops."""
        self._spawn(self._dial_loop(host, port), f"dial-{host}:{port}")

    async def stop(self) -> None:
        self._stopped = True
        if self._batch_timer is not None:
            self._batch_timer.cancel()
            self._batch_timer = None
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for connection in [*self._sessions.values(), *self._retired]:
            connection.close("shutting_down")
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    # ---- node-facing API -------------------------------------------------------------------

    async def connect(self, host: str, port: int) -> PeerId:
        """Dial once and complete the handshake. Raises SessionError or OSError."""
        connection = await self._dial(host, port)
        return connection.peer

    def broadcast(self, kind: MessageKind, payload: bytes) -> int:
        """Queue to every peer that does not already have it; returns how many were queued.
        A TX waits in each peer's next TX_BATCH (``config.tx_batch_delay`` at most)."""
        frame = self._outbound_frame(kind, payload)
        msg_id = message_id(kind, payload) if kind in GOSSIP_KINDS else None
        if msg_id is not None:
            self._seen.observe(msg_id, None)
        if kind is MessageKind.TX and msg_id is not None:
            return self._gossip_transaction(frame.payload, msg_id, exclude=None)
        return self._fan_out(frame, msg_id, exclude=None)

    def send(self, peer_id: PeerId, kind: MessageKind, payload: bytes) -> bool:
        """Queue to one peer, even if it has seen the message. False if it is not connected.
        A TX goes in the peer's next TX_BATCH."""
        frame = self._outbound_frame(kind, payload)
        connection = self._sessions.get(peer_id)
        if connection is None or connection.closed or connection.retired:
            return False
        if kind is MessageKind.TX:
            self._queue_transaction(peer_id, frame.payload)
        elif not connection.enqueue(frame):
            return False
        if kind in GOSSIP_KINDS:
            self._seen.observe(message_id(kind, payload), connection.gossip_id)
        return True

    def report_misbehaviour(self, peer_id: PeerId, reason: str, penalty: float) -> None:
        """The node found a payload from this peer invalid (e.g. a bad vote signature)."""
        if not isinstance(peer_id, bytes) or len(peer_id) != 20:
            raise ValueError(f"peer_id must be a 20-byte address, got {peer_id!r}")
        if not isinstance(penalty, int | float) or not math.isfinite(penalty) or penalty < 0:
            raise ValueError(f"penalty must be a finite non-negative number, got {penalty!r}")
        self._penalize(peer_id, f"reported:{reason}", float(penalty))

    def disconnect(self, peer_id: PeerId, reason: str) -> bool:
        connection = self._sessions.get(peer_id)
        if connection is None:
            return False
        connection.close(reason)
        return True

    def peers(self) -> list[PeerInfo]:
        return [
            PeerInfo(c.peer, c.host, c.port, c.direction, self.scores.score(c.peer),
                     c.connected_since, c.rtt, c.queued_frames)
            for c in self._sessions.values()
        ]

    def is_connected(self, peer_id: PeerId) -> bool:
        return peer_id in self._sessions

    def counters(self) -> dict[str, int]:
        """Flat counters for metrics: ``drop.*``, ``handshake_failure.*``, ``disconnect.*``,
        ``penalty.*``, ``resends_delivered``."""
        flat: dict[str, int] = {"resends_delivered": self.resends_delivered}
        for prefix, counter in (("drop", self.drops), ("handshake_failure",
                                                       self.handshake_failures),
                                ("disconnect", self.disconnects), ("tx_batch", self.tx_batches),
                                ("penalty", self.scores.penalties)):
            for reason, count in counter.items():
                flat[f"{prefix}.{reason}"] = count
        return flat

    # ---- connection owner callbacks ---------------------------------------------------------

    def frame_received(self, connection: PeerConnection, frame: Frame) -> None:
        """A frame that opened under the session's key: it is from the peer, unaltered."""
        kind, payload = frame.kind, frame.payload
        if kind in HANDSHAKE_KINDS:
            self.drops["protocol_violation"] += 1
            self._penalize(connection.peer, "protocol_violation",
                           self.config.penalties.protocol_violation)
            connection.close("protocol_violation")
            return
        if not self._limiter.allow(connection.session, kind):
            self.drops["rate_limited"] += 1
            self._penalize(connection.peer, "rate_limited", self.config.penalties.rate_limited)
            return
        if kind is MessageKind.PING:
            self._answer_ping(connection, payload)
        elif kind is MessageKind.PONG:
            if not connection.pong_received(payload):
                self.drops["unsolicited_pong"] += 1
        elif kind is MessageKind.DISCONNECT:
            reason = payload.decode("ascii", "replace")
            connection.close(f"remote:{_label(reason)}", notify_peer=False)
        elif kind is MessageKind.TX_BATCH:
            self._receive_batch(connection, payload)
        else:
            self._deliver(connection, kind, payload)

    def framing_failed(self, connection: PeerConnection, error: FrameError) -> None:
        self.drops[error.reason] += 1
        penalty = {
            "unknown_kind": self.config.penalties.unknown_kind,
            "oversized": self.config.penalties.oversized,
            "truncated": self.config.penalties.truncated,
            "frame_auth_failed": self.config.penalties.frame_auth_failed,
        }.get(error.reason, self.config.penalties.malformed_frame)
        log.info("peer 0x%s sent a bad frame: %s", connection.peer.hex(), error)
        self._penalize(connection.peer, error.reason, penalty)
        connection.close(error.reason)

    def connection_closed(self, connection: PeerConnection, reason: str) -> None:
        self.disconnects[reason.split(":", 1)[0] if reason.startswith("remote:") else reason] += 1
        self._limiter.forget(connection.session)
        self._retired.discard(connection)
        if self._sessions.get(connection.peer) is not connection:
            return
        del self._sessions[connection.peer]
        self._outgoing.forget(connection.peer)
        log.info("peer 0x%s disconnected: %s", connection.peer.hex(), reason)
        if self.on_peer_disconnected is not None:
            try:
                self.on_peer_disconnected(connection.peer, reason)
            except Exception:
                log.exception("on_peer_disconnected handler failed")

    # ---- internals -------------------------------------------------------------------------

    def _deliver(self, connection: PeerConnection, kind: MessageKind, payload: bytes) -> None:
        """Hand a frame to the node; a gossip copy is dropped unless it is the first, or a
        deliberate re-send.

        Gossip never sends a message twice on one session (``_fan_out`` skips sessions that
        have it), so a second copy from the session that already sent it comes from ``send``:
        the peer re-delivers because progress stalled (docs/consensus.md §13). The node may have
        dropped the first copy (a vote for a height it had not reached, or held by a consensus
        machine rebuilt since), so it gets this one, and it is not relayed again. One re-send per
        message and session is let through per ``config.resend_interval``; a faster one is
        dropped and counted (``drops["resend_too_soon"]``)."""
        msg_id: bytes | None = None
        if kind in GOSSIP_KINDS:
            msg_id = message_id(kind, payload)
            arrival = self._seen.receive(msg_id, connection.gossip_id)
            if arrival is Arrival.DUPLICATE:
                self.drops["duplicate"] += 1
                return
            if arrival is Arrival.RESENT_TOO_SOON:
                self.drops["resend_too_soon"] += 1
                return
            if arrival is Arrival.RESENT:
                self.resends_delivered += 1
                msg_id = None
        verdict: bool | None = None
        if self.on_message is not None:
            try:
                verdict = self.on_message(connection.peer, kind, payload)
            except Exception:
                self.drops["handler_error"] += 1
                log.exception("on_message handler failed for %s", kind.name)
                return
        if msg_id is not None and kind in self.config.relay_kinds and verdict is not False:
            if kind is MessageKind.TX:
                self._gossip_transaction(payload, msg_id, exclude=connection.gossip_id)
            else:
                self._fan_out(Frame(kind, payload), msg_id, exclude=connection.gossip_id)

    def _receive_batch(self, connection: PeerConnection, payload: bytes) -> None:
        """Each transaction of a TX_BATCH goes through ``_deliver`` as a TX of its own (the
        seen cache, the node's verdict, the relay); a batch that breaks the format or a bound
        (``tx_batch``) is dropped whole, counted under its reason and penalised like a
        malformed frame. The transactions also spend the session's TX rate budget."""
        try:
            transactions = decode_tx_batch(payload, self.config.frame_limits.cap(MessageKind.TX))
        except TxBatchError as error:
            self.drops[error.reason] += 1
            log.info("peer 0x%s sent a bad TX_BATCH: %s", connection.peer.hex(), error)
            self._penalize(connection.peer, error.reason, self.config.penalties.malformed_frame)
            return
        if not self._limiter.allow(connection.session, MessageKind.TX, len(transactions)):
            self.drops["rate_limited"] += 1
            self._penalize(connection.peer, "rate_limited", self.config.penalties.rate_limited)
            return
        self.tx_batches["received"] += 1
        self.tx_batches["received_transactions"] += len(transactions)
        for raw in transactions:
            self._deliver(connection, MessageKind.TX, raw)

    def _gossip_transaction(self, raw: bytes, msg_id: bytes, exclude: int | None) -> int:
        """``_fan_out`` for a transaction: into the next TX_BATCH of every session that does
        not have it."""
        queued = 0
        for connection in list(self._sessions.values()):
            if connection.gossip_id == exclude or connection.closed or connection.retired:
                continue
            if self._seen.has(msg_id, connection.gossip_id):
                continue
            self._queue_transaction(connection.peer, raw)
            self._seen.observe(msg_id, connection.gossip_id)
            queued += 1
        return queued

    def _queue_transaction(self, peer: PeerId, raw: bytes) -> None:
        for batch in self._outgoing.add(peer, raw):
            self._send_batch(peer, batch)
        if self._batch_timer is None:
            self._batch_timer = asyncio.get_running_loop().call_later(
                self.config.tx_batch_delay, self._flush_batches)

    def _flush_batches(self) -> None:
        self._batch_timer = None
        for peer, batch in self._outgoing.drain():
            self._send_batch(peer, batch)

    def _send_batch(self, peer: PeerId, batch: bytes) -> None:
        """To the peer's current session (a duplicate's successor, if it was replaced); a peer
        gone meanwhile gets the transactions again when it reconnects (the pool re-announce)."""
        connection = self._sessions.get(peer)
        if connection is not None and connection.enqueue(Frame(MessageKind.TX_BATCH, batch)):
            self.tx_batches["sent"] += 1
            self.tx_batches["sent_transactions"] += int.from_bytes(batch[:2], "big")

    def _fan_out(self, frame: Frame, msg_id: bytes | None, exclude: int | None) -> int:
        queued = 0
        for connection in list(self._sessions.values()):
            if connection.gossip_id == exclude:
                continue
            if msg_id is not None and self._seen.has(msg_id, connection.gossip_id):
                continue
            if connection.enqueue(frame):
                queued += 1
                if msg_id is not None:
                    self._seen.observe(msg_id, connection.gossip_id)
        return queued

    def _answer_ping(self, connection: PeerConnection, payload: bytes) -> None:
        if len(payload) != 8:
            self.drops["malformed_frame"] += 1
            self._penalize(connection.peer, "malformed_frame",
                           self.config.penalties.malformed_frame)
            connection.close("malformed_frame")
            return
        connection.enqueue(Frame(MessageKind.PONG, payload))

    def _outbound_frame(self, kind: MessageKind, payload: bytes) -> Frame:
        if not isinstance(kind, MessageKind) or kind not in APPLICATION_KINDS or \
                kind is MessageKind.TX_BATCH:
            raise OutboundMessageError(f"{kind!r} is not a kind the node may send (TX_BATCH: "
                                       f"the network batches TX messages itself)")
        if not isinstance(payload, bytes | bytearray | memoryview):
            raise OutboundMessageError(f"payload must be bytes, got {type(payload).__name__}")
        cap = self.config.frame_limits.cap(kind)
        if len(payload) > cap:
            raise OutboundMessageError(f"oversized: {kind.name} payload of {len(payload)} bytes "
                                       f"exceeds the cap of {cap}")
        return Frame(kind, bytes(payload))

    def _penalize(self, peer: PeerId, reason: str, penalty: float) -> None:
        if self.scores.penalize(peer, reason, penalty):
            log.warning("banning peer 0x%s after %s", peer.hex(), reason)
            connection = self._sessions.get(peer)
            if connection is not None:
                connection.close(f"banned:{reason}")

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            if self._stopped or len(self._sessions) + self._handshaking >= self.config.max_peers:
                self.handshake_failures["too_many_peers"] += 1
                writer.transport.abort()
                return
            await self._establish(reader, writer, INBOUND)
        except SessionError:
            pass
        except asyncio.CancelledError:
            writer.transport.abort()
            raise
        except Exception:
            log.exception("inbound connection failed")
            writer.transport.abort()

    async def _dial(self, host: str, port: int) -> PeerConnection:
        if self._stopped:
            raise SessionError("stopped", "network is stopped")
        async with asyncio.timeout(self.config.handshake_timeout):
            reader, writer = await asyncio.open_connection(host, port)
        return await self._establish(reader, writer, OUTBOUND)

    async def _establish(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         direction: str) -> PeerConnection:
        peername = writer.get_extra_info("peername") or ("?", 0)
        host, port = str(peername[0]), int(peername[1])
        role: Initiator | Responder
        if direction == OUTBOUND:
            role = Initiator(self.key, self.config.chain_id, os.urandom(32), self._ephemerals)
        else:
            role = Responder(self.key, self.config.chain_id, os.urandom(32), self._ephemerals)
        self._handshaking += 1
        try:
            async with asyncio.timeout(self.config.handshake_timeout):
                if isinstance(role, Initiator):
                    keys = await self._run_initiator(role, reader, writer)
                else:
                    keys = await self._run_responder(role, reader, writer)
        except HandshakeError as error:
            self._refuse(writer, error.reason, role.peer)
            raise SessionError(error.reason, error.detail, role.peer) from error
        except FrameError as error:
            self._refuse(writer, error.reason, role.peer)
            raise SessionError(error.reason, error.detail, role.peer) from error
        except TimeoutError as error:
            self._refuse(writer, "handshake_timeout", role.peer)
            raise SessionError("handshake_timeout", "handshake did not finish in time",
                               role.peer) from error
        except (PeerClosedError, ConnectionError, OSError) as error:
            self._refuse(writer, "connection_lost", role.peer, notify=False)
            raise SessionError("connection_lost", str(error), role.peer) from error
        finally:
            self._handshaking -= 1
        return self._register(reader, writer, keys, direction, host, port)

    async def _read_handshake_frame(self, reader: asyncio.StreamReader,
                                    expected: MessageKind) -> Frame:
        frame = await read_frame(reader, self.config.frame_limits, self.config.frame_timeout,
                                 HANDSHAKE_REPLIES)
        _expect(frame, expected)
        return frame

    def _admit(self, peer: PeerId) -> None:
        """The sentry rule and bans, applied to both directions once the peer's key is proven."""
        if self.config.allowlist is not None and peer not in self.config.allowlist:
            raise HandshakeError("not_allowlisted", f"0x{peer.hex()} is not in the allowlist")
        if self.scores.is_banned(peer):
            raise HandshakeError("banned", f"0x{peer.hex()} is banned")

    async def _run_initiator(self, role: Initiator, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> Session:
        writer.write(encode_frame(MessageKind.HELLO, role.hello()))
        frame = await self._read_handshake_frame(reader, MessageKind.HELLO)
        self._admit(role.on_hello(frame.payload))
        writer.write(encode_frame(MessageKind.AUTH, role.auth()))
        frame = await self._read_handshake_frame(reader, MessageKind.AUTH)
        return role.on_accept(frame.payload)

    async def _run_responder(self, role: Responder, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> Session:
        frame = await self._read_handshake_frame(reader, MessageKind.HELLO)
        writer.write(encode_frame(MessageKind.HELLO, role.on_hello(frame.payload)))
        frame = await self._read_handshake_frame(reader, MessageKind.AUTH)
        peer = role.on_auth(frame.payload)
        self._admit(peer)
        self._check_duplicate(peer, INBOUND)
        accept, keys = role.accept()
        writer.write(accept)
        return keys

    def _refuse(self, writer: asyncio.StreamWriter, reason: str, peer: PeerId | None,
                *, notify: bool = True, keys: Session | None = None) -> None:
        """Count and close. During the handshake the DISCONNECT goes in the clear (there are no
        keys yet); once both sides hold keys (``keys``) it is sealed like every other frame."""
        # a peer-supplied refusal text is not a counter key: hostile peers could mint millions
        self.handshake_failures[reason.split(":", 1)[0]] += 1
        log.info("handshake with %s failed: %s", f"0x{peer.hex()}" if peer else "unknown peer",
                 reason)
        transport = writer.transport
        if notify and not transport.is_closing() and not reason.startswith("remote_refused"):
            goodbye = reason.encode()[:200]
            transport.write(encode_frame(MessageKind.DISCONNECT, goodbye) if keys is None
                            else seal_frame(keys.send, MessageKind.DISCONNECT, goodbye))
            transport.close()
            asyncio.get_running_loop().call_later(1.0, transport.abort)
        else:
            transport.abort()

    def _check_duplicate(self, peer: PeerId, direction: str) -> None:
        """Refuse, before any key is used, a session the pair would not keep."""
        existing = self._sessions.get(peer)
        if existing is not None and not (self._preferred(peer, direction)
                                         and not self._preferred(peer, existing.direction)):
            raise HandshakeError("duplicate_connection", "already connected")

    def _register(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  keys: Session, direction: str, host: str, port: int) -> PeerConnection:
        peer = keys.peer
        if self._stopped:
            self._refuse(writer, "stopped", peer, keys=keys)
            raise SessionError("stopped", "network is stopped", peer)
        self._session_counter += 1
        connection = PeerConnection(self, self.config, reader, writer,
                                    session=self._session_counter, keys=keys, direction=direction,
                                    host=host, port=port, connected_since=self._wall_clock())
        connection.start()
        existing = self._sessions.get(peer)
        if existing is not None:
            # Both ends keep the session dialled by the lower address; the other one is retired
            # (drained, not dropped), so nothing either side sent on it is lost.
            if self._preferred(peer, direction) and not self._preferred(peer, existing.direction):
                connection.gossip_id = existing.gossip_id
                existing.retire("replaced_by_duplicate", connection)
                self._retired.add(existing)
            else:
                self.handshake_failures["duplicate_connection"] += 1
                connection.gossip_id = existing.gossip_id
                connection.retire("duplicate_connection", existing)
                self._retired.add(connection)
                raise SessionError("duplicate_connection", "already connected", peer)
        self._sessions[peer] = connection
        log.info("peer 0x%s connected (%s)", peer.hex(), direction)
        if self.on_peer_connected is not None and existing is None:
            try:
                self.on_peer_connected(peer)
            except Exception:
                log.exception("on_peer_connected handler failed")
        return connection

    def _preferred(self, peer: PeerId, direction: str) -> bool:
        """Of two sessions between the same pair, both sides keep the one dialled by the lower
        address, so simultaneous dials converge on one session instead of killing each other."""
        dialer = self.key.address if direction == OUTBOUND else peer
        return dialer == min(self.key.address, peer)

    async def _dial_loop(self, host: str, port: int) -> None:
        attempt = 0
        known: PeerId | None = None
        while not self._stopped:
            existing = self._sessions.get(known) if known is not None else None
            if existing is not None:
                await existing.wait_closed()
                attempt = 0
            else:
                try:
                    connection = await self._dial(host, port)
                    known, attempt = connection.peer, 0
                    await connection.wait_closed()
                except SessionError as error:
                    known = error.peer or known
                    if error.reason == "self_connection":
                        log.warning("static peer %s:%s is this node; not dialling it", host, port)
                        return
                    if error.reason in DUPLICATE_REASONS and known in self._sessions:
                        continue
                except (OSError, TimeoutError):
                    pass
            await asyncio.sleep(reconnect_delay(attempt, self.config.reconnect_initial,
                                                self.config.reconnect_max, self._rng.uniform))
            attempt += 1


def _expect(frame: Frame, kind: MessageKind) -> None:
    if frame.kind is MessageKind.DISCONNECT:
        reason = _label(frame.payload.decode("ascii", "replace"))
        raise HandshakeError(f"remote_refused:{reason}", "peer closed the handshake")
    if frame.kind is not kind:
        raise HandshakeError("protocol_violation", f"expected {kind.name}, got {frame.kind.name}")


def _label(text: str) -> str:
    """A peer-supplied reason, reduced to something safe to log and to use as a counter key."""
    cleaned = "".join(ch if ch.isalnum() or ch in "_-:." else "_" for ch in text[:64])
    return cleaned or "unspecified"
