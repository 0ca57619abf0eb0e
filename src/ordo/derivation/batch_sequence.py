"""Order of accepted batches: indexes 0, 1, 2, ... and each batch's first block right after the
previous batch's last (the first batch starts at block 1).

The inbox enforces both, so a gap here means the events were read incompletely (a log range the
node dropped, a reorganised L1 block) or the contract is not the one we think: either way a
verifier must stop rather than derive a chain with a hole in it. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.derivation.inbox_batches import AcceptedBatch


@dataclass
class BatchSequence:
    """What the next batch must be: its index and its first block."""

    next_index: int = 0
    next_block: int = 1

    def accept(self, batch: AcceptedBatch) -> None:
        """Advance past ``batch``; DerivationError if it is not the next one."""
        if batch.index != self.next_index:
            problem = "a batch is missing before it" if batch.index > self.next_index else \
                "it was derived already"
            raise DerivationError(f"batch {batch.index} arrived where batch {self.next_index} "
                                  f"was due: {problem}")
        if batch.first_block != self.next_block:
            raise InvalidBatch(batch.index, f"first_block {batch.first_block} does not follow "
                                            f"the previous batch (next block {self.next_block})")
        if batch.last_block < batch.first_block:
            raise InvalidBatch(batch.index, f"last_block {batch.last_block} is before "
                                            f"first_block {batch.first_block}")
        self.next_index = batch.index + 1
        self.next_block = batch.last_block + 1

    def rewind(self, removed: AcceptedBatch) -> None:
        """L1 removed ``removed`` and every later batch (a lost dispute): its index is due
        again, starting at its first block. A removal of batches not reached yet changes
        nothing."""
        if removed.index < self.next_index:
            self.next_index = removed.index
            self.next_block = removed.first_block


def in_index_order(batches: Iterable[AcceptedBatch]) -> list[AcceptedBatch]:
    """Events sorted by index; two events for one index cannot both be real (the inbox logs an
    index once), so that is an error too."""
    by_index: dict[int, AcceptedBatch] = {}
    for batch in batches:
        seen = by_index.get(batch.index)
        if seen is not None and seen.header_hash != batch.header_hash:
            raise DerivationError(f"batch {batch.index} accepted twice with different headers "
                                  f"(L1 transactions 0x{seen.l1_transaction.hex()} and "
                                  f"0x{batch.l1_transaction.hex()})")
        by_index[batch.index] = batch
    return [by_index[index] for index in sorted(by_index)]
