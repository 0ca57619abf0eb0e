"""Length-prefixed frames: 4-byte big-endian payload length, 1-byte kind, then the payload.

The length and kind arrive together in a 5-byte header, so a frame is checked against its kind's
cap before a single payload byte is read or buffered: an attacker's 4 GiB length prefix costs us
five bytes, not an allocation.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from ordo.network.message_kind import DEFAULT_PAYLOAD_CAPS, MessageKind, parse_kind

HEADER_SIZE = 5
_HEADER = struct.Struct(">IB")
MAX_FRAME_PAYLOAD = 64 * 1024 * 1024
"""Hard ceiling for any configured cap; the 4-byte length could otherwise claim 4 GiB."""


class FrameError(Exception):
    """Bytes from a peer that are not a valid frame. ``reason`` is a short, countable label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Frame:
    kind: MessageKind
    payload: bytes


class FrameLimits:
    """Per-kind payload caps. Validated once so the hot path is a dictionary lookup."""

    def __init__(self, caps: Mapping[MessageKind, int] | None = None) -> None:
        merged = dict(DEFAULT_PAYLOAD_CAPS)
        if caps:
            merged.update(caps)
        for kind, cap in merged.items():
            if not isinstance(kind, MessageKind):
                raise ValueError(f"payload cap key {kind!r} is not a MessageKind")
            if not isinstance(cap, int) or not 0 <= cap <= MAX_FRAME_PAYLOAD:
                raise ValueError(f"payload cap for {kind.name}: {cap!r} is not an integer from 0 "
                                 f"to {MAX_FRAME_PAYLOAD}")
        self._caps = merged

    def cap(self, kind: MessageKind) -> int:
        return self._caps[kind]


DEFAULT_LIMITS = FrameLimits()


def encode_frame(kind: MessageKind, payload: bytes, limits: FrameLimits = DEFAULT_LIMITS) -> bytes:
    """Raises FrameError if the payload exceeds the kind's cap: our own peers would drop us."""
    cap = limits.cap(kind)
    if len(payload) > cap:
        raise FrameError("oversized", f"{kind.name} payload of {len(payload)} bytes exceeds the "
                                      f"cap of {cap}")
    return frame_header(len(payload), kind) + payload


def frame_header(length: int, kind: MessageKind) -> bytes:
    return _HEADER.pack(length, int(kind))


def decode_header(header: bytes, limits: FrameLimits = DEFAULT_LIMITS,
                  overhead: int = 0) -> tuple[MessageKind, int]:
    """Kind and body length of a 5-byte header, checked against the kind's cap.

    ``overhead`` is what a sealed frame adds to its payload (the authentication tag), so the cap
    still bounds the payload, exactly as for a cleartext frame.
    """
    if len(header) != HEADER_SIZE:
        raise FrameError("truncated", f"frame header has {len(header)} of {HEADER_SIZE} bytes")
    length, kind_byte = _HEADER.unpack(header)
    kind = parse_kind(kind_byte)
    if kind is None:
        raise FrameError("unknown_kind", f"message kind {kind_byte} is not defined")
    cap = limits.cap(kind)
    if length > cap + overhead:
        raise FrameError("oversized", f"{kind.name} frame announces {length} bytes, cap is "
                                      f"{cap + overhead}")
    return kind, length


class FrameDecoder:
    """Incremental decoder for a byte stream. Buffers at most one header plus one capped payload.

    After a FrameError the stream cannot be resynchronised, so the decoder stays failed.
    """

    def __init__(self, limits: FrameLimits = DEFAULT_LIMITS) -> None:
        self._limits = limits
        self._buffer = bytearray()
        self._pending: tuple[MessageKind, int] | None = None
        self._failed: FrameError | None = None

    def feed(self, data: bytes) -> list[Frame]:
        if self._failed is not None:
            raise self._failed
        self._buffer += data
        frames: list[Frame] = []
        try:
            while True:
                if self._pending is None:
                    if len(self._buffer) < HEADER_SIZE:
                        return frames
                    self._pending = decode_header(bytes(self._buffer[:HEADER_SIZE]), self._limits)
                    del self._buffer[:HEADER_SIZE]
                kind, length = self._pending
                if len(self._buffer) < length:
                    return frames
                frames.append(Frame(kind, bytes(self._buffer[:length])))
                del self._buffer[:length]
                self._pending = None
        except FrameError as error:
            self._failed = error
            self._buffer.clear()
            raise

    def finish(self) -> None:
        """Call at end of stream: a partial frame left over means the peer cut it short."""
        if self._failed is None and (self._buffer or self._pending is not None):
            raise FrameError("truncated", "stream ended inside a frame")

    @property
    def buffered(self) -> int:
        return len(self._buffer)
