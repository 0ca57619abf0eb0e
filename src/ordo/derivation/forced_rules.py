"""The forced-queue items each posted block must take, and the counts it must claim.

An L1-anchored block's extra data ends with ``forced_through``: how many ForcedInclusionQueue
items the chain has included up to and including it, which must be every item enqueued at an
L1 block up to its L1 origin. The block takes items ``[parent's forced_through,
forced_through)`` before its own transactions (``ordo.execution.forced_inclusion``). Execution
would accept any count here, so a verifier checks it against its own read of the queue; a batch
header's ``forced_through`` must be its last block's. Pure: the items are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.core.batch_blocks import BatchBlock
from ordo.core.block_extra import decode_anchored_extra
from ordo.core.forced_item import ForcedItem
from ordo.derivation.batch_data import DecodedBatch
from ordo.derivation.errors import DerivationError, InvalidBatch


@dataclass(frozen=True)
class ForcedQueueItems:
    """Every item the queue holds from L1 events up to L1 block ``read_through``, in queue
    order (a prefix of the queue: items are numbered in enqueue order)."""

    items: tuple[ForcedItem, ...]
    read_through: int

    def enqueued_through(self, l1_block: int) -> tuple[ForcedItem, ...]:
        """The items enqueued at L1 blocks up to ``l1_block``."""
        if l1_block > self.read_through:
            raise DerivationError(f"forced queue read up to L1 block {self.read_through}, a "
                                  f"block names L1 origin {l1_block}")
        return tuple(item for item in self.items if item.enqueued_block <= l1_block)


def forced_through_of(extra_data: bytes) -> int:
    """The count an anchored block's extra data claims (0 for any other layout)."""
    fields = decode_anchored_extra(extra_data)
    return 0 if fields is None else fields.forced_through


def forced_items_of(index: int, posted: BatchBlock, parent_extra_data: bytes,
                    queue: ForcedQueueItems | None) -> tuple[ForcedItem, ...]:
    """The items ``posted`` takes before its transactions; InvalidBatch when the count its
    extra data claims is not the number of items enqueued up to its L1 origin."""
    fields = decode_anchored_extra(posted.extra_data)
    if fields is None:
        return ()  # not anchored: the origin layout check names what is wrong
    through, parent_through = fields.forced_through, forced_through_of(parent_extra_data)
    if queue is None:
        if through != 0:
            raise InvalidBatch(index, f"claims forced-queue position {through}, but the genesis "
                                      f"names no forced queue (it must stay 0)", posted.number)
        return ()
    if through < parent_through:
        raise InvalidBatch(index, f"forced-queue position {through} goes back from its "
                                  f"parent's {parent_through}", posted.number)
    visible = queue.enqueued_through(fields.origin_number)
    if through != len(visible):
        raise InvalidBatch(index, f"claims forced-queue items up to {through}, but "
                                  f"{len(visible)} were enqueued up to its L1 origin "
                                  f"{fields.origin_number}", posted.number)
    return visible[parent_through:through]


def header_forced_error(batch: DecodedBatch) -> InvalidBatch | None:
    """The signed header's ``forced_through`` differs from what its last block claims."""
    accepted = batch.accepted
    last = batch.blocks[-1]
    claimed = forced_through_of(last.extra_data)
    if accepted.forced_through != claimed:
        return InvalidBatch(accepted.index, f"the signed header's forced_through is "
                                            f"{accepted.forced_through}, its last block "
                                            f"claims {claimed}", last.number)
    return None


def latest_origin(batch: DecodedBatch) -> int | None:
    """The highest L1 origin the batch's anchored blocks name: the queue must be read to it."""
    origins = [fields.origin_number for fields in
               (decode_anchored_extra(block.extra_data) for block in batch.blocks)
               if fields is not None]
    return max(origins, default=None)
