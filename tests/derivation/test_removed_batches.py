"""Batches removed by a lost dispute (BatchesRemoved): the events decode from a real inbox log,
the fold in L1 order keeps what stands, a removal that names another header than the one read
is refused, the sequence is due again at the removed index, and the run's summary records a
refused batch L1 removed without calling the run failed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_hash.auto import keccak

from ordo.derivation.batch_sequence import BatchSequence
from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.derivation.removed_batches import (
    RemovedBatches,
    apply_removal,
    batches_removed_topic,
    in_l1_order,
    removed_batches,
    standing_batches,
)
from ordo.derivation.summary import DerivationSummary
from ordo.l1.chain_records import L1Log
from tests.derivation.batch_fixtures import accepted


def removal(index: int, l1_block: int, log_index: int = 0, count: int = 1) -> RemovedBatches:
    return RemovedBatches(index, keccak(b"header %d" % index), count, l1_block, log_index)


def test_the_event_decodes_from_its_log_and_a_reorganised_log_is_refused() -> None:
    header_hash = b"\x5a" * 32
    log = L1Log(address=b"\x42" * 20,
                topics=(batches_removed_topic(), (3).to_bytes(32, "big"), header_hash),
                data=(4).to_bytes(32, "big"), block_number=77, block_hash=b"\x01" * 32,
                transaction_hash=b"\x02" * 32, transaction_index=0, log_index=5)
    assert removed_batches(log) == RemovedBatches(3, header_hash, 4, 77, 5)
    with pytest.raises(DerivationError, match="removed by an L1 reorganisation"):
        removed_batches(replace(log, removed=True))
    with pytest.raises(DerivationError, match="L1 log 5 of transaction 0x0202"):
        removed_batches(replace(log, data=b""))


def test_a_removal_cuts_the_batch_and_every_later_one_and_the_index_is_accepted_again() -> None:
    zero, one, two = accepted(0, 1, 5), accepted(1, 6, 10), accepted(2, 11, 15)
    again = replace(accepted(1, 6, 12), header_hash=b"\x77" * 32, l1_block_number=200)
    events = in_l1_order([again, two, zero, one], [removal(1, 150, count=2)])
    assert [event.l1_block_number for event in events] == [100, 101, 102, 150, 200]
    assert standing_batches(events) == [zero, again]
    # Two removals in a row (a later batch's game lost first, then an earlier one's).
    assert standing_batches(in_l1_order([zero, one, two], [removal(2, 120),
                                                          removal(1, 130)])) == [zero]
    # Same L1 block: the log index orders them.
    same_block = replace(again, l1_block_number=150, l1_log_index=1)
    assert standing_batches(in_l1_order([zero, one, same_block],
                                        [removal(1, 150, log_index=0)])) == [zero, same_block]


def test_gaps_and_a_removal_of_another_header_are_refused() -> None:
    zero, one = accepted(0, 1, 5), accepted(1, 6, 10)
    with pytest.raises(DerivationError, match=r"batch 1 .* accepted after batch 1: a batch or a "
                                              "removal is missing"):
        standing_batches([zero, one, replace(one, l1_block_number=300)])
    with pytest.raises(DerivationError, match=r"names batch 1 0x5a5a.*the batch read at that "
                                              "index is 0x"):
        apply_removal([zero, one], RemovedBatches(1, b"\x5a" * 32, 1, 150, 0))
    # A removal of batches before the first one read (the reader started later) cuts nothing.
    assert apply_removal([one], removal(3, 150)) == [one]


def test_the_sequence_is_due_again_at_the_removed_batch() -> None:
    sequence = BatchSequence()
    for batch in (accepted(0, 1, 5), accepted(1, 6, 10), accepted(2, 11, 15)):
        sequence.accept(batch)
    sequence.rewind(accepted(3, 16, 20))  # not reached yet: nothing changes
    assert (sequence.next_index, sequence.next_block) == (3, 16)
    sequence.rewind(accepted(1, 6, 10))
    assert (sequence.next_index, sequence.next_block) == (1, 6)
    sequence.accept(accepted(1, 6, 12))
    with pytest.raises(DerivationError, match="batch 1 arrived where batch 2 was due"):
        sequence.accept(accepted(1, 6, 12))


def test_a_refused_batch_that_l1_removed_no_longer_fails_the_run() -> None:
    summary = DerivationSummary(l1_from_block=0)
    wrong = accepted(1, 6, 10)
    summary.refuse(wrong, InvalidBatch(1, "re-executed to another output root", 10))
    assert not summary.ok
    summary.remove(removal(2, 150))  # a later removal leaves the refusal standing
    assert not summary.ok and summary.removed[0]["refused"] is None
    summary.remove(removal(1, 160, count=2))
    assert summary.ok
    entry = summary.to_json()["removed"][1]
    assert (entry["index"], entry["count"], entry["l1_block"]) == (1, 2, 160)
    assert entry["refused"]["reason"] == "re-executed to another output root"
