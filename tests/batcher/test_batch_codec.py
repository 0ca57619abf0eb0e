"""Compressed payloads round-trip, refuse what is not a payload, and split runs of blocks under
a size limit."""

from __future__ import annotations

import itertools
import random

import pytest
import zstandard
from hypothesis import given, settings

from ordo.batcher.batch_codec import (
    CALLDATA_PAYLOAD_LIMIT,
    MAX_DECOMPRESSED_BYTES,
    BatchCodecError,
    compress_blocks,
    decompress_blocks,
    split_into_payloads,
)
from ordo.core.batch_blocks import BatchBlock
from tests.batcher.block_strategies import block_runs

COINBASE = b"\xc0" * 20


def noisy_blocks(count: int, transactions: int, size: int, seed: int = 1) -> list[BatchBlock]:
    """Blocks of incompressible transactions, so payload sizes follow block counts."""
    source = random.Random(seed)
    return [BatchBlock(number, 1_000 + 2 * number, COINBASE, 30_000_000, b"", bytes(32),
                       tuple(source.randbytes(size) for _ in range(transactions)))
            for number in range(1, count + 1)]


@settings(max_examples=150, deadline=None)
@given(block_runs())
def test_round_trips_exactly(blocks: list[BatchBlock]) -> None:
    assert decompress_blocks(compress_blocks(blocks)) == tuple(blocks)


def test_refuses_what_is_not_a_payload() -> None:
    payload = compress_blocks(noisy_blocks(2, 2, 50))
    with pytest.raises(BatchCodecError, match="empty payload"):
        decompress_blocks(b"")
    with pytest.raises(BatchCodecError, match="payload version 2"):
        decompress_blocks(b"\x02" + payload[1:])
    with pytest.raises(BatchCodecError, match="not a zstd frame"):
        decompress_blocks(b"\x01not zstd")
    with pytest.raises(BatchCodecError, match="does not decompress"):
        decompress_blocks(payload[:-5])
    unsized = zstandard.ZstdCompressor(write_content_size=False).compress(b"\x01" * 10)
    with pytest.raises(BatchCodecError, match="does not declare its content size"):
        decompress_blocks(b"\x01" + unsized)
    bomb = zstandard.ZstdCompressor().compress(bytes(MAX_DECOMPRESSED_BYTES + 1))
    assert len(bomb) < 4_000
    with pytest.raises(BatchCodecError, match="above"):
        decompress_blocks(b"\x01" + bomb)


def test_split_keeps_every_payload_under_the_limit_and_every_block_in_order() -> None:
    blocks = noisy_blocks(60, 4, 200)  # ~ 800 incompressible bytes per block
    limit = 10_000
    payloads = split_into_payloads(blocks, limit)
    assert len(payloads) >= 5
    assert all(len(entry.payload) <= limit for entry in payloads)
    assert [block for entry in payloads for block in entry.blocks] == blocks
    for entry in payloads:
        assert decompress_blocks(entry.payload) == entry.blocks
    # greedy: adding the next block to any payload but the last would overflow it
    for entry, following in itertools.pairwise(payloads):
        assert len(compress_blocks([*entry.blocks, following.blocks[0]])) > limit
    assert (payloads[0].first_block, payloads[-1].last_block) == (1, 60)


def test_split_of_blocks_that_fit_at_once_is_one_payload() -> None:
    blocks = noisy_blocks(7, 2, 100)
    (single,) = split_into_payloads(blocks, CALLDATA_PAYLOAD_LIMIT)
    assert single.blocks == tuple(blocks)


def test_a_block_too_big_for_any_payload_is_named() -> None:
    blocks = noisy_blocks(3, 1, 100)
    source = random.Random(3)
    big = BatchBlock(4, 2_000, COINBASE, 1, b"", bytes(32),
                     tuple(source.randbytes(1_000) for _ in range(30)))
    with pytest.raises(BatchCodecError, match="block 4 alone compresses to"):
        split_into_payloads([*blocks, big], 10_000)
