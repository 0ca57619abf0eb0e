"""A man in the middle for transport tests, built on the chaos harness's link proxy: the same
accept-and-forward machinery, with a pump that records every byte and can flip one byte of the
first frame of a chosen kind (frame headers are in the clear, so it can find its target)."""

from __future__ import annotations

import asyncio

from ordo.chaos.link_proxy import CHUNK, LinkProxy
from ordo.network.frame_codec import HEADER_SIZE
from ordo.network.message_kind import MessageKind


class FrameCursor:
    """Follows frame boundaries in one direction of a stream, chunk by chunk."""

    def __init__(self) -> None:
        self.offset = 0
        self.next_header = 0
        self.header = bytearray()

    def headers_in(self, chunk: bytes) -> list[tuple[int, int, int]]:
        """(offset of the header in this chunk, body length, kind) of headers that end here."""
        found: list[tuple[int, int, int]] = []
        position = 0
        while position < len(chunk):
            absolute = self.offset + position
            if absolute < self.next_header:
                position = self.next_header - self.offset
                continue
            take = min(HEADER_SIZE - len(self.header), len(chunk) - position)
            self.header += chunk[position:position + take]
            position += take
            if len(self.header) == HEADER_SIZE:
                length, kind = int.from_bytes(self.header[:4], "big"), self.header[4]
                found.append((position - HEADER_SIZE, length, kind))
                self.next_header = self.offset + position + length
                self.header.clear()
        self.offset += len(chunk)
        return found


class MiddleProxy(LinkProxy):
    def __init__(self, target_port: int, tamper_kind: MessageKind | None = None,
                 tamper_at: int = 0) -> None:
        super().__init__(0, 1, target_port, seed=0)
        self.recorded = bytearray()
        self.tamper_kind = tamper_kind
        self.tamper_at = tamper_at
        """Which byte of the frame to flip: 0-4 are the header, 5 on the sealed body."""
        self.tampered = 0

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cursor = FrameCursor()
        try:
            while True:
                chunk = bytearray(await reader.read(CHUNK))
                if not chunk:
                    return
                for start, _, kind in cursor.headers_in(bytes(chunk)):
                    if self.tamper_kind is not None and kind == self.tamper_kind \
                            and not self.tampered and 0 <= start + self.tamper_at < len(chunk):
                        chunk[start + self.tamper_at] ^= 0x01
                        self.tampered += 1
                self.recorded += chunk
                writer.write(bytes(chunk))
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            return
