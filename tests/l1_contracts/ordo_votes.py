"""Consensus votes signed by Ordo's own Python signing code, in the tuple form the pool takes."""

from __future__ import annotations

from eth_utils import to_checksum_address

from ordo.consensus.messages import Vote, VoteType, sign_vote
from ordo.consensus.signing import LocalSigner

VoteTuple = tuple[int, int, int, int, bytes, bytes, bytes]
"""(chain_id, height, round, vote_type, parent_hash, block_hash, signature): the pool's Vote."""

PARENT = b"\x0f" * 32
"""The parent hash test votes name unless told otherwise (vote format v2 signs it)."""


def validator_key(index: int) -> LocalSigner:
    """A fixed, distinct consensus key per index (not one of anvil's account keys)."""
    return LocalSigner((0xA11CE000 + index).to_bytes(32, "big"))


def signer_address(key: LocalSigner) -> str:
    return to_checksum_address(key.address)


def signed_vote(
    key: LocalSigner,
    chain_id: int,
    height: int,
    round_: int = 0,
    vote_type: VoteType = VoteType.PRECOMMIT,
    block_hash: bytes = b"\x11" * 32,
    parent_hash: bytes = PARENT,
) -> Vote:
    return sign_vote(key, chain_id, height, round_, vote_type, parent_hash, block_hash)


def as_tuple(vote: Vote) -> VoteTuple:
    return (vote.chain_id, vote.height, vote.round, int(vote.vote_type), vote.parent_hash,
            vote.block_hash, vote.signature)
