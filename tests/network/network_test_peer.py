"""A hand-driven peer for tests: speaks the handshake with the pure classes, then lets a test
send arbitrary bytes, including junk a real node would never send."""

from __future__ import annotations

import asyncio
import os

from ordo.network.frame_codec import Frame, FrameLimits, encode_frame
from ordo.network.handshake import Handshake
from ordo.network.message_kind import MessageKind
from ordo.network.node_key import NodeKey, PeerId
from ordo.network.stream_frames import PeerClosedError, read_frame

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

    @classmethod
    async def open(cls, port: int, key: NodeKey | None = None) -> RawPeer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peer = cls(reader, writer, key or NodeKey.generate())
        OPEN_PEERS.append(peer)
        return peer

    async def handshake(self, chain_id: int) -> PeerId:
        handshake = Handshake(self.key, chain_id, os.urandom(32))
        self.send(MessageKind.HELLO, handshake.hello())
        hello = await self.read()
        expect(hello, MessageKind.HELLO)
        self.send(MessageKind.AUTH, handshake.on_peer_hello(hello.payload))
        auth = await self.read()
        expect(auth, MessageKind.AUTH)
        return handshake.on_peer_auth(auth.payload)

    def send(self, kind: MessageKind, payload: bytes) -> None:
        self.writer.write(encode_frame(kind, payload))

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    async def read(self, timeout: float = 5.0) -> Frame:
        return await asyncio.wait_for(read_frame(self.reader, LIMITS, timeout), timeout)

    async def read_until_closed(self, timeout: float = 5.0) -> list[Frame]:
        """Frames received until the other side closes; fails the test if it never does."""
        frames: list[Frame] = []
        async with asyncio.timeout(timeout):
            while True:
                try:
                    frames.append(await read_frame(self.reader, LIMITS, timeout))
                except (PeerClosedError, ConnectionError):
                    return frames

    def close(self) -> None:
        self.writer.close()
        self.writer.transport.abort()
