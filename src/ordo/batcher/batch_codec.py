"""Batch payloads: blocks -> compact encoding -> zstd, and the split of a run of blocks into
payloads that each fit one calldata or blob transaction.

A payload is ``version byte 0x01 || zstd frame (content size in the header)`` of
:func:`ordo.core.batch_blocks.encode_blocks`. zstd at level 19 was chosen over brotli by
``bench/batch_compression.py`` on a realistic mix: brotli at quality 11 is about 1% smaller, but
compresses about 8 times slower and decompresses 10 times slower (every verifier decompresses
every batch), and zstd was already a dependency. See docs/posting.md.

Decoding refuses a frame without a declared content size or one above
MAX_DECOMPRESSED_BYTES before decompressing, so a small payload cannot make a verifier allocate
gigabytes. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import zstandard

from ordo.batcher.blob_packing import MAX_PAYLOAD_IN_BLOBS
from ordo.core.batch_blocks import BatchBlock, decode_blocks, encode_blocks

PAYLOAD_VERSION = 1
ZSTD_LEVEL = 19
MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024
CALLDATA_PAYLOAD_LIMIT = 120_000
"""RollupInbox.MAX_PAYLOAD: under geth's 128 KiB transaction size limit with the header and
signatures beside it."""
BLOB_PAYLOAD_LIMIT = MAX_PAYLOAD_IN_BLOBS
"""Six blobs of 4096 field elements x 31 bytes, less the 4-byte length prefix."""


class BatchCodecError(ValueError):
    """A payload that is not a valid compressed batch, or blocks that cannot fit a payload."""


def compress_blocks(blocks: Sequence[BatchBlock]) -> bytes:
    encoded = encode_blocks(blocks)
    frame = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True).compress(encoded)
    return bytes([PAYLOAD_VERSION]) + frame


def decompress_blocks(payload: bytes) -> tuple[BatchBlock, ...]:
    """The blocks in ``payload``; BatchCodecError (or its BlockEncodingError cause) says what is
    wrong with it."""
    if not payload:
        raise BatchCodecError("empty payload")
    if payload[0] != PAYLOAD_VERSION:
        raise BatchCodecError(f"payload version {payload[0]}, this codec reads "
                              f"{PAYLOAD_VERSION}")
    frame = payload[1:]
    try:
        size = zstandard.frame_content_size(frame)
    except zstandard.ZstdError as error:
        raise BatchCodecError(f"not a zstd frame: {error}") from error
    if size < 0:
        raise BatchCodecError("zstd frame does not declare its content size")
    if size > MAX_DECOMPRESSED_BYTES:
        raise BatchCodecError(f"zstd frame declares {size} bytes, above "
                              f"{MAX_DECOMPRESSED_BYTES}")
    try:
        encoded = zstandard.ZstdDecompressor().decompress(frame, max_output_size=size)
    except zstandard.ZstdError as error:
        raise BatchCodecError(f"zstd frame does not decompress: {error}") from error
    if len(encoded) != size:
        raise BatchCodecError(f"zstd frame declared {size} bytes and held {len(encoded)}")
    return decode_blocks(encoded)


@dataclass(frozen=True)
class BatchPayload:
    blocks: tuple[BatchBlock, ...]
    payload: bytes

    @property
    def first_block(self) -> int:
        return self.blocks[0].number

    @property
    def last_block(self) -> int:
        return self.blocks[-1].number


def split_into_payloads(blocks: Sequence[BatchBlock], limit: int) -> list[BatchPayload]:
    """``blocks`` cut, in order, into as few payloads of at most ``limit`` bytes as a greedy
    cut gives: each payload takes the longest prefix of the remaining blocks that fits.

    The longest fitting prefix is found by doubling then bisecting the block count, so each
    payload costs O(log n) compressions rather than one per block. A block that alone does not
    fit is an error naming it: a batch never splits a block.
    """
    if limit <= 1:
        raise BatchCodecError(f"limit: {limit} bytes cannot hold a payload")
    remaining = list(blocks)
    payloads: list[BatchPayload] = []
    while remaining:
        single = compress_blocks(remaining[:1])
        if len(single) > limit:
            raise BatchCodecError(f"block {remaining[0].number} alone compresses to "
                                  f"{len(single)} bytes, over the {limit}-byte limit")
        fits, fitting_payload = 1, single
        probe = 2
        too_many = len(remaining) + 1
        while probe <= len(remaining):  # doubling: find a count that does not fit
            candidate = compress_blocks(remaining[:probe])
            if len(candidate) > limit:
                too_many = probe
                break
            fits, fitting_payload = probe, candidate
            probe *= 2
        if too_many > len(remaining) and fits < len(remaining):
            candidate = compress_blocks(remaining)
            if len(candidate) <= limit:
                fits, fitting_payload = len(remaining), candidate
            else:
                too_many = len(remaining)
        while too_many - fits > 1:  # bisect between a count that fits and one that does not
            middle = (fits + too_many) // 2
            candidate = compress_blocks(remaining[:middle])
            if len(candidate) <= limit:
                fits, fitting_payload = middle, candidate
            else:
                too_many = middle
        payloads.append(BatchPayload(tuple(remaining[:fits]), fitting_payload))
        remaining = remaining[fits:]
    return payloads
