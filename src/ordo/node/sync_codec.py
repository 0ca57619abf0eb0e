"""Wire formats of block sync: STATUS, BLOCK_REQUEST and BLOCK_RESPONSE payloads.

A node tells its peers where its chain ends (STATUS); one that is behind asks a peer ahead for a
range (BLOCK_REQUEST) and gets the blocks with their commit certificates (BLOCK_RESPONSE), which
it checks itself. Every decoder validates every field and raises SyncCodecError with the reason.

Layouts (RLP): status ``[head, head_hash, finalized]``; request ``[start, count]``; response
``[[block_bytes, certificate_bytes], ...]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp

MAX_REQUEST_COUNT = 64
MAX_NUMBER = 2**64 - 1


class SyncCodecError(ValueError):
    """A sync payload that is not well formed; the message says which field."""


@dataclass(frozen=True)
class ChainStatus:
    head: int
    head_hash: bytes
    finalized: int


@dataclass(frozen=True)
class BlockRequest:
    start: int
    count: int


@dataclass(frozen=True)
class BlockResponse:
    """(canonical block bytes, encoded certificate) in ascending height order."""

    entries: tuple[tuple[bytes, bytes], ...]


def encode_status(status: ChainStatus) -> bytes:
    return bytes(rlp.encode([status.head, status.head_hash, status.finalized]))


def decode_status(data: bytes) -> ChainStatus:
    head, head_hash, finalized = _list(_decode(data, "status"), 3, "status")
    status = ChainStatus(_int(head, "status head"), _bytes(head_hash, "status head hash", 32),
                         _int(finalized, "status finalized"))
    if status.finalized > status.head:
        raise SyncCodecError("status: finalized is above head")
    return status


def encode_request(request: BlockRequest) -> bytes:
    return bytes(rlp.encode([request.start, request.count]))


def decode_request(data: bytes) -> BlockRequest:
    start, count = _list(_decode(data, "block request"), 2, "block request")
    request = BlockRequest(_int(start, "request start"), _int(count, "request count"))
    if request.start < 1:
        raise SyncCodecError("block request: start must be at least 1")
    if not 1 <= request.count <= MAX_REQUEST_COUNT:
        raise SyncCodecError(f"block request: count must be 1..{MAX_REQUEST_COUNT}")
    return request


def encode_response(response: BlockResponse) -> bytes:
    return bytes(rlp.encode([[block, certificate] for block, certificate in response.entries]))


def decode_response(data: bytes) -> BlockResponse:
    items = _decode(data, "block response")
    if not isinstance(items, list):
        raise SyncCodecError("block response: expected a list")
    if len(items) > MAX_REQUEST_COUNT:
        raise SyncCodecError(f"block response: more than {MAX_REQUEST_COUNT} blocks")
    entries = []
    for index, item in enumerate(items):
        block, certificate = _list(item, 2, f"block response entry {index}")
        entries.append((_bytes(block, f"block response entry {index} block"),
                        _bytes(certificate, f"block response entry {index} certificate")))
    return BlockResponse(tuple(entries))


def _decode(data: bytes, what: str) -> Any:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SyncCodecError(f"{what}: expected bytes")
    try:
        return rlp.decode(bytes(data), strict=True)
    except Exception as error:  # rlp raises several unrelated types for junk
        raise SyncCodecError(f"{what}: malformed RLP: {error}") from error


def _list(item: Any, length: int, what: str) -> list[Any]:
    if not isinstance(item, list) or len(item) != length:
        raise SyncCodecError(f"{what}: expected a list of {length} items")
    return item


def _bytes(item: Any, what: str, length: int | None = None) -> bytes:
    if not isinstance(item, bytes):
        raise SyncCodecError(f"{what}: expected a byte string")
    if length is not None and len(item) != length:
        raise SyncCodecError(f"{what}: expected {length} bytes, got {len(item)}")
    return item


def _int(item: Any, what: str) -> int:
    raw = _bytes(item, what)
    if len(raw) > 8:
        raise SyncCodecError(f"{what}: integer longer than 8 bytes")
    if raw[:1] == b"\x00":
        raise SyncCodecError(f"{what}: integer with leading zero")
    return int.from_bytes(raw, "big")
