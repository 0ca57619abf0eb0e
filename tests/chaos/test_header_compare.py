"""Comparing block hashes and state roots between a restarted node and the others."""

from __future__ import annotations

from ordo.chaos.crash.header_compare import BlockHeader, all_mismatches, header_mismatches

A = BlockHeader("0xaa", "0x01")
B = BlockHeader("0xbb", "0x02")


def test_identical_chains_have_no_mismatch() -> None:
    chain = {0: A, 1: B}
    assert header_mismatches(1, chain, 0, dict(chain)) == []
    assert all_mismatches({0: chain, 1: dict(chain), 2: dict(chain)}) == []


def test_a_different_block_a_different_state_root_and_a_missing_block_are_each_named() -> None:
    problems = header_mismatches(2, {1: A, 2: BlockHeader("0xaa", "0x09"), 3: None},
                                 0, {1: B, 2: A, 3: B})
    assert problems == [
        "block 1: node 2 holds 0xaa, node 0 holds 0xbb",
        "block 2 0xaa: node 2 state root 0x09, node 0 0x01",
        "block 3: node 2 has no block there",
    ]


def test_every_node_is_compared_with_the_lowest_numbered() -> None:
    assert all_mismatches({3: {5: B}, 1: {5: A}}) == ["block 5: node 3 holds 0xbb, "
                                                      "node 1 holds 0xaa"]
    assert all_mismatches({}) == []
