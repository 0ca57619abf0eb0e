"""The pending block: what the next block would be if it were built from the mempool now.

geth serves it for the "pending" tag. It is built with the same code as a real block, so its
transactions, receipts, gas and base fee are what production would give at this moment, but it
is never committed and its state writes are dropped. Building costs as much as a real block, so
the result is kept until the head or the mempool changes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from itertools import islice

from eth.abc import BlockHeaderAPI

from ordo.core.block import ExecutedBlock
from ordo.core.transaction import DecodedTransaction
from ordo.execution.engine import BlockEnvironment, PyEvmEngine

MAX_PENDING_CANDIDATES = 5_000


class PendingBlockCache:
    def __init__(self, engine: PyEvmEngine) -> None:
        self._engine = engine
        self._key: tuple[bytes, Hashable] | None = None
        self._block: ExecutedBlock | None = None

    def get(
        self,
        parent: BlockHeaderAPI,
        mempool_version: Hashable,
        candidates: Callable[[], Iterable[DecodedTransaction]],
        env: BlockEnvironment,
    ) -> ExecutedBlock:
        """The pending block on ``parent``; ``candidates`` (in inclusion order) and ``env`` are
        only used when the cached one is stale: another parent or another mempool version."""
        key = (bytes(parent.hash), mempool_version)
        if self._block is None or self._key != key:
            chosen = list(islice(candidates(), MAX_PENDING_CANDIDATES))
            self._block = self._engine.build_block(parent, chosen, env).executed
            self._key = key
        return self._block
