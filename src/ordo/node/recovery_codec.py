"""Bytes of a RecoveryRecord, kept in the store's meta so a restarted validator never equivocates.

The record is written before this node sends anything it signed at the current height; on start
the node hands it back to the state machine, which then reuses those votes instead of signing
new ones. Layout: ``rlp([height, round, parent_hash, locked_value, locked_round + 1,
valid_value, valid_round + 1, [vote], [proposal], [justification vote]])`` where an absent value
is an empty string and each element uses the consensus codec's own encoding. ``parent_hash`` is
the block the record's height extends (votes sign it since vote format v2); a record of the
v1 layout (9 items, no parent) does not decode and the node starts without it.
"""

from __future__ import annotations

from typing import Any

import rlp

from ordo.consensus import (
    DecodeError,
    ProposedValue,
    RecoveryRecord,
    decode_proposal,
    decode_value,
    decode_vote,
    encode_proposal,
    encode_value,
    encode_vote,
)

RECOVERY_META_KEY = "consensus_recovery"


class RecoveryCodecError(ValueError):
    """Stored recovery bytes that do not decode; the message says which part."""


def encode_recovery(record: RecoveryRecord) -> bytes:
    return bytes(rlp.encode([
        record.height,
        record.round,
        record.parent_hash,
        _encode_optional(record.locked_value),
        record.locked_round + 1,
        _encode_optional(record.valid_value),
        record.valid_round + 1,
        [encode_vote(vote) for vote in record.own_votes],
        [encode_proposal(proposal) for proposal in record.own_proposals],
        [encode_vote(vote) for vote in record.justification],
    ]))


def decode_recovery(data: bytes) -> RecoveryRecord:
    try:
        fields = rlp.decode(data, strict=True)
    except Exception as error:  # rlp raises several unrelated types for junk
        raise RecoveryCodecError(f"recovery record: malformed RLP: {error}") from error
    if not isinstance(fields, list) or len(fields) != 10:
        raise RecoveryCodecError("recovery record: expected a list of 10 items")
    try:
        (height, round_, parent_hash, locked, locked_round, valid, valid_round, votes, proposals,
         justification) = fields
        parent = _bytes(parent_hash)
        if len(parent) != 32:
            raise TypeError("parent hash must be 32 bytes")
        return RecoveryRecord(
            height=_int(height),
            round=_int(round_),
            parent_hash=parent,
            locked_value=_decode_optional(locked),
            locked_round=_int(locked_round) - 1,
            valid_value=_decode_optional(valid),
            valid_round=_int(valid_round) - 1,
            own_votes=tuple(decode_vote(_bytes(item)) for item in _items(votes)),
            own_proposals=tuple(decode_proposal(_bytes(item)) for item in _items(proposals)),
            justification=tuple(decode_vote(_bytes(item)) for item in _items(justification)),
        )
    except (DecodeError, TypeError) as error:
        raise RecoveryCodecError(f"recovery record: {error}") from error


def _encode_optional(value: ProposedValue | None) -> bytes:
    return b"" if value is None else encode_value(value)


def _decode_optional(item: Any) -> ProposedValue | None:
    raw = _bytes(item)
    return None if raw == b"" else decode_value(raw)


def _bytes(item: Any) -> bytes:
    if not isinstance(item, bytes):
        raise TypeError("expected a byte string")
    return item


def _items(item: Any) -> list[Any]:
    if not isinstance(item, list):
        raise TypeError("expected a list")
    return item


def _int(item: Any) -> int:
    raw = _bytes(item)
    if len(raw) > 8:
        raise TypeError("integer longer than 8 bytes")
    return int.from_bytes(raw, "big")
