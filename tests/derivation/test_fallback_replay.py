"""Fallback batches in derivation: the block L1 alone determines (no builder, only the forced
items up to its origin, the origin's time, the parent's gas limit) is built by the poster's code
and replayed by the verifier's; every departure from the rules is refused by name."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_hash.auto import keccak

from ordo.batcher.batch_codec import compress_blocks
from ordo.core.batch_blocks import BatchBlock
from ordo.core.block_extra import decode_anchored_extra
from ordo.derivation.batch_data import DecodedBatch
from ordo.derivation.derived_chain import DerivedChain
from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.derivation.fallback_rules import (
    FALLBACK_BUILDER,
    FallbackOrigin,
    fallback_block_error,
    fallback_timestamp,
)
from ordo.settlement.fallback_post import FallbackBlock, build_fallback_block
from ordo.settlement.l2_readers import StoreL2Reader
from ordo.storage.chain_store import ChainStore
from tests.derivation.batch_fixtures import accepted, decoded_batch
from tests.derivation.l2_chain_maker import batch_block_of
from tests.derivation.test_forced_replay import GENESIS, ForcedChain, forced_chain

__all__ = ["forced_chain"]
ORIGIN = FallbackOrigin(5, keccak(b"l1 5"), 1_800_000_000)
"""L1 block 5 (the fixture's origins are keccak("l1 N")), with a time far after the parent's."""


@pytest.fixture
def derived(tmp_path: Path, forced_chain: ForcedChain) -> Iterator[DerivedChain]:
    """The first three blocks derived (they take items 0-1; items 2-4 are enqueued at L1 5)."""
    blocks = forced_chain.maker.blocks[:3]
    with ChainStore(tmp_path / "derived") as store:
        chain = DerivedChain(store, GENESIS)
        chain.apply(decoded_batch(0, blocks, [batch_block_of(block) for block in blocks]),
                    forced_chain.queue)
        yield chain


def fallback_batch(block: FallbackBlock, posted: BatchBlock | None = None) -> DecodedBatch:
    chosen = posted or block.fields
    record = accepted(1, chosen.number, chosen.number, payload=compress_blocks([chosen]),
                      last_block_hash=block.block_hash, output_root=block.output.root,
                      forced_through=block.forced_through)
    return DecodedBatch(dataclasses.replace(record, fallback=True), (chosen,))


def build(derived: DerivedChain, forced_chain: ForcedChain) -> FallbackBlock:
    items = tuple(item for item in forced_chain.items if item.enqueued_block <= ORIGIN.number)
    return build_fallback_block(StoreL2Reader(derived.store, GENESIS), GENESIS, ORIGIN, items)


def test_the_poster_builds_what_the_verifier_derives(derived: DerivedChain,
                                                     forced_chain: ForcedChain) -> None:
    parent = derived.chain.head_header()
    block = build(derived, forced_chain)
    fields = block.fields
    assert fields.number == 4 and fields.coinbase == FALLBACK_BUILDER
    assert fields.timestamp == ORIGIN.timestamp == fallback_timestamp(parent.timestamp,
                                                                      ORIGIN.timestamp)
    extra = decode_anchored_extra(fields.extra_data)
    assert extra is not None and (extra.builder, extra.origin_number, extra.forced_through) == \
        (FALLBACK_BUILDER, 5, 5)
    # Of items 2-4 only the valid forced transaction executes (a bad nonce, an undecodable).
    assert fields.transactions == (forced_chain.forced_valid.raw,)
    assert block.transactions == 1
    committed = derived.apply(fallback_batch(block), forced_chain.queue, {5: ORIGIN.timestamp})
    assert [b.hash for b in committed] == [block.block_hash]
    assert derived.head_number() == 4


@pytest.mark.parametrize(("change", "reason"), [
    ({"coinbase": b"\x01" * 20}, "a fallback block pays no coinbase"),
    ({"timestamp": ORIGIN.timestamp + 1},
     r"timestamp is max\(parent \+ 1, L1 origin's\) = 1800000000, this one says 1800000001"),
    ({"gas_limit": 29_000_000}, "keeps its parent's gas limit"),
])
def test_a_fallback_block_departing_from_the_rules_is_refused(
        derived: DerivedChain, forced_chain: ForcedChain, change: dict[str, object],
        reason: str) -> None:
    block = build(derived, forced_chain)
    posted = dataclasses.replace(block.fields, **change)  # type: ignore[arg-type]
    with pytest.raises(InvalidBatch, match=reason):
        derived.apply(fallback_batch(block, posted), forced_chain.queue, {5: ORIGIN.timestamp})
    assert derived.head_number() == 3


def test_a_fallback_block_carries_nothing_but_its_forced_transactions(
        derived: DerivedChain, forced_chain: ForcedChain) -> None:
    block = build(derived, forced_chain)
    extra = forced_chain.maker.signers.sign(7, b"\x09" * 20, value=1)
    posted = dataclasses.replace(block.fields,
                                 transactions=(*block.fields.transactions, extra.raw))
    with pytest.raises(InvalidBatch, match="transaction 1 is not one of the block's executed "
                                           "forced transactions"):
        derived.apply(fallback_batch(block, posted), forced_chain.queue, {5: ORIGIN.timestamp})


def test_a_builder_is_refused_and_a_verifier_without_l1_times_cannot_judge(
        derived: DerivedChain, forced_chain: ForcedChain) -> None:
    block = build(derived, forced_chain)
    built = dataclasses.replace(block.fields,
                                extra_data=b"\xb1" * 20 + block.fields.extra_data[20:])
    assert fallback_block_error(built, 0, built.gas_limit, ORIGIN.timestamp) is not None
    with pytest.raises(InvalidBatch, match="a fallback block has no builder"):
        derived.apply(fallback_batch(block, built), forced_chain.queue, {5: ORIGIN.timestamp})
    with pytest.raises(DerivationError, match="is a fallback batch"):
        derived.apply(fallback_batch(block), forced_chain.queue, None)
