"""What a block takes from L1, by the same rules when this node builds one and when it checks a
proposal: its L1 origin, the forced-queue items enqueued up to that origin, and the origin's
prices for the L1 data fee (docs/consensus.md §14, docs/state_transition.md §2.6 and 6.4).

Without an L1 (``l1_watch`` None) blocks name no origin and take no forced items.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from eth.abc import BlockHeaderAPI

from ordo.core.block import Block
from ordo.core.forced_item import ForcedItem
from ordo.core.l1_fee import NO_PRICES, L1Prices
from ordo.l1.forced_queue_reader import ForcedQueueReader
from ordo.node.l1_origin import (
    L1Origin,
    choose_origin,
    forced_through_of,
    l1_prices_view_error,
    origin_of,
    origin_view_error,
    validator_min_depth,
)
from ordo.node.l1_watch import L1Watch

log = logging.getLogger(__name__)


class ForcedItemsError(Exception):
    """A block's forced-queue items are not what its L1 origin makes them, or cannot be read."""


@dataclass(frozen=True)
class NewBlockInputs:
    origin: L1Origin | None
    forced: tuple[ForcedItem, ...]
    forced_through: int
    prices: L1Prices


class L1BlockInputs:
    def __init__(self, l1_watch: L1Watch | None, confirmations: int, l1_fee: bool) -> None:
        """``confirmations``: how deep the proposer's origin is (validators accept half);
        ``l1_fee``: the genesis charges the L1 data fee, so blocks carry the origin's prices."""
        self.l1_watch = l1_watch
        self.forced_queue: ForcedQueueReader | None = None
        """The L1 forced-inclusion queue (on L1 networks whose genesis names one)."""
        self._confirmations = confirmations
        self._l1_fee = l1_fee
        self.ready_origin: Callable[[L1Origin, L1Origin], L1Origin] | None = None
        """Builder policy on an L1-staked network (``L1EpochSets.ready_origin``): given the
        parent's origin and the newer confirmed one, the origin to name now, one of them or
        between them (never a validity rule)."""

    def next_origin(self, parent: BlockHeaderAPI) -> L1Origin | None:
        if self.l1_watch is None:
            return None
        parent_origin = origin_of(parent)
        assert parent_origin is not None, "stored L1-anchored blocks name their origin"
        origin = choose_origin(parent_origin, self.l1_watch.confirmed_origin())
        if origin != parent_origin and self.ready_origin is not None:
            return self.ready_origin(parent_origin, origin)
        return origin

    async def for_new_block(self, parent: BlockHeaderAPI) -> NewBlockInputs | None:
        """The origin, forced items and prices of our next block on ``parent``; None when the
        origin's prices cannot be read now (we do not propose this round). An unreadable queue
        keeps the parent's origin, whose items are all included already; so does an L1 that
        failed the watch's last request, without trying the queue."""
        origin = self.next_origin(parent)
        forced: tuple[ForcedItem, ...] = ()
        forced_through = forced_through_of(parent)
        if origin is not None and self.forced_queue is not None and \
                self.l1_watch is not None and self.l1_watch.last_error is not None and \
                origin != origin_of(parent):
            # The L1 did not answer the watch's last request: reading the queue up to a new
            # origin would wait out the client's retries, seconds without a block (chaos runs
            # with the L1 down); the parent's origin needs no read, its items are cached.
            origin = origin_of(parent)
        if origin is not None and self.forced_queue is not None:
            try:
                visible = await self.forced_queue.items_through(origin.number)
            except Exception as error:
                log.warning("forced queue unreadable at L1 block %d, keeping the parent's L1 "
                            "origin: %s", origin.number, error)
                origin = origin_of(parent)
            else:
                forced, forced_through = visible[forced_through:], len(visible)
        prices = await self.prices_of(origin)
        if prices is None:
            log.warning("L1 prices of the origin L1 block %s unreadable: not proposing this round",
                        None if origin is None else origin.number)
            return None
        return NewBlockInputs(origin, forced, forced_through, prices)

    async def prices_of(self, origin: L1Origin | None) -> L1Prices | None:
        """The L1 fee word a new block on ``origin`` carries: zero without the L1 fee or without
        L1, else the origin's prices (None: unreadable)."""
        if not self._l1_fee or origin is None or self.l1_watch is None:
            return NO_PRICES
        view = await self.l1_watch.view_for(origin.number)
        return view.prices.get(origin.number)

    async def forced_for(self, header: BlockHeaderAPI, parent: BlockHeaderAPI
                         ) -> tuple[ForcedItem, ...]:
        """The forced-queue items ``header``'s block must take: everything enqueued up to its
        L1 origin that its parent's chain has not included. ForcedItemsError when the header's
        count is not that, or the queue cannot be read now."""
        through, parent_through = forced_through_of(header), forced_through_of(parent)
        origin = origin_of(header)
        if self.forced_queue is None or origin is None:
            if through != parent_through:
                raise ForcedItemsError(f"the block claims forced-queue position {through}, but "
                                       "this network has no forced queue")
            return ()
        try:
            visible = await self.forced_queue.items_through(origin.number)
        except Exception as error:
            raise ForcedItemsError(f"forced queue unreadable at L1 block {origin.number}: "
                                   f"{error}") from error
        if through != len(visible):
            raise ForcedItemsError(f"the block includes forced-queue items up to {through}, "
                                   f"but {len(visible)} were enqueued up to its L1 origin "
                                   f"{origin.number}")
        return visible[parent_through:]

    async def origin_error(self, block: Block, parent: BlockHeaderAPI) -> str | None:
        """The L1 half of a proposal's validity (the layout half runs with the EVM check)."""
        if self.l1_watch is None:
            return None
        origin, parent_origin = origin_of(block.header), origin_of(parent)
        if origin is None or parent_origin is None:
            return "the block or its parent names no L1 origin"
        view = await self.l1_watch.view_for(origin.number)
        problem = origin_view_error(origin, parent_origin, view,
                                    validator_min_depth(self._confirmations))
        if problem is None and self._l1_fee:
            problem = l1_prices_view_error(block.header, origin, view)
        return problem
