"""On a network anchored to L1, the node's step half reads the forced queue from L1 first (on
the event loop) and then traces: without the queue an anchored block is refused, never traced
against an empty queue (which would call a right block invalid)."""

from __future__ import annotations

import pytest

from ordo.challenger.honest_trace import StepTraceUnavailable
from ordo.challenger.l1_game import LandedBatch
from ordo.challenger.node_steps import ChainSteps, batch_block
from ordo.core.forced_item import ForcedItem
from ordo.faultproof.batch_inputs import inputs_root
from tests.challenger.test_node_steps import DevChainStore
from tests.faultproof.test_block_forced import ForcedChain


def landed(forced: ForcedChain) -> LandedBatch:
    chain = forced.chain
    blocks = [batch_block(chain.blocks[n].block) for n in (1, 2)]
    return LandedBatch(0, b"\x01" * 32, chain.output_root(2), inputs_root(blocks), 0, 1, 2, 0)


async def test_the_queue_is_read_before_tracing_an_anchored_block() -> None:
    forced = ForcedChain()
    store = DevChainStore(forced.chain)
    batch = landed(forced)

    without = ChainSteps(store, forced.chain.genesis, batch)
    await without.load()  # no loader: nothing to read
    with pytest.raises(StepTraceUnavailable, match="QueueUnavailable"):
        without.trace(0)

    reads: list[int] = []

    async def queue_items() -> tuple[ForcedItem, ...]:
        reads.append(1)
        return forced.items

    steps = ChainSteps(store, forced.chain.genesis, batch, queue_items)
    await steps.load()
    assert reads == [1]
    trace = steps.trace(0)
    assert trace.output_root == forced.chain.output_root(1)
    assert steps.state(0, len(trace)) == forced.trace(1).commitment(len(trace))
