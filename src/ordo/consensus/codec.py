"""Canonical RLP encodings of consensus messages, certificates and evidence.

One object has exactly one encoding (integers without leading zeros, signatures sorted in
certificates), so hashes of encodings can serve as gossip identifiers. Decoding validates every
field and raises :class:`DecodeError` with the reason; it never raises anything else.

Layouts (RLP lists; integers big-endian):
- value:       [height, parent_hash, block_hash, proposer, payload]
- vote:        [chain_id, height, round, vote_type, parent_hash, block_hash, validator, signature]
- proposal:    [chain_id, height, round, valid_round + 1, value, proposer, signature]
- certificate: [height, round, block_hash, [[validator, signature], ...]] (the precommits'
  parent hash is the certified block's header's, so it is not repeated)
- evidence:    [vote, vote]
- message:     [kind, body] with kind 1 = proposal, 2 = vote (what the network ships)
"""

from __future__ import annotations

from typing import Any

import rlp

from ordo.consensus.certificate import CommitCertificate
from ordo.consensus.evidence import Equivocation
from ordo.consensus.messages import ConsensusMessage, Proposal, ProposedValue, Vote, VoteType

MESSAGE_KIND_PROPOSAL = 1
MESSAGE_KIND_VOTE = 2


class DecodeError(ValueError):
    """Bytes that are not a well-formed consensus object."""


RlpItem = bytes | list[Any]


def _vote_fields(vote: Vote) -> list[Any]:
    return [
        vote.chain_id,
        vote.height,
        vote.round,
        int(vote.vote_type),
        vote.parent_hash,
        vote.block_hash,
        vote.validator,
        vote.signature,
    ]


def _value_fields(value: ProposedValue) -> list[Any]:
    return [value.height, value.parent_hash, value.block_hash, value.proposer, value.payload]


def _proposal_fields(proposal: Proposal) -> list[Any]:
    return [
        proposal.chain_id,
        proposal.height,
        proposal.round,
        proposal.valid_round + 1,
        _value_fields(proposal.value),
        proposal.proposer,
        proposal.signature,
    ]


def encode_vote(vote: Vote) -> bytes:
    return bytes(rlp.encode(_vote_fields(vote)))


def encode_value(value: ProposedValue) -> bytes:
    return bytes(rlp.encode(_value_fields(value)))


def encode_proposal(proposal: Proposal) -> bytes:
    return bytes(rlp.encode(_proposal_fields(proposal)))


def encode_certificate(certificate: CommitCertificate) -> bytes:
    signatures = [[address, signature] for address, signature in certificate.signatures]
    return bytes(
        rlp.encode([certificate.height, certificate.round, certificate.block_hash, signatures])
    )


def encode_evidence(evidence: Equivocation) -> bytes:
    return bytes(rlp.encode([_vote_fields(evidence.first), _vote_fields(evidence.second)]))


def encode_message(message: ConsensusMessage) -> bytes:
    if isinstance(message, Proposal):
        return bytes(rlp.encode([MESSAGE_KIND_PROPOSAL, _proposal_fields(message)]))
    return bytes(rlp.encode([MESSAGE_KIND_VOTE, _vote_fields(message)]))


# --- decoding ----------------------------------------------------------------------------------


def _rlp_decode(data: bytes, what: str) -> RlpItem:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(f"{what}: expected bytes")
    try:
        item: RlpItem = rlp.decode(bytes(data), strict=True)
    except Exception as error:  # rlp raises several exception types for junk
        raise DecodeError(f"{what}: malformed RLP: {error}") from error
    return item


def _list(item: RlpItem, length: int, what: str) -> list[Any]:
    if not isinstance(item, list) or len(item) != length:
        raise DecodeError(f"{what}: expected a list of {length} items")
    return item


def _bytes(item: RlpItem, what: str, length: int | None = None) -> bytes:
    if not isinstance(item, bytes):
        raise DecodeError(f"{what}: expected a byte string")
    if length is not None and len(item) != length:
        raise DecodeError(f"{what}: expected {length} bytes, got {len(item)}")
    return item


