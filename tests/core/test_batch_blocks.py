"""The compact block encoding round-trips exactly and accepts one encoding per run of blocks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordo.core.batch_blocks import (
    BatchBlock,
    BlockEncodingError,
    decode_blocks,
    encode_blocks,
)
from tests.batcher.block_strategies import block_runs

COINBASE = b"\xc0" * 20
MIX = b"\x11" * 32


def block(number: int, timestamp: int = 100, *, coinbase: bytes = COINBASE,
          transactions: tuple[bytes, ...] = (b"\x02tx",)) -> BatchBlock:
    return BatchBlock(number, timestamp, coinbase, 30_000_000, b"ordo", MIX, transactions)


@settings(max_examples=300, deadline=None)
@given(block_runs())
def test_round_trips_exactly(blocks: list[BatchBlock]) -> None:
    encoded = encode_blocks(blocks)
    assert decode_blocks(encoded) == tuple(blocks)
    assert encode_blocks(decode_blocks(encoded)) == encoded


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_whatever_decodes_re_encodes_to_the_same_bytes(data: bytes) -> None:
    try:
        blocks = decode_blocks(data)
    except BlockEncodingError:
        return
    assert encode_blocks(blocks) == data


@settings(max_examples=200, deadline=None)
@given(block_runs(), st.data())
def test_every_truncation_is_refused(blocks: list[BatchBlock], data: st.DataObject) -> None:
    encoded = encode_blocks(blocks)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(BlockEncodingError):
        decode_blocks(encoded[:cut])


def test_repeated_fields_are_elided_and_deltas_are_small() -> None:
    blocks = [block(10 + index, 100 + 2 * index) for index in range(3)]
    encoded = encode_blocks(blocks)
    first = encode_blocks(blocks[:1])
    # a later block costs: flags, number delta, timestamp delta, tx count, tx length, tx
    assert len(encoded) - len(first) == 2 * (1 + 1 + 1 + 1 + 1 + 3)
    changed = encode_blocks([block(10), block(11, coinbase=b"\xc1" * 20)])
    assert len(changed) == len(encode_blocks(blocks[:2])) + 20


def test_refuses_blocks_out_of_order() -> None:
    with pytest.raises(BlockEncodingError, match="numbers must increase"):
        encode_blocks([block(5), block(5)])
    with pytest.raises(BlockEncodingError, match="before its predecessor's"):
        encode_blocks([block(5, 100), block(6, 99)])
    with pytest.raises(BlockEncodingError, match=r"a batch has 1\.\."):
        encode_blocks([])


def test_refuses_non_canonical_bytes() -> None:
    encoded = encode_blocks([block(1), block(2)])
    with pytest.raises(BlockEncodingError, match="trailing bytes"):
        decode_blocks(encoded + b"\x00")
    # the count 2 written as a two-byte varint
    with pytest.raises(BlockEncodingError, match="not minimal"):
        decode_blocks(b"\x82\x00" + encoded[1:])
    # second block flags its coinbase as changed and repeats it
    second = encode_blocks([block(1)])[1:]
    flagged = bytearray(encode_blocks([block(1), block(2)]))
    offset = len(second) + 1
    assert flagged[offset] == 0
    flagged[offset] = 1
    flagged[offset + 3:offset + 3] = COINBASE
    with pytest.raises(BlockEncodingError, match="coinbase flagged as changed but equal"):
        decode_blocks(bytes(flagged))
    flagged[offset] = 0x20
    with pytest.raises(BlockEncodingError, match="unknown flags 0x20"):
        decode_blocks(bytes(flagged))


def test_block_fields_are_validated() -> None:
    with pytest.raises(BlockEncodingError, match="coinbase"):
        BatchBlock(1, 1, b"\x00" * 19, 1, b"", MIX, ())
    with pytest.raises(BlockEncodingError, match="mix_hash"):
        BatchBlock(1, 1, COINBASE, 1, b"", b"", ())
    with pytest.raises(BlockEncodingError, match="number"):
        BatchBlock(2**64, 1, COINBASE, 1, b"", MIX, ())
    with pytest.raises(BlockEncodingError, match="transaction 0"):
        BatchBlock(1, 1, COINBASE, 1, b"", MIX, (b"",))
