"""Block building alone (node/block_builder.py) on a real chain, and the L1 inputs of a block
(node/l1_block_inputs.py) against a stand-in forced queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from eth_account import Account

from ordo.chain.chain import Chain
from ordo.consensus import LocalSigner
from ordo.core.block_codec import decode_block
from ordo.core.block_extra import builder_of, encode_anchored_extra
from ordo.core.genesis import GenesisValidator, dev_private_keys, devnet_genesis
from ordo.core.l1_fee import NO_PRICES
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.node.block_builder import (
    MAX_CANDIDATES_PER_BLOCK,
    MIN_CANDIDATES_PER_BLOCK,
    BlockBuilder,
)
from ordo.node.consensus_setup import consensus_params_from_genesis
from ordo.node.l1_block_inputs import ForcedItemsError, L1BlockInputs, NewBlockInputs
from ordo.node.l1_origin import L1Origin
from ordo.storage.chain_store import ChainStore

OURS = LocalSigner(bytes(range(1, 33))).address
GENESIS = devnet_genesis(validators=(GenesisValidator(OURS, 1),))


def transfer(nonce: int) -> DecodedTransaction:
    signed = Account.from_key(dev_private_keys()[4]).sign_transaction({
        "type": 2, "chainId": GENESIS.chain_id, "nonce": nonce, "to": "0x" + "22" * 20,
        "value": 1, "gas": 21_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9})
    return decode_transaction(bytes(signed.raw_transaction))


class Pool:
    def __init__(self, transactions: list[DecodedTransaction]) -> None:
        self.transactions = transactions

    def select(self, base_fee: int) -> list[DecodedTransaction]:
        return self.transactions


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    store = ChainStore(tmp_path / "chain")
    yield Chain(store, GENESIS)
    store.close()


async def test_builds_the_next_block_with_the_candidates_and_our_builder(chain: Chain) -> None:
    builder = BlockBuilder(chain, Pool([transfer(0), transfer(1)]), L1BlockInputs(None, 0, False),
                           consensus_params_from_genesis(GENESIS), b"\x33" * 20,
                           clock=lambda: 1_900_000_000.0)
    parent = chain.head_header()
    built = await builder.build(parent, OURS, 0, 1)
    assert built is not None
    value, executed = built
    block = executed.executed.block
    assert (value.height, value.parent_hash, value.block_hash, value.proposer) == (
        1, bytes(parent.hash), block.hash, OURS)
    assert decode_block(value.payload).hash == block.hash
    assert builder_of(block.header) == OURS and bytes(block.header.coinbase) == b"\x33" * 20
    assert int(block.header.timestamp) == 1_900_000_000
    assert len(block.transactions) == 2 and executed.skipped == ()


def test_block_size_follows_the_validators_and_the_measured_rate(chain: Chain) -> None:
    params = consensus_params_from_genesis(GENESIS)
    builder = BlockBuilder(chain, Pool([]), L1BlockInputs(None, 0, False), params, bytes(20))
    assert builder.size_limit(0, 1) == MAX_CANDIDATES_PER_BLOCK  # alone: no one must keep up
    builder.build_rate = 10.0
    assert builder.size_limit(0, 4) == MIN_CANDIDATES_PER_BLOCK
    builder.measure(MIN_CANDIDATES_PER_BLOCK, 0.01)  # 5,000 tx/s: the rate moves towards it
    assert builder.build_rate > 1000
    before = builder.build_rate
    builder.measure(3, 0.001)  # too few transactions to say anything
    assert builder.build_rate == before


class Queue:
    def __init__(self, items: tuple[Any, ...] | Exception) -> None:
        self.items = items
        self.asked: list[int] = []

    async def items_through(self, number: int) -> tuple[Any, ...]:
        self.asked.append(number)
        if isinstance(self.items, Exception):
            raise self.items
        return self.items


def header(origin: int, forced_through: int) -> Any:
    return SimpleNamespace(extra_data=encode_anchored_extra(OURS, origin, forced_through),
                           mix_hash=b"\x11" * 32)


async def test_without_l1_blocks_take_no_origin_and_no_forced_items(chain: Chain) -> None:
    inputs = L1BlockInputs(None, 2, False)
    parent = chain.head_header()
    assert await inputs.for_new_block(parent) == NewBlockInputs(None, (), 0, NO_PRICES)
    assert await inputs.forced_for(parent, parent) == ()
    with pytest.raises(ForcedItemsError, match="no forced queue"):
        await inputs.forced_for(header(10, 2), header(9, 0))


async def test_forced_items_are_all_those_enqueued_up_to_the_origin() -> None:
    inputs = L1BlockInputs(None, 2, False)
    queue = Queue(("a", "b", "c"))
    inputs.forced_queue = queue  # type: ignore[assignment]
    assert await inputs.forced_for(header(10, 3), header(9, 1)) == ("b", "c")
    assert queue.asked == [10]
    with pytest.raises(ForcedItemsError, match="up to 2, but 3 were enqueued"):
        await inputs.forced_for(header(10, 2), header(9, 1))
    inputs.forced_queue = Queue(OSError("L1 down"))  # type: ignore[assignment]
    with pytest.raises(ForcedItemsError, match="unreadable at L1 block 10: L1 down"):
        await inputs.forced_for(header(10, 3), header(9, 1))


async def test_while_the_l1_fails_the_watch_a_new_origin_waits_without_reading_the_queue() -> None:
    """The watch's last request failed: keep the parent's origin at once instead of waiting out
    the L1 client's retries on the forced queue (asked only up to the parent's origin, which
    the real reader has read already)."""
    parent = header(9, 1)
    newer = L1Origin(12, b"\x22" * 32)
    watch = SimpleNamespace(confirmed_origin=lambda: newer, last_error="connection refused")
    inputs = L1BlockInputs(watch, 2, False)  # type: ignore[arg-type]
    queue = Queue(("a", "b"))
    inputs.forced_queue = queue  # type: ignore[assignment]
    built = await inputs.for_new_block(parent)  # type: ignore[arg-type]
    assert built is not None and built.origin == L1Origin(9, b"\x11" * 32)
    assert queue.asked == [9]
    watch.last_error = None  # the L1 answers again: the new origin
    built = await inputs.for_new_block(parent)  # type: ignore[arg-type]
    assert built == NewBlockInputs(newer, ("b",), 2, NO_PRICES)
    assert queue.asked == [9, 12]


def test_a_builder_names_a_new_origin_only_once_it_is_ready() -> None:
    """The read-ahead policy (L1EpochSets.ready_origin) chooses the origin when the confirmed
    one is newer than the parent's; a validity rule does not change."""
    parent = header(9, 1)
    newer = L1Origin(12, b"\x22" * 32)
    watch = SimpleNamespace(confirmed_origin=lambda: newer, last_error=None)
    inputs = L1BlockInputs(watch, 2, False)  # type: ignore[arg-type]
    asked: list[tuple[L1Origin, L1Origin]] = []
    answer = L1Origin(9, b"\x11" * 32)

    def ready_origin(parent_origin: L1Origin, target: L1Origin) -> L1Origin:
        asked.append((parent_origin, target))
        return answer

    inputs.ready_origin = ready_origin
    assert inputs.next_origin(parent) == L1Origin(9, b"\x11" * 32)  # type: ignore[arg-type]
    answer = newer
    assert inputs.next_origin(parent) == newer  # type: ignore[arg-type]
    assert asked == [(L1Origin(9, b"\x11" * 32), newer)] * 2
    watch.confirmed_origin = lambda: L1Origin(9, b"\x11" * 32)  # nothing new: not asked
    assert inputs.next_origin(parent) == L1Origin(9, b"\x11" * 32)  # type: ignore[arg-type]
    assert len(asked) == 2
