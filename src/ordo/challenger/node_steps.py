"""The step half of the honest trace from the node's own chain: the whole-block tracer
(``ordo.faultproof.block_tracer.trace_block``) over the node's store, one batch at a time.

A block's trace is computed once and kept (commitments and witnesses: what bisecting the block
and the final step need). Tracing is Python over every instruction of the block, so the service
asks for the blocks a game needs first (``prepare``, in a worker thread) and the solver's
synchronous reads then hit the cache; the node's event loop never runs a trace.

On a network anchored to L1, block start reads the L1 forced-inclusion queue. The service
first awaits ``load`` on the event loop, which reads the queue's items through the current L1
head (the queue only appends, so any later read holds what the batch's blocks took); without
it, an anchored block's trace refuses to start rather than read an empty queue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

import rlp
from eth.abc import BlockHeaderAPI
from eth_hash.auto import keccak

from ordo.challenger.honest_trace import StepDataUnavailable, StepTrace, StepTraceUnavailable
from ordo.challenger.l1_game import LandedBatch
from ordo.core.batch_blocks import BatchBlock
from ordo.core.block import Block
from ordo.core.forced_item import ForcedDeposit, ForcedItem, ForcedTransaction
from ordo.core.genesis import Genesis
from ordo.core.l1_fee import header_l1_prices
from ordo.execution.state_source import KeyValueReader, OverlayDatabase
from ordo.faultproof.batch_inputs import inputs_root
from ordo.faultproof.block_parts import (
    KIND_DEPOSIT,
    KIND_TRANSACTION,
    NO_QUEUE,
    ChainRules,
    ForcedQueue,
    ListQueue,
    QueueItem,
)
from ordo.faultproof.block_steps import MAX_ANCESTORS
from ordo.faultproof.block_tracer import BlockTrace, keep_all, trace_block
from ordo.l1.client import L1Client
from ordo.l1.forced_queue_reader import ForcedQueueReader


class BlockStore(Protocol):
    """What of ``ChainStore`` the tracer reads."""

    def get_block_by_number(self, number: int) -> Block | None: ...

    def get_header_by_number(self, number: int) -> BlockHeaderAPI | None: ...

    def state_reader(self) -> KeyValueReader: ...


QueueLoader = Callable[[], Awaitable[Sequence[ForcedItem]]]
"""Every item of the L1 forced-inclusion queue so far, in queue order."""


def queue_through_head(reader: ForcedQueueReader, client: L1Client) -> QueueLoader:
    """The challenger's read of the forced queue: every item through the current L1 head."""
    async def items() -> tuple[ForcedItem, ...]:
        return await reader.items_through(await client.block_number())
    return items


def queue_item(item: ForcedItem) -> QueueItem:
    """An item as ``ForcedInclusionQueue.items(i)`` stores it (what a step reads)."""
    if isinstance(item, ForcedDeposit):
        return QueueItem(KIND_DEPOSIT, bytes(32), item.recipient, item.amount,
                         item.enqueued_block)
    return QueueItem(KIND_TRANSACTION, keccak(item.raw), bytes(20), 0, item.enqueued_block)


class MissingBlock(StepTraceUnavailable):
    """The store lacks a block the trace needs, or holds other blocks than the batch."""


def chain_rules(genesis: Genesis) -> ChainRules:
    """The verifier's constants for this chain (docs/state_transition.md 1.6)."""
    fees = genesis.fee_rules
    return ChainRules(genesis.chain_id, fees.base_fee_floor, fees.elasticity_multiplier,
                      fees.base_fee_max_change_denominator, genesis.l1 is not None,
                      genesis.l1_fee is not None, genesis.l1_fee)


def batch_block(block: Block) -> BatchBlock:
    """A stored block as a batch carries it (as the batcher's plan builds it)."""
    header = block.header
    return BatchBlock(number=int(header.block_number), timestamp=int(header.timestamp),
                      coinbase=bytes(header.coinbase), gas_limit=int(header.gas_limit),
                      extra_data=bytes(header.extra_data), mix_hash=bytes(header.mix_hash),
                      transactions=tuple(bytes(tx.encode()) for tx in block.transactions),
                      l1_fee_word=header_l1_prices(header).word())


