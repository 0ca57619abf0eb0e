"""The inbox's ``BatchesRemoved`` events, and the batches that still stand after them.

When a batch's output root loses its dispute game the inbox removes that batch and every later
one (``remove_batches``) and logs ``BatchesRemoved(index, header_hash, removed)``; the next batch
accepted takes index ``index`` again, starting where the removed batch started. A reader of the
inbox therefore folds both events in L1 order (block number, then log index): an acceptance
appends, a removal cuts the list back to ``index``. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ordo.derivation.errors import DerivationError
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.l1.abi_codec import AbiError
from ordo.l1.chain_records import L1Log
from ordo.l1.rollup_deploy import inbox_abi

REMOVED_EVENT = "BatchesRemoved"


@dataclass(frozen=True)
class RemovedBatches:
    """One ``BatchesRemoved`` event: batch ``index`` (whose header hash it names) and every
    later one, ``count`` in all, are no longer part of the inbox's chain."""

    index: int
    header_hash: bytes
    count: int
    l1_block_number: int
    l1_log_index: int


def batches_removed_topic() -> bytes:
    return inbox_abi().event(REMOVED_EVENT).topic


def removed_batches(log: L1Log) -> RemovedBatches:
    """The event in ``log``; DerivationError if it is not a well-formed BatchesRemoved."""
    where = f"L1 log {log.log_index} of transaction 0x{log.transaction_hash.hex()}"
    if log.removed:
        raise DerivationError(f"{where}: removed by an L1 reorganisation")
    try:
        arguments = inbox_abi().event(REMOVED_EVENT).decode(log).arguments
    except AbiError as error:
        raise DerivationError(f"{where}: {error}") from error
    return RemovedBatches(int(arguments["index"]), bytes(arguments["header_hash"]),
                          int(arguments["removed"]), log.block_number, log.log_index)


InboxEvent = AcceptedBatch | RemovedBatches


def in_l1_order(accepted: Iterable[AcceptedBatch],
                removed: Iterable[RemovedBatches]) -> list[InboxEvent]:
    """Both kinds of event in the order L1 logged them."""
    events: list[InboxEvent] = [*accepted, *removed]
    return sorted(events, key=lambda event: (event.l1_block_number, event.l1_log_index))


def apply_removal(standing: Sequence[AcceptedBatch],
                  removal: RemovedBatches) -> list[AcceptedBatch]:
    """``standing`` (in index order, contiguous) without batch ``removal.index`` and the ones
    after it. The removed batch must be the one the event names (by header hash) when it is in
    the list: anything else means the events were read incompletely. Batches before the list's
    first (the reader started later) are nothing to cut."""
    kept = [batch for batch in standing if batch.index < removal.index]
    named = next((batch for batch in standing if batch.index == removal.index), None)
    if named is not None and named.header_hash != removal.header_hash:
        raise DerivationError(
            f"BatchesRemoved (L1 block {removal.l1_block_number}) names batch {removal.index} "
            f"0x{removal.header_hash.hex()}, but the batch read at that index is "
            f"0x{named.header_hash.hex()}: an acceptance or removal was missed")
    return kept


def standing_batches(events: Iterable[InboxEvent]) -> list[AcceptedBatch]:
    """The batches the inbox holds after ``events`` (in L1 order), in index order; two
    acceptances of one index without a removal between them are an error, as in
    ``batch_sequence.in_index_order``."""
    standing: list[AcceptedBatch] = []
    for event in events:
        if isinstance(event, RemovedBatches):
            standing = apply_removal(standing, event)
            continue
        if standing and event.index != standing[-1].index + 1:
            raise DerivationError(
                f"batch {event.index} (L1 block {event.l1_block_number}) accepted after batch "
                f"{standing[-1].index}: a batch or a removal is missing between them")
        standing.append(event)
    return standing
