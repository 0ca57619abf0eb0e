"""Batch planning: every validator cuts the same batches from the same final blocks, never across
an L2 epoch, at most max_blocks, split on the encoded size; the two headers of a planned batch."""

from __future__ import annotations

import random

import pytest
from eth_hash.auto import keccak

from ordo.batcher.batch_codec import CALLDATA_PAYLOAD_LIMIT, compress_blocks, decompress_blocks
from ordo.batcher.batch_header import DataKind, Producer, blob_data_hash, calldata_data_hash
from ordo.batcher.batch_plan import (
    DEFAULT_MAX_ENCODED_BYTES,
    BatchPlanError,
    FinalBlock,
    FinalBlockAt,
    PlanRules,
    encoded_limit_for,
    final_block_of,
    plan_headers,
    plan_next_batch,
    producers_of,
)
from ordo.batcher.blob_packing import unpack_blobs
from ordo.core.batch_blocks import BatchBlock, encode_blocks
from ordo.core.block import Block
from ordo.execution.block_assembly import make_header
from ordo.faultproof.batch_inputs import inputs_root
from tests.batcher.final_chain import final_chain

BUILDERS = [bytes([0x10 * (index + 1)]) * 20 for index in range(4)]


def planner(blocks: list[FinalBlock]) -> FinalBlockAt:
    def block_at(number: int) -> FinalBlock:
        assert 1 <= number <= len(blocks), f"asked for block {number} beyond the final chain"
        return blocks[number - 1]
    return block_at


def test_closes_at_max_blocks_and_waits_while_open() -> None:
    blocks = final_chain(30, BUILDERS)
    rules = PlanRules(epoch_length=100, max_blocks=5)
    assert plan_next_batch(1, 4, planner(blocks), rules) is None  # could still grow
    planned = plan_next_batch(1, 5, planner(blocks), rules)
    assert planned is not None and (planned.first_block, planned.last_block) == (1, 5)
    assert plan_next_batch(6, 5, planner(blocks), rules) is None  # nothing final yet
    follow = plan_next_batch(6, 30, planner(blocks), rules)
    assert follow is not None and (follow.first_block, follow.last_block) == (6, 10)


def test_never_spans_two_epochs() -> None:
    blocks = final_chain(30, BUILDERS)
    rules = PlanRules(epoch_length=8, max_blocks=20)
    first = plan_next_batch(1, 30, planner(blocks), rules)
    assert first is not None and (first.first_block, first.last_block) == (1, 8)
    assert plan_next_batch(5, 7, planner(blocks), rules) is None
    tail = plan_next_batch(5, 8, planner(blocks), rules)  # a batch starting mid-epoch
    assert tail is not None and (tail.first_block, tail.last_block) == (5, 8)
    second = plan_next_batch(9, 30, planner(blocks), rules)
    assert second is not None and (second.first_block, second.last_block) == (9, 16)
    assert rules.epoch_of(8) == 0 and rules.epoch_of(9) == 1


