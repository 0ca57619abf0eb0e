"""The output root of an L2 genesis block, computed from the genesis alone.

The dispute game takes it at deployment as the agreed start of batch 0 (the parent output of
the first batch's first block), before any node has opened a store: executing the allocation
into a throw-away store gives the same state root and block hash every node commits.
"""

from __future__ import annotations

from ordo.core.genesis import Genesis
from ordo.execution.engine import PyEvmEngine
from ordo.execution.output_roots import output_root_at
from ordo.execution.state_source import MemoryKeyValueStore


def genesis_output_root(genesis: Genesis) -> bytes:
    """Deterministic: py-evm is the reference engine, and block 0 executes nothing."""
    empty = MemoryKeyValueStore()
    executed, writes = PyEvmEngine(genesis, empty).genesis_block()
    engine = PyEvmEngine(genesis, MemoryKeyValueStore(writes))
    return output_root_at(engine, executed.block.header).root
