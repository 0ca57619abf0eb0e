"""L1 origin rules: the anchored header layout, origins that never go back and keep their hash,
and origins that are L1's real blocks no later than the batch's own L1 block."""

from __future__ import annotations

from ordo.core.batch_blocks import BatchBlock
from ordo.core.block_extra import encode_anchored_extra, origin_layout_error
from ordo.derivation.batch_data import DecodedBatch
from ordo.derivation.origin_rules import l1_origin_error
from tests.derivation.batch_fixtures import accepted

BUILDER = b"\xb1" * 20


def block(number: int, origin: int | None, origin_hash: bytes) -> BatchBlock:
    extra = BUILDER if origin is None else encode_anchored_extra(BUILDER, origin, 0)
    return BatchBlock(number, 100 + number, BUILDER, 30_000_000, extra, origin_hash, ())


def layout_error(made: BatchBlock, parent_extra: bytes, parent_mix: bytes,
                 anchored: bool) -> str | None:
    """The verifier's origin layout check of a posted block (block_replay applies it)."""
    return origin_layout_error(made.extra_data, made.mix_hash, parent_extra, parent_mix, anchored)


def test_layout_and_monotonic_origins() -> None:
    parent = block(1, 7, b"\x07" * 32)
    after = (parent.extra_data, parent.mix_hash)
    follows = block(2, 7, b"\x07" * 32)
    assert layout_error(follows, *after, True) is None
    assert layout_error(block(2, 9, b"\x09" * 32), *after, True) is None
    assert layout_error(block(2, 6, b"\x06" * 32), *after, True) == \
        "L1 origin 6 goes back from its parent's 7"
    assert layout_error(block(2, 7, b"\x08" * 32), *after, True) == (
        f"L1 origin 7 named with hash 0x{'08' * 32}, its parent named it 0x{'07' * 32}")
    assert layout_error(block(2, None, b"\x07" * 32), *after, True) == (
        "extra data is 20 bytes; an L1-anchored network uses 32 (builder, L1 origin number, "
        "forced-queue position)")
    assert layout_error(follows, BUILDER, bytes(32), True) == "the parent names no L1 origin"
    assert layout_error(block(2, None, bytes(32)), BUILDER, bytes(32), False) is None
    assert layout_error(block(2, None, b"\x01" * 32), BUILDER, bytes(32), False) == \
        "mix hash must be zero on a network without L1"
    assert layout_error(follows, BUILDER, bytes(32), False) == \
        "extra data is 32 bytes; a network without L1 uses 20"


def test_origins_must_be_l1_blocks_before_the_accepting_one() -> None:
    record = accepted(2, 1, 3)  # accepted in L1 block 102
    blocks = (block(1, 100, b"\x64" * 32), block(2, 101, b"\x65" * 32),
              block(3, 101, b"\x65" * 32))
    batch = DecodedBatch(record, blocks)
    real = {100: b"\x64" * 32, 101: b"\x65" * 32}
    assert l1_origin_error(batch, real) is None
    wrong = l1_origin_error(batch, {**real, 101: b"\x66" * 32})
    assert wrong is not None and str(wrong) == (
        f"batch 2, block 2: names L1 origin 101 with hash 0x{'65' * 32}, L1's block 101 is "
        f"0x{'66' * 32}")
    late = DecodedBatch(record, (*blocks[:2], block(3, 103, b"\x67" * 32)))
    refused = l1_origin_error(late, real)
    assert refused is not None and str(refused) == (
        "batch 2, block 3: names L1 block 103 as its origin, after L1 block 102 that accepted "
        "the batch")