def test_splits_on_the_encoded_size_once_the_next_block_is_final() -> None:
    blocks = final_chain(10, BUILDERS, transactions=10, transaction_size=1_000)
    three = len(encode_blocks([block.batch_block for block in blocks[:3]]))
    four = len(encode_blocks([block.batch_block for block in blocks[:4]]))
    rules = PlanRules(epoch_length=100, max_blocks=20, max_encoded_bytes=(three + four) // 2)
    assert plan_next_batch(1, 3, planner(blocks), rules) is None  # block 4 might still fit
    planned = plan_next_batch(1, 4, planner(blocks), rules)
    assert planned is not None and (planned.first_block, planned.last_block) == (1, 3)
    exact = PlanRules(epoch_length=100, max_blocks=20, max_encoded_bytes=three)
    planned_exact = plan_next_batch(1, 10, planner(blocks), exact)
    assert planned_exact is not None and planned_exact.last_block == 3


def test_refuses_a_block_that_alone_exceeds_the_limit() -> None:
    blocks = final_chain(3, BUILDERS, transactions=2, transaction_size=5_000)
    rules = PlanRules(epoch_length=100, max_blocks=20, max_encoded_bytes=4_000)
    with pytest.raises(BatchPlanError, match=r"block 1 alone encodes to .* over the 4000-byte"):
        plan_next_batch(1, 3, planner(blocks), rules)


def test_validators_with_different_final_heights_plan_the_same_headers() -> None:
    rules = PlanRules(epoch_length=16, max_blocks=6)
    ours = final_chain(40, BUILDERS)
    theirs = final_chain(40, BUILDERS)  # another node's copy of the same chain
    mine = plan_next_batch(7, 12, planner(ours), rules)
    other = plan_next_batch(7, 40, planner(theirs), rules)
    assert mine is not None and other is not None and mine == other
    assert plan_headers(1, mine, 3, 2) == plan_headers(1, other, 3, 2)


def test_headers_commit_to_the_payload_blocks_and_producers() -> None:
    blocks = final_chain(6, BUILDERS[:3])
    rules = PlanRules(epoch_length=6)
    batch = plan_next_batch(1, 6, planner(blocks), rules)
    assert batch is not None
    planned = plan_headers(4, batch, epoch=2, forced_through=5)
    assert decompress_blocks(planned.payload) == tuple(block.batch_block for block in blocks)
    assert unpack_blobs(planned.sidecar.blobs) == planned.payload
    assert len(planned.sidecar.blobs) == 1
    calldata, blobs = planned.calldata_header, planned.blob_header
    assert calldata.data_kind is DataKind.CALLDATA
    assert calldata.data_hash == calldata_data_hash(planned.payload)
    assert blobs.data_kind is DataKind.BLOBS
    assert blobs.data_hash == blob_data_hash(planned.sidecar.versioned_hashes)
    for header in (calldata, blobs):
        assert (header.index, header.first_block, header.last_block) == (4, 1, 6)
        assert header.last_block_hash == blocks[-1].block_hash
        assert header.output_root == blocks[-1].output_root
        assert header.inputs_root == inputs_root(decompress_blocks(planned.payload))
        assert (header.epoch, header.forced_through) == (2, 5)
        assert header.producers == tuple(Producer(builder, 2) for builder in BUILDERS[:3])
    assert planned.header(DataKind.BLOBS) is blobs and planned.index == 4


def test_producers_are_counted_per_builder_in_address_order() -> None:
    blocks = final_chain(5, [BUILDERS[3], BUILDERS[0], BUILDERS[3], BUILDERS[3], BUILDERS[0]])
    assert producers_of(blocks) == (Producer(BUILDERS[0], 2), Producer(BUILDERS[3], 3))


def test_encoded_limit_keeps_incompressible_blocks_under_the_payload_limit() -> None:
    limit = encoded_limit_for(CALLDATA_PAYLOAD_LIMIT)
    assert limit == DEFAULT_MAX_ENCODED_BYTES
    assert CALLDATA_PAYLOAD_LIMIT - 30 < limit < CALLDATA_PAYLOAD_LIMIT
    noise = random.Random(3)
    empty = BatchBlock(1, 1, bytes(20), 1, b"", bytes(32), ())
    overhead = len(encode_blocks([BatchBlock(1, 1, bytes(20), 1, b"", bytes(32), (b"x",))]))
    size = limit - overhead - 2  # two more bytes of length varint for a large transaction
    block = BatchBlock(1, 1, bytes(20), 1, b"", bytes(32), (noise.randbytes(size),))
    encoded = len(encode_blocks([block]))
    assert limit - 4 <= encoded <= limit
    assert len(compress_blocks([block])) <= CALLDATA_PAYLOAD_LIMIT
    assert len(encode_blocks([empty])) < limit
    with pytest.raises(BatchPlanError, match="leaves no room"):
        encoded_limit_for(10)


def test_final_block_of_reads_a_stored_block() -> None:
    builder = BUILDERS[1]
    extra = builder + (77).to_bytes(8, "big")
    header = make_header(parent_hash=b"\x01" * 32, block_number=9, coinbase=b"\xcb" * 20,
                         timestamp=1_234, gas_limit=30_000_000, extra_data=extra, base_fee=7,
                         state_root=b"\x5e" * 32, mix_hash=keccak(b"origin 77"))
    final = final_block_of(Block(header, (), ()), b"\x0e" * 32)
    assert final.builder == builder
    assert (final.block_hash, final.output_root) == (bytes(header.hash), b"\x0e" * 32)
    assert final.batch_block == BatchBlock(9, 1_234, b"\xcb" * 20, 30_000_000, extra,
                                           keccak(b"origin 77"), ())
    anonymous = make_header(parent_hash=b"\x01" * 32, block_number=9, coinbase=b"\xcb" * 20,
                            timestamp=1_234, gas_limit=30_000_000, extra_data=b"short",
                            base_fee=7, state_root=b"\x5e" * 32)
    with pytest.raises(BatchPlanError, match="block 9: extra data of 5 bytes names no builder"):
        final_block_of(Block(anonymous, (), ()), b"\x0e" * 32)


def test_refuses_bad_rules_and_a_wrong_block() -> None:
    with pytest.raises(BatchPlanError, match="max_blocks: 0 must be a positive integer"):
        PlanRules(epoch_length=10, max_blocks=0)
    with pytest.raises(BatchPlanError, match="first_block: 0"):
        plan_next_batch(0, 5, planner(final_chain(5, BUILDERS)), PlanRules(epoch_length=10))
    blocks = final_chain(5, BUILDERS)
    with pytest.raises(BatchPlanError, match="asked for final block 1, got block 2"):
        plan_next_batch(1, 5, lambda number: blocks[number], PlanRules(epoch_length=10))
