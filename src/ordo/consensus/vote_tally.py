"""The votes of one type in one round, counted the way the paper counts messages.

A quorum "for id(v)" is a set of distinct validators that sent a vote for id(v); a quorum "for
anything" is a set of distinct validators that sent any vote. An equivocating validator is
therefore counted once in every block it voted for, and once in the total: that is what lets
every correct node see the quorum the others saw, whichever of a double-signer's votes reached
it first. Safety is unaffected: two quorums still intersect in a correct validator.

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
    by_hash: Mapping[bytes, Mapping[bytes, Vote]] = field(default_factory=dict)
    stake_by_hash: Mapping[bytes, int] = field(default_factory=dict)
    stake: int = 0

    def stake_for(self, block_hash: bytes) -> int:
        return self.stake_by_hash.get(block_hash, 0)

    def votes_for(self, block_hash: bytes) -> tuple[Vote, ...]:
        return tuple(self.by_hash.get(block_hash, {}).values())

    def has_vote(self, validator: bytes, block_hash: bytes) -> bool:
        return validator in self.by_hash.get(block_hash, {})

    def count_hashes_of(self, validator: bytes) -> int:
        return sum(1 for voters in self.by_hash.values() if validator in voters)


EMPTY_TALLY = VoteTally()


def add_vote(tally: VoteTally, vote: Vote, stake: int) -> VoteTally:
    """Count ``vote`` (the caller has checked it is not already counted for its block hash)."""
    votes = tally.votes
    total = tally.stake
    if vote.validator not in votes:
        votes = {**votes, vote.validator: vote}
        total += stake
    by_hash = dict(tally.by_hash)
    by_hash[vote.block_hash] = {**by_hash.get(vote.block_hash, {}), vote.validator: vote}
    stake_by_hash = dict(tally.stake_by_hash)
    stake_by_hash[vote.block_hash] = stake_by_hash.get(vote.block_hash, 0) + stake
    return VoteTally(votes, by_hash, stake_by_hash, total)