class ChainSteps:
    """``StepTrace`` of one landed batch over the node's store."""

    def __init__(self, store: BlockStore, genesis: Genesis, batch: LandedBatch,
                 queue_items: QueueLoader | None = None) -> None:
        self.store = store
        self.rules = chain_rules(genesis)
        self.batch = batch
        self._load_queue = queue_items
        self._queue: ForcedQueue = NO_QUEUE
        self._forced_raw: dict[int, bytes] = {}
        self._blocks: list[BatchBlock] | None = None
        self._traces: dict[int, BlockTrace] = {}
        self._failed: dict[int, StepTraceUnavailable] = {}

    async def load(self) -> None:
        """Read the L1 queue (on the event loop, before ``prepare`` traces in a thread)."""
        if self._load_queue is None:
            return
        items = await self._load_queue()
        self._queue = ListQueue(tuple(queue_item(item) for item in items))
        self._forced_raw = {item.index: item.raw for item in items
                            if isinstance(item, ForcedTransaction)}

    def _batch_blocks(self) -> list[BatchBlock]:
        if self._blocks is None:
            blocks = [batch_block(self._block(number)) for number in
                      range(self.batch.first_block, self.batch.last_block + 1)]
            posted = inputs_root(blocks)
            if posted != self.batch.inputs_root:
                raise MissingBlock(
                    f"batch {self.batch.index}: this node's blocks {self.batch.first_block}.."
                    f"{self.batch.last_block} give inputs root 0x{posted.hex()}, the batch "
                    f"0x{self.batch.inputs_root.hex()}: not the blocks the batch carries")
            self._blocks = blocks
        return self._blocks

    def _block(self, number: int) -> Block:
        block = self.store.get_block_by_number(number)
        if block is None:
            raise MissingBlock(f"block {number} is not in this node's store")
        return block

    def _header_rlp(self, number: int) -> bytes:
        header = self.store.get_header_by_number(number)
        if header is None:
            raise MissingBlock(f"header {number} is not in this node's store")
        return rlp.encode(header)

    def trace(self, block: int) -> BlockTrace:
        """The trace of block ``block`` (0-based) of the batch; StepTraceUnavailable (kept, so
        it is not tried again) when the block cannot be traced, StepDataUnavailable (not kept)
        when what it needs cannot be had now."""
        found = self._traces.get(block)
        if found is not None:
            return found
        if block in self._failed:
            raise self._failed[block]
        number = self.batch.first_block + block
        try:
            found = self._trace_block(block, number)
        except StepDataUnavailable:
            raise  # tried again next round
        except StepTraceUnavailable as error:
            self._failed[block] = error
            raise
        except Exception as error:  # the tracer refusing a step it cannot prove, and the like
            self._failed[block] = StepTraceUnavailable(
                f"tracing L2 block {number} (block {block} of batch {self.batch.index}) "
                f"failed: {type(error).__name__}: {error}")
            raise self._failed[block] from error
        self._traces[block] = found
        return found

    def _trace_block(self, block: int, number: int,
                     keep: Callable[[int], bool] = keep_all) -> BlockTrace:
        ancestors = [self._header_rlp(n)
                     for n in range(number - 2, max(number - MAX_ANCESTORS, 0) - 1, -1)]
        return trace_block(OverlayDatabase(self.store.state_reader()), self.rules,
                           self._header_rlp(number - 1), ancestors, self._batch_blocks(),
                           block, self._queue, self._forced_raw, keep=keep)

    def prepare(self, blocks: Iterable[int]) -> None:
        """Trace these blocks now (the service calls it in a worker thread)."""
        for block in sorted(set(blocks)):
            if 0 <= block < self.batch.block_count:
                self.trace(block)

    def state(self, block: int, step: int) -> bytes:
        return self.trace(block).commitment(step)

    def witness(self, block: int, step: int) -> bytes:
        return self.trace(block).witness(step)


def chain_steps(store: BlockStore, genesis: Genesis, queue_items: QueueLoader | None = None
                ) -> Callable[[LandedBatch], StepTrace]:
    """The factory ``L2TraceSource`` takes; ``queue_items`` on a network anchored to L1."""
    return lambda batch: ChainSteps(store, genesis, batch, queue_items)