def _int(item: RlpItem, what: str, max_bytes: int = 32) -> int:
    raw = _bytes(item, what)
    if len(raw) > max_bytes:
        raise DecodeError(f"{what}: integer longer than {max_bytes} bytes")
    if raw[:1] == b"\x00":
        raise DecodeError(f"{what}: integer with leading zero")
    return int.from_bytes(raw, "big")


def _build(what: str, constructor: Any, *fields: Any) -> Any:
    try:
        return constructor(*fields)
    except ValueError as error:
        raise DecodeError(f"{what}: {error}") from error


def _decode_vote_item(item: RlpItem, what: str = "vote") -> Vote:
    chain_id, height, round_, vote_type, parent_hash, block_hash, validator, signature = _list(
        item, 8, what)
    type_number = _int(vote_type, f"{what} type", 1)
    if type_number not in (VoteType.PREVOTE, VoteType.PRECOMMIT):
        raise DecodeError(f"{what}: unknown vote type {type_number}")
    vote: Vote = _build(
        what,
        Vote,
        _int(chain_id, f"{what} chain id"),
        _int(height, f"{what} height", 8),
        _int(round_, f"{what} round", 4),
        VoteType(type_number),
        _bytes(parent_hash, f"{what} parent hash", 32),
        _bytes(block_hash, f"{what} block hash", 32),
        _bytes(validator, f"{what} validator", 20),
        _bytes(signature, f"{what} signature", 65),
    )
    return vote


def _decode_value_item(item: RlpItem) -> ProposedValue:
    height, parent_hash, block_hash, proposer, payload = _list(item, 5, "value")
    value: ProposedValue = _build(
        "value",
        ProposedValue,
        _int(height, "value height", 8),
        _bytes(parent_hash, "value parent hash", 32),
        _bytes(block_hash, "value block hash", 32),
        _bytes(proposer, "value proposer", 20),
        _bytes(payload, "value payload"),
    )
    return value


def _decode_proposal_item(item: RlpItem) -> Proposal:
    chain_id, height, round_, valid_round, value, proposer, signature = _list(item, 7, "proposal")
    proposal: Proposal = _build(
        "proposal",
        Proposal,
        _int(chain_id, "proposal chain id"),
        _int(height, "proposal height", 8),
        _int(round_, "proposal round", 4),
        _int(valid_round, "proposal valid round", 4) - 1,
        _decode_value_item(value),
        _bytes(proposer, "proposal proposer", 20),
        _bytes(signature, "proposal signature", 65),
    )
    return proposal


def decode_vote(data: bytes) -> Vote:
    return _decode_vote_item(_rlp_decode(data, "vote"))


def decode_value(data: bytes) -> ProposedValue:
    return _decode_value_item(_rlp_decode(data, "value"))


def decode_proposal(data: bytes) -> Proposal:
    return _decode_proposal_item(_rlp_decode(data, "proposal"))


def decode_certificate(data: bytes) -> CommitCertificate:
    height, round_, block_hash, signatures = _list(
        _rlp_decode(data, "certificate"), 4, "certificate"
    )
    if not isinstance(signatures, list):
        raise DecodeError("certificate: signatures must be a list")
    entries = tuple(
        (
            _bytes(entry[0], "certificate signer", 20),
            _bytes(entry[1], "certificate signature", 65),
        )
        for entry in (_list(raw, 2, "certificate signature entry") for raw in signatures)
    )
    return CommitCertificate(
        height=_int(height, "certificate height", 8),
        round=_int(round_, "certificate round", 4),
        block_hash=_bytes(block_hash, "certificate block hash", 32),
        signatures=entries,
    )


def decode_evidence(data: bytes) -> Equivocation:
    first, second = _list(_rlp_decode(data, "evidence"), 2, "evidence")
    return Equivocation(
        _decode_vote_item(first, "evidence vote"), _decode_vote_item(second, "evidence vote")
    )


def decode_message(data: bytes) -> ConsensusMessage:
    kind, body = _list(_rlp_decode(data, "message"), 2, "message")
    kind_number = _int(kind, "message kind", 1)
    if kind_number == MESSAGE_KIND_PROPOSAL:
        return _decode_proposal_item(body)
    if kind_number == MESSAGE_KIND_VOTE:
        return _decode_vote_item(body)
    raise DecodeError(f"message: unknown kind {kind_number}")
