"""What a hostile peer does on the wire, as coroutines for the cluster's loop thread: raw bytes
before any handshake, broken handshakes, and a properly authenticated outsider sending junk."""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
from dataclasses import dataclass

from ordo.network.frame_codec import Frame
from ordo.network.handshake import Initiator
from ordo.network.message_kind import MessageKind
from ordo.network.node_key import NodeKey
from ordo.network.stream_frames import PeerClosedError
from tests.network.network_test_peer import RawPeer

HEADER = struct.Struct(">IB")


def header(length: int, kind: int) -> bytes:
    return HEADER.pack(length, kind)


@dataclass(frozen=True)
class Ending:
    """How a hostile conversation ended: the node's goodbye reason (None if it just closed,
    or if it was still open when we gave up waiting) and whether it closed at all."""

    closed: bool
    reason: str | None
    frames: tuple[Frame, ...]


async def read_to_end(peer: RawPeer, timeout: float) -> Ending:
    """Frames until the node closes the connection or ``timeout`` passes."""
    frames: list[Frame] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return Ending(False, None, tuple(frames))
            frames.append(await peer.read(remaining))
            if frames[-1].kind is MessageKind.DISCONNECT:
                return Ending(True, frames[-1].payload.decode(), tuple(frames))
    except (PeerClosedError, ConnectionError, asyncio.IncompleteReadError):
        return Ending(True, None, tuple(frames))
    except TimeoutError:
        return Ending(False, None, tuple(frames))
    finally:
        peer.close()


async def send_raw_and_leave(port: int, data: bytes, wait_for_close: float) -> Ending:
    """Connect, write ``data`` without any handshake, then see whether the node hangs up."""
    peer = await RawPeer.open(port)
    peer.send_raw(data)
    await peer.writer.drain()
    return await read_to_end(peer, wait_for_close)


async def authenticated(port: int, chain_id: int, key: NodeKey | None = None) -> RawPeer:
    """A peer that completed the handshake with a key of its own (not a validator's)."""
    peer = await RawPeer.open(port, key)
    await asyncio.wait_for(peer.handshake(chain_id), 10)
    return peer


async def send_frames_and_watch(port: int, chain_id: int, frames: list[bytes],
                                wait_for_close: float) -> Ending:
    peer = await authenticated(port, chain_id)
    for frame in frames:
        peer.send_wire(frame)  # sealed, as an authenticated peer's frames are
    with contextlib.suppress(ConnectionError):
        await peer.writer.drain()
    return await read_to_end(peer, wait_for_close)


def fresh_nonce() -> bytes:
    return os.urandom(32)


def hello_of(key: NodeKey, chain_id: int) -> tuple[Initiator, bytes]:
    handshake = Initiator(key, chain_id, fresh_nonce())
    return handshake, handshake.hello()
