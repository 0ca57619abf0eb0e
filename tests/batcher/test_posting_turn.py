"""Who posts a ready batch and when, and the fees of a replacement transaction."""

from __future__ import annotations

import pytest

from ordo.batcher.fee_bump import PostFees, bumped_fees
from ordo.batcher.posting_turn import may_post, posting_delay

A, B, C, D = (bytes([value]) * 20 for value in (0x0A, 0x0B, 0x0C, 0x0D))
SET = [D, B, A, C]  # any order: the rule sorts


def test_the_producer_posts_at_once_the_others_in_turn_after_it() -> None:
    assert posting_delay(B, B, SET, 30.0) == 0.0
    assert [posting_delay(member, B, SET, 30.0) for member in (C, D, A)] == [30.0, 60.0, 90.0]
    assert posting_delay(b"\xee" * 20, B, SET, 30.0) is None
    assert posting_delay(A, b"\xee" * 20, SET, 10.0) == 10.0  # producer outside the set
    with pytest.raises(ValueError, match="takeover_after"):
        posting_delay(A, B, SET, -1.0)


def test_may_post_once_the_wait_since_the_last_landing_is_over() -> None:
    delay = posting_delay(C, B, SET, 30.0)
    assert not may_post(now=129.9, waiting_since=100.0, delay=delay)
    assert may_post(now=130.0, waiting_since=100.0, delay=delay)
    assert may_post(now=100.0, waiting_since=100.0, delay=0.0)
    assert not may_post(now=10_000.0, waiting_since=0.0, delay=None)


def test_replacement_fees_rise_by_an_eighth_or_follow_the_l1() -> None:
    old = PostFees(max_fee_per_gas=1_000, max_priority_fee_per_gas=100)
    calm = PostFees(max_fee_per_gas=500, max_priority_fee_per_gas=50)
    assert bumped_fees(old, calm, blobs=False) == PostFees(1_125, 113, 0)
    busy = PostFees(max_fee_per_gas=5_000, max_priority_fee_per_gas=300)
    assert bumped_fees(old, busy, blobs=False) == PostFees(5_000, 300, 0)
    assert bumped_fees(PostFees(1, 1), PostFees(0, 0), blobs=False) == PostFees(2, 2, 0)


def test_blob_replacements_double_every_fee() -> None:
    old = PostFees(max_fee_per_gas=1_000, max_priority_fee_per_gas=100, max_fee_per_blob_gas=7)
    assert bumped_fees(old, PostFees(10, 1, 1), blobs=True) == PostFees(2_000, 200, 14)


def test_fees_are_checked() -> None:
    with pytest.raises(ValueError, match="max_priority_fee_per_gas 5 is above max_fee_per_gas 4"):
        PostFees(4, 5)
    with pytest.raises(ValueError, match="max_fee_per_blob_gas: -1"):
        PostFees(4, 1, -1)
