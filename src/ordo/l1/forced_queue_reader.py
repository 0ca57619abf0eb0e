"""The node's copy of the L1 forced-inclusion queue, read from its events up to an L1 block.

Blocks include every item enqueued at an L1 block up to their L1 origin, so a proposer and each
validator need the items up to one origin: they read the queue's events up to that block (and
remember them; origins only move forward). Items must arrive with consecutive indexes; a gap
means the endpoint returned an incomplete log range, and the read is refused rather than trusted.
"""

from __future__ import annotations

import asyncio

from ordo.core.forced_item import ForcedDeposit, ForcedItem, ForcedTransaction
from ordo.l1.client import L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.rollup_deploy import queue_at

MAX_LOG_RANGE = 10_000


class ForcedQueueError(Exception):
    """The queue could not be read completely up to the block asked for."""


class ForcedQueueReader:
    def __init__(self, client: L1Client, queue: bytes, from_block: int = 0) -> None:
        self._queue: ContractHandle = queue_at(client, queue)
        self._items: list[ForcedItem] = []
        self._read_through = from_block - 1
        self._lock = asyncio.Lock()

    async def items_through(self, l1_block: int) -> tuple[ForcedItem, ...]:
        """Every item enqueued at an L1 block up to ``l1_block``, in queue order."""
        async with self._lock:
            while self._read_through < l1_block:
                end = min(l1_block, self._read_through + MAX_LOG_RANGE)
                await self._read(self._read_through + 1, end)
                self._read_through = end
        return tuple(item for item in self._items if item.enqueued_block <= l1_block)

    async def _read(self, start: int, end: int) -> None:
        found: list[ForcedItem] = []
        for event in await self._queue.get_events("TransactionEnqueued", start, end):
            found.append(ForcedTransaction(int(event.arguments["index"]),
                                           bytes(event.arguments["raw_transaction"]),
                                           event.log.block_number))
        for event in await self._queue.get_events("DepositEnqueued", start, end):
            recipient = str(event.arguments["recipient"])
            found.append(ForcedDeposit(int(event.arguments["index"]),
                                       bytes.fromhex(recipient[2:]),
                                       int(event.arguments["amount"]), event.log.block_number))
        for item in sorted(found, key=lambda item: item.index):
            if item.index != len(self._items):
                raise ForcedQueueError(f"forced queue item {item.index} read where item "
                                       f"{len(self._items)} was expected (L1 blocks {start}-{end})")
            self._items.append(item)


def items_for_block(all_items: tuple[ForcedItem, ...], parent_through: int
                    ) -> tuple[ForcedItem, ...]:
    """The items a block takes: those its parent's chain has not included yet."""
    return all_items[parent_through:]
