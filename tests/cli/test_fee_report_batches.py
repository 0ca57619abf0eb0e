"""Which postings ``ordo fees`` reimburses (ordo.operator.fee_report.batches_landed): only the
batches that still stand after the inbox's removals, in the epoch of their last block, with
epochs as consensus counts them (ordo.consensus.schedule.epoch_heights)."""

from __future__ import annotations

from dataclasses import replace

from eth_hash.auto import keccak

from ordo.consensus.schedule import epoch_heights, get_epoch
from ordo.derivation.removed_batches import RemovedBatches, in_l1_order
from ordo.operator.fee_report import batches_landed
from tests.derivation.batch_fixtures import accepted


def test_a_removed_batch_is_not_reimbursed_and_a_repost_counts_once() -> None:
    zero, one = accepted(0, 1, 4), accepted(1, 5, 8)
    one = replace(one, submitter=b"\xaa" * 20)
    # Batch 1's root lost its dispute: the inbox removed it, and B posted blocks 5..8 again.
    removal = RemovedBatches(1, one.header_hash, 1, 150, 0)
    again = replace(accepted(1, 5, 8), header_hash=keccak(b"again"), submitter=b"\xbb" * 20,
                    l1_block_number=200)
    events = in_l1_order([zero, one, again], [removal])
    first, last = epoch_heights(1, 4)
    assert batches_landed(events, first, last) == [again]
    # Before the removal the first posting was the one that stood.
    assert batches_landed(in_l1_order([zero, one], []), first, last) == [one]
    assert batches_landed(events, *epoch_heights(0, 4)) == [zero]


def test_epoch_heights_are_get_epochs_inverse() -> None:
    assert epoch_heights(0, 4) == (1, 4) and epoch_heights(2, 4) == (9, 12)
    for epoch in range(4):
        first, last = epoch_heights(epoch, 4)
        assert {get_epoch(height, 4) for height in range(first, last + 1)} == {epoch}
        assert get_epoch(first - 1, 4) == epoch - 1 and get_epoch(last + 1, 4) == epoch + 1
