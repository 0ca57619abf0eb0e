"""The inbox promises a chaos run on an L1 checks at its end: gapless, each batch once, each
ending on the block the nodes hold final there."""

from __future__ import annotations

from ordo.chaos.inbox_check import batches_off_chain, inbox_problems, origin_problems
from tests.derivation.batch_fixtures import accepted


def test_a_gapless_run_of_batches_has_no_problem() -> None:
    batches = [accepted(0, 1, 20), accepted(1, 21, 40), accepted(2, 41, 41)]
    assert inbox_problems(batches) == []


def test_a_duplicate_a_gap_and_a_skipped_block_are_each_named() -> None:
    assert inbox_problems([accepted(0, 1, 20), accepted(0, 1, 20)]) == [
        "batch 0 accepted 2 times", "event 1 is batch 0"]
    assert inbox_problems([accepted(0, 1, 20), accepted(2, 21, 40)]) == ["event 1 is batch 2"]
    assert inbox_problems([accepted(0, 1, 20), accepted(1, 22, 40)]) == [
        "batch 1 starts at block 22, not 21"]


def test_a_batch_whose_last_block_the_nodes_do_not_hold_is_named() -> None:
    held = "0x" + "11" * 32
    batches = [accepted(0, 1, 20), accepted(1, 21, 40, last_block_hash=b"\x99" * 32)]
    canonical = {20: held, 40: held}
    assert batches_off_chain(batches, canonical) == [
        f"batch 1 ends at block 40 0x{'99' * 32}, but the nodes hold {held} there"]
    assert batches_off_chain(batches[:1], canonical) == []


def test_a_final_block_whose_l1_origin_was_replaced_is_named() -> None:
    origins = {10: {"0xaa"}, 12: {"0xbb", "0xcc"}}
    assert origin_problems(origins, {10: "0xAA", 12: "0xbb"}) == [
        "final L2 blocks name L1 origin 12 0xcc, but the L1 holds 0xbb there"]
    assert origin_problems({13: {"0xdd"}}, {13: None}) == [
        "final L2 blocks name L1 origin 13 0xdd, but the L1 holds None there"]
