"""The proposer schedule: determinism, stake-proportional draws, rotation, sticky failover."""

from __future__ import annotations

from collections import Counter

from eth_hash.auto import keccak

from ordo.consensus import (
    ChainTip,
    Validator,
    ValidatorSet,
    advance_tip,
    compute_epoch_seed,
    compute_proposer_order,
    compute_tip,
    genesis_tip,
    get_epoch,
    get_proposer,
)


def make_set(stakes: list[int]) -> ValidatorSet:
    return ValidatorSet.of(Validator(bytes([i + 1]) * 20, stake) for i, stake in enumerate(stakes))


def test_order_is_a_deterministic_permutation_depending_on_the_seed() -> None:
    validators = make_set([3, 1, 4, 1, 5])
    seed = compute_epoch_seed(keccak(b"anchor"))
    order = compute_proposer_order(seed, validators)
    assert order == compute_proposer_order(seed, validators)
    assert sorted(order) == sorted(v.address for v in validators.validators)
    orders = {
        compute_proposer_order(compute_epoch_seed(bytes([i]) * 32), validators) for i in range(20)
    }
    assert len(orders) > 5


def test_first_place_frequency_is_proportional_to_stake() -> None:
    stakes = [1, 2, 3, 4, 10]
    validators = make_set(stakes)
    draws = 4000
    firsts = Counter(
        compute_proposer_order(compute_epoch_seed(keccak(i.to_bytes(4, "big"))), validators)[0]
        for i in range(draws)
    )
    total = sum(stakes)
    for validator in validators.validators:
        expected = draws * validator.stake / total
        tolerance = 4 * (expected * (1 - validator.stake / total)) ** 0.5  # four sigma
        assert abs(firsts[validator.address] - expected) < tolerance, validator


def test_proposer_rotates_by_round_from_the_offset() -> None:
    order = (b"a" * 20, b"b" * 20, b"c" * 20)
    assert [get_proposer(order, 0, r) for r in range(4)] == [order[0], order[1], order[2], order[0]]
    assert get_proposer(order, 2, 0) == order[2] and get_proposer(order, 2, 1) == order[0]


def test_epochs_group_heights_and_genesis_anchors_epoch_zero() -> None:
    assert [get_epoch(h, 3) for h in range(1, 8)] == [0, 0, 0, 1, 1, 1, 2]
    genesis = keccak(b"genesis")
    assert genesis_tip(genesis) == ChainTip(1, genesis, genesis, 0)


def test_sticky_failover_keeps_the_replacement_and_new_epochs_reset() -> None:
    validators = make_set([1, 1, 1, 1])
    genesis = keccak(b"genesis")
    order = compute_proposer_order(compute_epoch_seed(genesis), validators)
    tip = genesis_tip(genesis)
    # height 1 built by order[0] (round 0): offset stays 0
    tip = advance_tip(tip, b"\x01" * 32, order[0], order, epoch_length=3)
    assert (tip.height, tip.proposer_offset) == (2, 0)
    # height 2: the producer was down, round 2's proposer order[2] built it: it stays producer
    tip = advance_tip(tip, b"\x02" * 32, order[2], order, epoch_length=3)
    assert tip.proposer_offset == 2 and get_proposer(order, tip.proposer_offset, 0) == order[2]
    # height 3 closes epoch 0: epoch 1 is anchored on block 3 and starts at offset 0
    tip = advance_tip(tip, b"\x03" * 32, order[2], order, epoch_length=3)
    assert tip == ChainTip(4, b"\x03" * 32, b"\x03" * 32, 0)


def test_compute_tip_replays_the_chain_across_epochs() -> None:
    validators = make_set([2, 1, 1])
    genesis = keccak(b"genesis")
    order = compute_proposer_order(compute_epoch_seed(genesis), validators)
    blocks = [(b"\x01" * 32, order[1]), (b"\x02" * 32, order[1])]
    tip = compute_tip(genesis, blocks, 5, lambda _: validators)
    assert tip == ChainTip(3, b"\x02" * 32, genesis, 1)
    next_order = compute_proposer_order(compute_epoch_seed(b"\x02" * 32), validators)
    longer = [*blocks, (b"\x03" * 32, next_order[2])]
    tip = compute_tip(genesis, longer, 2, lambda _: validators)
    assert tip == ChainTip(4, b"\x03" * 32, b"\x02" * 32, 2)
