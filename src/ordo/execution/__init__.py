"""EVM execution: building and re-executing blocks, state reads, calls (see engine.py)."""

from ordo.execution.engine import BlockEnvironment, BuildResult, PyEvmEngine
from ordo.execution.errors import InvalidBlock
from ordo.execution.state_source import KeyValueReader, MemoryKeyValueStore

__all__ = [
    "BlockEnvironment",
    "BuildResult",
    "InvalidBlock",
    "KeyValueReader",
    "MemoryKeyValueStore",
    "PyEvmEngine",
]
