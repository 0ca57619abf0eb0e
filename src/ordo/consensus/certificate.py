"""Commit certificates: the proof that a block is final.

A certificate is the precommits of a quorum for one block at one (height, round). Checking one
needs only the validator set, the chain id, these bytes and the block's parent hash (every
precommit signs it, see ordo.consensus.signing; the block header carries it, so the certificate
does not repeat it), so light clients, the batcher and the L1 inbox contract can all check it
the same way this module does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.consensus.messages import HASH_LENGTH, NIL, Vote, VoteType
from ordo.consensus.signing import compute_vote_digest, recover_signer
from ordo.consensus.validator_set import ADDRESS_LENGTH, ValidatorSet


class CertificateError(ValueError):
    """A certificate that does not prove finality; the message says which check failed."""


@dataclass(frozen=True)
class CommitCertificate:
    """``signatures`` are (validator address, 65-byte precommit signature), sorted by address."""

    height: int
    round: int
    block_hash: bytes
    signatures: tuple[tuple[bytes, bytes], ...]


def build_certificate(precommits: list[Vote] | tuple[Vote, ...]) -> CommitCertificate:
    """Certificate from precommits for one block at one (height, round), canonically sorted."""
    first = precommits[0]
    return CommitCertificate(
        height=first.height,
        round=first.round,
        block_hash=first.block_hash,
        signatures=tuple(sorted((vote.validator, vote.signature) for vote in precommits)),
    )


def certificate_precommits(
    certificate: CommitCertificate, chain_id: int, parent_hash: bytes
) -> tuple[Vote, ...]:
    """The precommits a certificate is made of, as votes (``parent_hash``: the parent named by
    the certified block's header). ValueError for malformed entries; signatures unchecked."""
    return tuple(
        Vote(chain_id, certificate.height, certificate.round, VoteType.PRECOMMIT, parent_hash,
             certificate.block_hash, address, signature)
        for address, signature in certificate.signatures
    )


def verify_certificate(
    certificate: CommitCertificate, validator_set: ValidatorSet, chain_id: int,
    parent_hash: bytes,
) -> None:
    """Return if ``certificate`` proves its block final under ``validator_set``; else raise
    CertificateError. ``parent_hash`` is the certified block's parent (its header's
    parent_hash): the precommits signed it. Signers must be distinct validators in ascending
    address order (so one certificate has one encoding) and their stake must be a quorum."""
    if not isinstance(certificate.height, int) or not 0 <= certificate.height < 2**64:
        raise CertificateError("height out of range")
    if not isinstance(certificate.round, int) or not 0 <= certificate.round < 2**31:
        raise CertificateError("round out of range")
    block_hash = certificate.block_hash
    if not isinstance(block_hash, bytes) or len(block_hash) != HASH_LENGTH:
        raise CertificateError("block hash must be 32 bytes")
    if block_hash == NIL:
        raise CertificateError("a certificate cannot finalize the nil hash")
    if not isinstance(parent_hash, bytes) or len(parent_hash) != HASH_LENGTH:
        raise CertificateError("parent hash must be 32 bytes")
    digest = compute_vote_digest(
        chain_id, certificate.height, certificate.round, int(VoteType.PRECOMMIT), parent_hash,
        block_hash
    )
    stake = 0
    previous = b""
    for entry in certificate.signatures:
        if len(entry) != 2:
            raise CertificateError("each signature entry is (address, signature)")
        address, signature = entry
        if not isinstance(address, bytes) or len(address) != ADDRESS_LENGTH:
            raise CertificateError("signer address must be 20 bytes")
        if address <= previous:
            raise CertificateError(f"signer 0x{address.hex()} duplicated or out of order")
        previous = address
        if address not in validator_set:
            raise CertificateError(f"signer 0x{address.hex()} is not a validator")
        if not isinstance(signature, bytes) or recover_signer(digest, signature) != address:
            raise CertificateError(f"bad precommit signature of 0x{address.hex()}")
        stake += validator_set.stake_of(address)
    if not validator_set.is_quorum(stake):
        raise CertificateError(
            f"signers hold {stake} of {validator_set.total_stake} stake: not a quorum"
        )
