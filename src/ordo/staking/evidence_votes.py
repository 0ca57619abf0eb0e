"""What a node sends the LockingPool to report an equivocation, and the id it remembers it by.

Pure. The pool is the judge of the evidence (signatures, chain, registration): nothing here
second-guesses it, so a refusal always carries the pool's own reason. This part only turns the
two consensus votes into the pool's ``Vote`` tuples and names the report:

- the *offence* ``(signer, height, round, vote_type, parent_hash)`` is what the pool punishes once
  (``offence_reported``), whatever pair of conflicting votes proves it;
- the *report key* is keccak256 of the ABI-encoded vote pair in a canonical order, so a node
  remembers what it already tried per pair. Keying by the pair rather than by the offence means
  a forged pair that names an honest signer, once refused, cannot stop a genuine pair for the
  same (height, round, type) from being reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from ordo.consensus.evidence import Equivocation
from ordo.consensus.messages import Vote

POOL_VOTE_ABI_TYPE = "(uint256,uint64,uint32,uint8,bytes32,bytes32,bytes)"
"""LockingPool's struct Vote{chain_id, height, round, vote_type, parent_hash, block_hash,
signature} (vote format v2: the parent hash is signed, and both votes must name the same one)."""

PoolVote = tuple[int, int, int, int, bytes, bytes, bytes]


@dataclass(frozen=True)
class OffenceReport:
    """One ``report_equivocation(vote_a, vote_b)`` call and what identifies it."""

    signer: bytes
    """The validator both votes claim; the pool recovers the real signer from the signatures."""
    height: int
    round: int
    vote_type: int
    parent_hash: bytes
    votes: tuple[PoolVote, PoolVote]
    """In the order the pool is called with (smaller block hash first; the pool takes either)."""
    key: bytes
    """keccak256 of the ABI-encoded pair: the same for the same two votes in either order."""

    @property
    def offence(self) -> tuple[bytes, int, int, int, bytes]:
        """The arguments of the pool's ``offence_reported`` view."""
        return (self.signer, self.height, self.round, self.vote_type, self.parent_hash)


def pool_vote(vote: Vote) -> PoolVote:
    """A consensus vote as the pool's Vote tuple (the validator field is not sent: the pool
    recovers the signer from the signature)."""
    return (vote.chain_id, vote.height, vote.round, int(vote.vote_type), vote.parent_hash,
            vote.block_hash, vote.signature)


def offence_report(evidence: Equivocation) -> OffenceReport:
    """The report of ``evidence``; TypeError for anything that is not two consensus votes."""
    if not isinstance(evidence, Equivocation):
        raise TypeError(f"evidence: expected an Equivocation, got {type(evidence).__name__}")
    for name, vote in (("first", evidence.first), ("second", evidence.second)):
        if not isinstance(vote, Vote):
            raise TypeError(f"evidence.{name}: expected a Vote, got {type(vote).__name__}")
    first, second = sorted((evidence.first, evidence.second),
                           key=lambda vote: (vote.block_hash, vote.signature))
    votes = (pool_vote(first), pool_vote(second))
    return OffenceReport(
        signer=first.validator, height=first.height, round=first.round,
        vote_type=int(first.vote_type), parent_hash=first.parent_hash, votes=votes,
        key=keccak(abi_encode([POOL_VOTE_ABI_TYPE, POOL_VOTE_ABI_TYPE], list(votes))))
