"""Ordo's proposer schedule: who proposes at (height, round).

Heights are grouped into epochs of ``epoch_length`` blocks: epoch e holds heights
e*E + 1 .. (e+1)*E, so the block that closes epoch e - 1 is the one at height e*E (the genesis
block, height 0, for epoch 0). Its hash, known to every node once it is final, seeds the epoch's
stake-weighted order. The producer is ``order[offset]``; round r falls back to
``order[(offset + r) mod n]``. Sticky failover: after each commit, ``offset`` becomes the position
of the committed block's builder, so when round r's proposer replaced a dead producer it stays
the producer for the rest of the epoch (``offset + r`` for a block freshly proposed in round r).

Why the builder and not the certificate's round, as the first design worded it
(docs/consensus.md §18, departure 1): one block can be committed in several rounds (a locked
value re-proposed), so two correct nodes can hold certificates of different rounds for the same
block and would then disagree on the schedule (the simulator found exactly this). The builder
is part of the block, so all nodes agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth_hash.auto import keccak

from ordo.consensus.validator_set import ValidatorSet

SCHEDULE_DOMAIN = keccak(b"ordo.consensus.schedule.v1")

EpochValidators = Callable[[int], ValidatorSet]
"""The validator set of an epoch (from genesis, or from the L1 locking pool as the epoch's
anchor block names it)."""


@dataclass(frozen=True)
class ChainTip:
    """Where consensus resumes: the next height, its parent, and the schedule state there."""

    height: int
    parent_hash: bytes
    epoch_anchor_hash: bytes
    proposer_offset: int


def get_epoch(height: int, epoch_length: int) -> int:
    return (height - 1) // epoch_length


def epoch_heights(epoch: int, epoch_length: int) -> tuple[int, int]:
    """The first and last heights of ``epoch`` (``get_epoch``'s inverse: heights
    ``epoch * E + 1 .. (epoch + 1) * E``), so that fee tallies and settlements count the
    blocks consensus assigns to the epoch."""
    return epoch * epoch_length + 1, (epoch + 1) * epoch_length


def compute_epoch_seed(anchor_hash: bytes) -> bytes:
    return keccak(SCHEDULE_DOMAIN + anchor_hash)


def compute_random_word(seed: bytes, counter: int) -> int:
    """Word ``counter`` of the keccak stream in counter mode: keccak256(seed || uint256 counter)."""
    return int.from_bytes(keccak(seed + counter.to_bytes(32, "big")), "big")


def compute_proposer_order(seed: bytes, validator_set: ValidatorSet) -> tuple[bytes, ...]:
    """All validators in a stake-weighted random order without replacement.

    Each draw picks among the validators not yet placed with probability proportional to stake:
    a 256-bit word reduced modulo the remaining stake (bias below 2^-190 for any real stake),
    then the first validator, in address order, whose cumulative stake exceeds it.
    """
    remaining = list(validator_set.validators)
    remaining_stake = validator_set.total_stake
    order: list[bytes] = []
    counter = 0
    while remaining:
        target = compute_random_word(seed, counter) % remaining_stake
        counter += 1
        cumulative = 0
        for index, validator in enumerate(remaining):
            cumulative += validator.stake
            if target < cumulative:
                order.append(validator.address)
                remaining_stake -= validator.stake
                del remaining[index]
                break
    return tuple(order)


def get_proposer(order: tuple[bytes, ...], proposer_offset: int, round_: int) -> bytes:
    return order[(proposer_offset + round_) % len(order)]


def advance_tip(
    tip: ChainTip,
    block_hash: bytes,
    builder: bytes,
    order: tuple[bytes, ...],
    epoch_length: int,
) -> ChainTip:
    """The tip after the block at ``tip.height``, built by ``builder``, commits; ``order`` is the
    current epoch's proposer order."""
    next_height = tip.height + 1
    if get_epoch(next_height, epoch_length) != get_epoch(tip.height, epoch_length):
        return ChainTip(next_height, block_hash, block_hash, 0)
    offset = order.index(builder) if builder in order else tip.proposer_offset
    return ChainTip(next_height, block_hash, tip.epoch_anchor_hash, offset)


def genesis_tip(genesis_hash: bytes) -> ChainTip:
    return ChainTip(1, genesis_hash, genesis_hash, 0)


def compute_tip(
    genesis_hash: bytes,
    decided: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...],
    epoch_length: int,
    validators_of: EpochValidators,
) -> ChainTip:
    """The tip after the decided blocks ``(block hash, builder)`` from height 1 on: what a
    restarting node computes from its stored blocks."""
    tip = genesis_tip(genesis_hash)
    order = compute_proposer_order(compute_epoch_seed(genesis_hash), validators_of(0))
    for block_hash, builder in decided:
        anchor = tip.epoch_anchor_hash
        tip = advance_tip(tip, block_hash, builder, order, epoch_length)
        if tip.epoch_anchor_hash != anchor:
            epoch = get_epoch(tip.height, epoch_length)
            order = compute_proposer_order(compute_epoch_seed(tip.epoch_anchor_hash),
                                           validators_of(epoch))
    return tip
