"""The two consensus messages, Proposal and Vote, and the value they are about.

Consensus never looks inside a value: it is identified by ``block_hash`` and carried with the
height and parent it claims, which are enough to discard a proposal for the wrong place in the
chain without asking the node, and with the validator that built it (the block's own producer
field: validation must check that the block names it), which the proposer schedule needs.
Every constructor checks field sizes and ranges and raises ``ValueError``, so a malformed
message cannot reach the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from ordo.consensus.signing import (
    MAX_UINT32,
    MAX_UINT64,
    MAX_UINT256,
    SIGNATURE_LENGTH,
    LocalSigner,
    compute_proposal_digest,
    compute_vote_digest,
    recover_signer,
)
from ordo.consensus.validator_set import ADDRESS_LENGTH

HASH_LENGTH = 32
NIL = bytes(HASH_LENGTH)


class VoteType(IntEnum):
    PREVOTE = 1
    PRECOMMIT = 2


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_LENGTH:
        raise ValueError(f"{name} must be 32 bytes")


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} {value!r} out of range [{low}, {high}]")


def _check_common(chain_id: int, height: int, round_: int, signer: bytes, signature: bytes) -> None:
    _check_range("chain id", chain_id, 0, MAX_UINT256)
    _check_range("height", height, 0, MAX_UINT64)
    _check_range("round", round_, 0, MAX_UINT32 // 2)
    if not isinstance(signer, bytes) or len(signer) != ADDRESS_LENGTH:
        raise ValueError("signer address must be 20 bytes")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_LENGTH:
        raise ValueError("signature must be 65 bytes")


@dataclass(frozen=True)
class ProposedValue:
    """A candidate block as consensus sees it: its identity, its claimed place, its builder,
    its bytes."""

    height: int
    parent_hash: bytes
    block_hash: bytes
    proposer: bytes
    payload: bytes

    def __post_init__(self) -> None:
        _check_range("value height", self.height, 0, MAX_UINT64)
        _check_hash("parent hash", self.parent_hash)
        _check_hash("block hash", self.block_hash)
        if self.block_hash == NIL:
            raise ValueError("block hash must not be the nil (zero) hash")
        if not isinstance(self.proposer, bytes) or len(self.proposer) != ADDRESS_LENGTH:
            raise ValueError("value proposer must be a 20-byte address")
        if not isinstance(self.payload, bytes):
            raise ValueError("payload must be bytes")


@dataclass(frozen=True)
class Vote:
    """A signed prevote or precommit; ``block_hash`` is NIL for a vote for no block.

    ``parent_hash`` is the final block at ``height - 1`` that the voted height extends (also for
    nil votes): the vote is about that chain only, so votes naming different parents never
    conflict (see ordo.consensus.signing)."""

    chain_id: int
    height: int
    round: int
    vote_type: VoteType
    parent_hash: bytes
    block_hash: bytes
    validator: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_common(self.chain_id, self.height, self.round, self.validator, self.signature)
        if self.vote_type not in (VoteType.PREVOTE, VoteType.PRECOMMIT):
            raise ValueError(f"vote type {self.vote_type!r} is neither prevote nor precommit")
        _check_hash("vote parent hash", self.parent_hash)
        _check_hash("vote block hash", self.block_hash)

    @property
    def digest(self) -> bytes:
        return compute_vote_digest(
            self.chain_id, self.height, self.round, int(self.vote_type), self.parent_hash,
            self.block_hash
        )

    def is_signed_by_validator(self) -> bool:
        return recover_signer(self.digest, self.signature) == self.validator


@dataclass(frozen=True)
class Proposal:
    """A proposer's signed offer of ``value`` for (height, round); ``valid_round`` is -1 for a
    fresh value, else the round in which the network saw a prevote quorum for it."""

    chain_id: int
    height: int
    round: int
    valid_round: int
    value: ProposedValue
    proposer: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_common(self.chain_id, self.height, self.round, self.proposer, self.signature)
        _check_range("valid round", self.valid_round, -1, self.round - 1)
        if self.value.height != self.height:
            raise ValueError("proposal height differs from its value's height")

    @property
    def digest(self) -> bytes:
        return compute_proposal_digest(
            self.chain_id,
            self.height,
            self.round,
            self.valid_round,
            self.value.block_hash,
            self.value.parent_hash,
            self.value.proposer,
        )

    def is_signed_by_proposer(self) -> bool:
        return recover_signer(self.digest, self.signature) == self.proposer


ConsensusMessage = Proposal | Vote


def sign_vote(
    signer: LocalSigner,
    chain_id: int,
    height: int,
    round_: int,
    vote_type: VoteType,
    parent_hash: bytes,
    block_hash: bytes,
) -> Vote:
    """``parent_hash``: the final block at ``height - 1`` that this height extends."""
    digest = compute_vote_digest(chain_id, height, round_, int(vote_type), parent_hash, block_hash)
    signature = signer.sign(digest)
    return Vote(chain_id, height, round_, vote_type, parent_hash, block_hash, signer.address,
                signature)


def sign_proposal(
    signer: LocalSigner,
    chain_id: int,
    round_: int,
    valid_round: int,
    value: ProposedValue,
) -> Proposal:
    digest = compute_proposal_digest(
        chain_id,
        value.height,
        round_,
        valid_round,
        value.block_hash,
        value.parent_hash,
        value.proposer,
    )
    return Proposal(
        chain_id, value.height, round_, valid_round, value, signer.address, signer.sign(digest)
    )
