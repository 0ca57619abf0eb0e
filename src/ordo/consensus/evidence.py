"""Evidence of equivocation: what the staking part submits to L1 to slash a double-signer."""

from __future__ import annotations

from dataclasses import dataclass

from ordo.consensus.messages import Vote


class EvidenceError(ValueError):
    """Evidence that would not convince the L1 contract; the message says why."""


@dataclass(frozen=True)
class Equivocation:
    """Two votes by one validator for one (height, round, type) on one parent (the same chain)
    naming different blocks. Votes on different parents are not evidence: each is about its
    own chain (a validator that adopted L1's chain over blocks it had voted for votes again at
    those heights, legitimately).

    The pair is stored with the smaller block hash first, so the same offence always encodes to
    the same bytes whichever vote a node saw first.
    """

    first: Vote
    second: Vote

    @property
    def validator(self) -> bytes:
        return self.first.validator

    @property
    def height(self) -> int:
        return self.first.height


def make_equivocation(one: Vote, other: Vote) -> Equivocation:
    if one.block_hash <= other.block_hash:
        return Equivocation(one, other)
    return Equivocation(other, one)


def verify_equivocation(evidence: Equivocation, chain_id: int) -> None:
    """Return if ``evidence`` proves a double vote on ``chain_id``; else raise EvidenceError.

    Membership in the validator set at that height is the caller's check (the L1 contract knows
    the epoch's set); this is everything that depends only on the two votes.
    """
    first, second = evidence.first, evidence.second
    if first.chain_id != chain_id or second.chain_id != chain_id:
        raise EvidenceError("votes are for another chain")
    if first.validator != second.validator:
        raise EvidenceError("votes are by different validators")
    if (first.height, first.round, first.vote_type) != (
        second.height,
        second.round,
        second.vote_type,
    ):
        raise EvidenceError("votes are for different (height, round, type)")
    if first.parent_hash != second.parent_hash:
        raise EvidenceError(
            "votes extend different parents: they are about different chains, not an "
            "equivocation")
    if first.block_hash >= second.block_hash:
        raise EvidenceError("block hashes must differ and be in ascending order")
    if not first.is_signed_by_validator() or not second.is_signed_by_validator():
        raise EvidenceError("a vote is not signed by the named validator")
