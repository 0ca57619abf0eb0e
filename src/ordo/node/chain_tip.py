"""Where consensus resumes after the stored chain: the ChainTip of the next height.

The schedule state after a block depends only on the epoch's anchor block and on who built the
last block, so it is read from two stored headers instead of replaying the whole chain; a block
names its builder in the header's extra data (the first 20 bytes), which is also what a
validator checks a proposal against.
"""

from __future__ import annotations

from collections.abc import Callable

from eth.abc import BlockHeaderAPI

from ordo.consensus import (
    ChainTip,
    EpochValidators,
    compute_epoch_seed,
    compute_proposer_order,
    genesis_tip,
    get_epoch,
)
from ordo.core.block_extra import builder_of

HeaderAt = Callable[[int], BlockHeaderAPI]


def tip_after(head: int, header_at: HeaderAt, epoch_length: int,
              validators_of: EpochValidators) -> ChainTip:
    """The tip after the stored chain whose newest block is ``head``."""
    if head == 0:
        return genesis_tip(bytes(header_at(0).hash))
    head_header = header_at(head)
    head_hash = bytes(head_header.hash)
    if get_epoch(head + 1, epoch_length) != get_epoch(head, epoch_length):
        return ChainTip(head + 1, head_hash, head_hash, 0)
    anchor_hash = bytes(header_at(get_epoch(head + 1, epoch_length) * epoch_length).hash)
    order = compute_proposer_order(compute_epoch_seed(anchor_hash),
                                   validators_of(get_epoch(head + 1, epoch_length)))
    # Sticky failover: the offset is the position of the newest builder of this epoch that is
    # in the set; a block built by none of it (a fallback block L1 determined, whose builder is
    # zero) leaves the offset where it was, and an epoch with no such block starts at 0. This
    # is what replaying the epoch with advance_tip gives, read backwards from the head.
    first = get_epoch(head + 1, epoch_length) * epoch_length + 1
    for number in range(head, first - 1, -1):
        builder = builder_of(head_header if number == head else header_at(number))
        if builder in order:
            return ChainTip(head + 1, head_hash, anchor_hash, order.index(builder))
    return ChainTip(head + 1, head_hash, anchor_hash, 0)
