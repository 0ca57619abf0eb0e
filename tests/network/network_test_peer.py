"""A hand-driven peer for tests: speaks the handshake with the pure classes, then lets a test
send arbitrary bytes, including junk a real node would never send.

After ``handshake`` the peer holds the session's ciphers: ``send`` seals a frame and ``read``
opens one, as a node does. ``send_raw`` writes bytes as given (junk on the wire, or forged
frames a man in the middle would inject); ``send_wire`` takes cleartext-framed bytes, possibly
malformed, and seals every whole frame in them, so junk *inside* an authenticated session (an
unknown kind, an oversized or cut-short frame) still reaches the node as its own peer would
send it.
"""

from __future__ import annotations

import asyncio
import os

from ordo.network.frame_codec import HEADER_SIZE, Frame, FrameLimits, encode_frame, frame_header
from ordo.network.handshake import Initiator, Session
from ordo.network.message_kind import MessageKind, parse_kind
from ordo.network.node_key import NodeKey, PeerId
from ordo.network.sealed_frames import seal_frame
from ordo.network.stream_frames import PeerClosedError, read_frame
from ordo.network.transcript import TAG_SIZE

LIMITS = FrameLimits()
OPEN_PEERS: list[RawPeer] = []
"""Every RawPeer opened, so the test fixture can close whatever a test left open."""


class RefusedError(Exception):
    """The node answered the handshake with DISCONNECT; the message is its reason."""


def expect(frame: Frame, kind: MessageKind) -> None:
    if frame.kind is MessageKind.DISCONNECT:
        raise RefusedError(frame.payload.decode())
    assert frame.kind is kind, frame


class RawPeer:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 key: NodeKey) -> None:
        self.reader = reader
        self.writer = writer
        self.key = key
        self.session: Session | None = None
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def open(cls, port: int, key: NodeKey | None = None) -> RawPeer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peer = cls(reader, writer, key or NodeKey.generate())
        OPEN_PEERS.append(peer)
        return peer

    async def handshake(self, chain_id: int) -> PeerId:
        initiator = Initiator(self.key, chain_id, os.urandom(32))
        self.writer.write(encode_frame(MessageKind.HELLO, initiator.hello()))
        hello = await self.read()
        expect(hello, MessageKind.HELLO)
        node = initiator.on_hello(hello.payload)
        self.writer.write(encode_frame(MessageKind.AUTH, initiator.auth()))
        accept = await self.read()
        expect(accept, MessageKind.AUTH)
        self.session = initiator.on_accept(accept.payload)
        return node

    def send(self, kind: MessageKind, payload: bytes) -> None:
        if self.session is None:
            self.writer.write(encode_frame(kind, payload))
        else:
            self.writer.write(seal_frame(self.session.send, kind, payload))

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def send_wire(self, data: bytes) -> None:
        """Seal each whole frame of a cleartext stream; a header whose kind is unknown, or whose
        payload is not all there, goes out with its length grown by the tag and no seal, as a
        peer's broken encoder would send it."""
        assert self.session is not None, "send_wire is for junk inside a session"
        view = memoryview(data)
        while len(view) >= HEADER_SIZE:
            length = int.from_bytes(view[:4], "big")
            kind = parse_kind(view[4])
            grown = min(length + TAG_SIZE, 2**32 - 1)
            if kind is None or len(view) < HEADER_SIZE + length:
                self.writer.write(grown.to_bytes(4, "big") + bytes(view[4:]))
                return
            payload = bytes(view[HEADER_SIZE:HEADER_SIZE + length])
            header = frame_header(length + TAG_SIZE, kind)
            self.writer.write(header + self.session.send.seal(header, payload))
            view = view[HEADER_SIZE + length:]
        self.writer.write(bytes(view))

    async def read(self, timeout: float = 5.0) -> Frame:
        cipher = None if self.session is None else self.session.receive
        return await asyncio.wait_for(read_frame(self.reader, LIMITS, timeout, cipher=cipher),
                                      timeout)

    async def read_until_closed(self, timeout: float = 5.0) -> list[Frame]:
        """Frames received until the other side closes; fails the test if it never does."""
        frames: list[Frame] = []
        async with asyncio.timeout(timeout):
            while True:
                try:
                    frames.append(await self.read(timeout))
                except (PeerClosedError, ConnectionError):
                    return frames

    def close(self) -> None:
        """Close the connection. A peer left open by an earlier test (tests/fuzz opens them
        without the fixture that closes them) died with that test's event loop: closing it
        from a later test's teardown raised 'Event loop is closed'."""
        if self.loop.is_closed():
            return
        self.writer.close()
        self.writer.transport.abort()
