"""Forced-queue items through the step machine (docs/fault_proofs.md 4.1, 4.2), against the
engine: on an L1-anchored devnet a block takes deposits and forced transactions (one valid,
leading the block's list, one refused as a no-op) before its own transaction; the trace reads
each item from the queue, ends in the engine's output root and header, and every step
re-verifies. A block that names the wrong ``forced_through``, or whose leading transaction is
not the valid forced one, ends in the invalid output."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_hash.auto import keccak

from ordo.core.block_extra import encode_anchored_extra
from ordo.core.forced_item import ForcedDeposit, ForcedTransaction
from ordo.core.genesis import GenesisL1, devnet_genesis
from ordo.execution.state_source import OverlayDatabase
from ordo.faultproof.block_parts import (
    INVALID_OUTPUT,
    KIND_DEPOSIT,
    KIND_TRANSACTION,
    ListQueue,
    QueueItem,
)
from ordo.faultproof.block_tracer import BlockTrace, trace_block
from ordo.faultproof.machine_state import PHASE_EVM, PHASE_TX_START
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import BUILDER, DevChain, rules_of

ORIGIN_HASH = bytes.fromhex("0a" * 32)
DEPOSITEE = bytes.fromhex("de" * 20)


def _genesis_l1() -> GenesisL1:
    return GenesisL1(chain_id=31337, locking_pool=bytes.fromhex("11" * 20), origin_number=10,
                     origin_hash=ORIGIN_HASH, forced_queue=bytes.fromhex("22" * 20))


class ForcedChain:
    """An anchored chain whose block 1 takes queue items 0-3 (enqueued at L1 blocks 11 and 12,
    origin 12); item 4 (L1 block 20) is after the origin and stays in the queue."""

    def __init__(self) -> None:
        self.chain = DevChain(genesis=devnet_genesis(l1=_genesis_l1()))
        c = self.chain
        valid = c.sign(3, c.address(4), value=123)
        refused = c.sign(5, c.address(4), value=1, nonce=9)
        self.items = (
            ForcedDeposit(0, DEPOSITEE, 5 * 10**18, 11),
            ForcedTransaction(1, valid.raw, 11),
            ForcedTransaction(2, refused.raw, 12),
            ForcedDeposit(3, c.address(6), 7, 12),
            ForcedDeposit(4, DEPOSITEE, 1, 20),
        )
        self.queue = ListQueue(tuple(_record(item) for item in self.items))
        self.raw = {item.index: item.raw for item in self.items
                    if isinstance(item, ForcedTransaction)}
        self.origin = bytes.fromhex("0c" * 32)
        own = c.sign(0, c.address(1), value=10**18)
        c.build([own], forced=self.items[:4], extra_data=self.extra(12, 4),
                mix_hash=self.origin)
        c.build([c.sign(1, DEPOSITEE, value=1)], extra_data=self.extra(12, 4),
                mix_hash=self.origin)

    @staticmethod
    def extra(origin_number: int, forced_through: int) -> bytes:
        return encode_anchored_extra(BUILDER, origin_number, forced_through)

    def trace(self, number: int) -> BlockTrace:
        return self.chain.trace(number, queue=self.queue, forced_raw=self.raw)

    def verify_all(self, trace: BlockTrace) -> None:
        rules = rules_of(self.chain.genesis)
        for index in range(len(trace)):
            assert verify_step(trace.commitment(index), trace.witness(index), rules,
                               self.queue) == trace.commitment(index + 1), index


def _record(item: ForcedDeposit | ForcedTransaction) -> QueueItem:
    if isinstance(item, ForcedDeposit):
        return QueueItem(KIND_DEPOSIT, bytes(32), item.recipient, item.amount,
                         item.enqueued_block)
    return QueueItem(KIND_TRANSACTION, keccak(item.raw), bytes(20), 0, item.enqueued_block)


@pytest.fixture(scope="module")
def forced() -> ForcedChain:
    return ForcedChain()


def test_deposits_and_forced_transactions_lead_the_block(forced: ForcedChain) -> None:
    block = forced.chain.blocks[1].block
    assert len(block.transactions) == 2  # the valid forced transaction, then the own one
    assert block.transactions[0].encode() == forced.items[1].raw  # type: ignore[union-attr]
    trace = forced.trace(1)
    assert trace.output_root == forced.chain.output_root(1)
    assert keccak(trace.header) == bytes(block.header.hash)
    forced.verify_all(trace)
    starts = [s for s in trace.steps if s.phase == PHASE_TX_START]
    assert len(starts) == 4 + 1  # four items (two open no frame), the own transaction
    assert sum(s.phase == PHASE_EVM for s in trace.steps) == 2


def test_the_next_block_takes_nothing(forced: ForcedChain) -> None:
    trace = forced.trace(2)
    assert trace.output_root == forced.chain.output_root(2)
    forced.verify_all(trace)


def _posted(forced: ForcedChain, **changes: object) -> BlockTrace:
    c = forced.chain
    posted = replace(c.batch_block(1), **changes)  # type: ignore[arg-type]
    return trace_block(OverlayDatabase(c.store), rules_of(c.genesis), c.header_rlp(0), [],
                       [posted], 0, forced.queue, forced.raw)


@pytest.mark.parametrize("forced_through", [3, 5])
def test_a_wrong_forced_through_ends_in_the_invalid_output(forced: ForcedChain,
                                                           forced_through: int) -> None:
    """3 leaves item 3 (enqueued at the origin) behind; 5 takes item 4, enqueued after it."""
    trace = _posted(forced, extra_data=forced.extra(12, forced_through))
    assert len(trace) == 1 and trace.output_root == INVALID_OUTPUT
    forced.verify_all(trace)


def test_a_block_without_the_valid_forced_transaction_ends_in_the_invalid_output(
        forced: ForcedChain) -> None:
    own = forced.chain.batch_block(1).transactions[1]
    trace = _posted(forced, transactions=(own,))
    assert trace.output_root == INVALID_OUTPUT
    forced.verify_all(trace)
    trace = _posted(forced, transactions=())
    assert trace.output_root == INVALID_OUTPUT
    forced.verify_all(trace)


def test_a_forced_transaction_is_checked_against_the_queue(forced: ForcedChain) -> None:
    """The witness's forced transaction must hash to the queue item's; another queue makes the
    same witness fail."""
    trace = forced.trace(1)
    second = trace.steps[2]  # block start, deposit 0, then forced transaction 1
    assert second.phase == PHASE_TX_START
    rules = rules_of(forced.chain.genesis)
    items = list(forced.queue.items)
    items[1] = replace(items[1], transaction_hash=bytes(32))
    from ordo.faultproof.step import InvalidWitness

    with pytest.raises(InvalidWitness, match="queue item"):
        verify_step(second.pre, second.witness, rules, ListQueue(tuple(items)))


def test_flipped_bytes_of_the_forced_steps_are_refused(forced: ForcedChain) -> None:
    from ordo.faultproof.step import InvalidWitness

    trace = forced.trace(1)
    rules = rules_of(forced.chain.genesis)
    for step in trace.steps:
        if step.phase == PHASE_EVM:
            continue
        for position in range(0, len(step.witness), max(1, len(step.witness) // 23)):
            tampered = bytearray(step.witness)
            tampered[position] ^= 0x80
            with pytest.raises(InvalidWitness):
                verify_step(step.pre, bytes(tampered), rules, forced.queue)


def test_an_anchored_block_without_the_queue_is_not_guessed(forced: ForcedChain) -> None:
    """Tracing or verifying block start of an anchored network needs the L1 queue: without it
    the step raises rather than read an empty queue (and call a right block invalid)."""
    from ordo.faultproof.block_parts import QueueUnavailable

    with pytest.raises(QueueUnavailable):
        forced.chain.trace(2)
    trace = forced.trace(2)
    with pytest.raises(QueueUnavailable):
        verify_step(trace.first, trace.witness(0), rules_of(forced.chain.genesis))
