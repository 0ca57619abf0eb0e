"""Reading and writing frames on asyncio streams: the thin shell around the frame codec."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from ordo.network.frame_codec import HEADER_SIZE, Frame, FrameError, FrameLimits, decode_header
from ordo.network.message_kind import MessageKind
from ordo.network.sealed_frames import CipherState, open_frame
from ordo.network.transcript import TAG_SIZE


class PeerClosedError(Exception):
    """The peer closed its end cleanly, between frames."""


async def read_frame(reader: asyncio.StreamReader, limits: FrameLimits, frame_timeout: float,
                     allowed: Collection[MessageKind] | None = None,
                     cipher: CipherState | None = None) -> Frame:
    """Next frame; the header is checked before the payload is read, so caps bound memory.

    ``allowed`` restricts the kinds accepted, checked from the header too: an unauthenticated
    peer must not make us read a 16 MiB proposal only to learn it was not a HELLO.

    Waiting for a header is unbounded (keepalive handles idle peers); once a header has arrived
    the rest must follow within ``frame_timeout`` or the frame counts as truncated.

    With ``cipher`` (every frame after the handshake) the body is sealed: the cap allows for the
    tag, and a body that does not open raises FrameError('frame_auth_failed').
    """
    overhead = 0 if cipher is None else TAG_SIZE
    try:
        first = await reader.readexactly(1)
    except asyncio.IncompleteReadError as error:
        raise PeerClosedError() from error
    try:
        async with asyncio.timeout(frame_timeout):
            header = first + await reader.readexactly(HEADER_SIZE - 1)
            kind, length = decode_header(header, limits, overhead)
            if allowed is not None and kind not in allowed:
                raise FrameError("protocol_violation", f"{kind.name} is not allowed here")
            payload = await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as error:
        raise FrameError("truncated", "stream ended inside a frame") from error
    except TimeoutError as error:
        raise FrameError("truncated", f"frame incomplete after {frame_timeout} s") from error
    if cipher is not None:
        payload = open_frame(cipher, kind, payload)
    return Frame(kind, payload)
