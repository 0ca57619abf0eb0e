"""The fee vault's sharing rule (ordo.staking.fee_sharing): reimburse posting first, then split
by blocks produced, carry the dust; nothing created or lost."""

from __future__ import annotations

import random

import pytest

from ordo.staking.fee_sharing import FeeSharingError, share_epoch

A, B, C = b"\xaa" * 20, b"\xbb" * 20, b"\xcc" * 20


def test_posting_is_reimbursed_first_then_blocks_share_the_rest() -> None:
    shares = share_epoch(1_000, {A: 300, B: 100}, {A: 1, B: 2, C: 3})
    assert shares.reimbursed == {A: 300, B: 100}
    assert shares.rewards == {A: 100, B: 200, C: 300}
    assert shares.carried == 0


def test_short_income_reimburses_pro_rata_and_rewards_nothing() -> None:
    shares = share_epoch(100, {A: 300, B: 100}, {A: 5})
    assert shares.reimbursed == {A: 75, B: 25}
    assert shares.rewards == {A: 0}
    assert shares.carried == 0


def test_dust_and_fallback_blocks_are_carried() -> None:
    shares = share_epoch(100, {}, {A: 1, B: 1, C: 1, bytes(20): 4})
    assert shares.rewards == {A: 33, B: 33, C: 33}
    assert shares.carried == 1
    assert share_epoch(50, {}, {}).carried == 50
    # No block counts (fallback blocks only): posters are still reimbursed, the rest carried.
    only_fallback = share_epoch(50, {A: 20}, {bytes(20): 3})
    assert only_fallback.reimbursed == {A: 20} and only_fallback.rewards == {}
    assert only_fallback.carried == 30


def test_nothing_is_created_or_lost_and_negative_inputs_are_refused() -> None:
    rng = random.Random(13)
    for _ in range(500):
        people = [bytes([rng.randrange(256)]) * 20 for _ in range(rng.randrange(1, 6))]
        income = rng.randrange(10**20)
        costs = {p: rng.randrange(10**19) for p in people if rng.random() < 0.5}
        blocks = {p: rng.randrange(100) for p in people}
        shares = share_epoch(income, costs, blocks)
        assert shares.paid + shares.carried == income
        assert all(v >= 0 for v in (*shares.reimbursed.values(), *shares.rewards.values()))
        assert all(shares.reimbursed[p] <= c for p, c in costs.items() if c)
    with pytest.raises(FeeSharingError):
        share_epoch(-1, {}, {})
