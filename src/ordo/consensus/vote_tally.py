"""The votes of one type in one round: first vote per validator, and stake per block hash.

A tally is immutable; :func:`add_vote` returns a new one sharing nothing mutable with the old, so
earlier consensus states stay valid snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ordo.consensus.messages import Vote


@dataclass(frozen=True)
class VoteTally:
    votes: Mapping[bytes, Vote] = field(default_factory=dict)
    stake_by_hash: Mapping[bytes, int] = field(default_factory=dict)
    stake: int = 0

    def stake_for(self, block_hash: bytes) -> int:
        return self.stake_by_hash.get(block_hash, 0)

    def votes_for(self, block_hash: bytes) -> tuple[Vote, ...]:
        return tuple(vote for vote in self.votes.values() if vote.block_hash == block_hash)


EMPTY_TALLY = VoteTally()


def add_vote(tally: VoteTally, vote: Vote, stake: int) -> VoteTally:
    """Count ``vote`` (the caller has checked it is the validator's first in this tally)."""
    by_hash = dict(tally.stake_by_hash)
    by_hash[vote.block_hash] = by_hash.get(vote.block_hash, 0) + stake
    votes = dict(tally.votes)
    votes[vote.validator] = vote
    return VoteTally(votes, by_hash, tally.stake + stake)
