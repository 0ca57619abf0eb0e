"""Canonical RLP encodings round-trip, and junk never raises anything but DecodeError."""

from __future__ import annotations

import pytest
import rlp
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from ordo.consensus import (
    DecodeError,
    VoteType,
    build_certificate,
    decode_certificate,
    decode_evidence,
    decode_message,
    decode_proposal,
    decode_value,
    decode_vote,
    encode_certificate,
    encode_evidence,
    encode_message,
    encode_proposal,
    encode_value,
    encode_vote,
)
from ordo.consensus.evidence import make_equivocation
from tests.consensus.committee import Committee

COMMITTEE = Committee((1, 2, 3))


def test_vote_and_proposal_round_trip_canonically() -> None:
    vote = COMMITTEE.vote(1, VoteType.PRECOMMIT, keccak(b"b"), round_=7, height=2**40,
                          parent=keccak(b"p"))
    assert decode_vote(encode_vote(vote)) == vote
    assert decode_message(encode_message(vote)) == vote
    assert decode_vote(encode_vote(vote)).parent_hash == keccak(b"p")
    fields = rlp.decode(encode_vote(vote))
    assert len(fields) == 8 and fields[4] == keccak(b"p")  # [.., vote_type, parent, block, ..]
    with pytest.raises(DecodeError, match="list of 8 items"):  # a v1 vote: no parent hash
        decode_vote(rlp.encode(fields[:4] + fields[5:]))
    with pytest.raises(DecodeError, match="parent hash"):
        decode_vote(rlp.encode([*fields[:4], b"\x01" * 31, *fields[5:]]))
    value = COMMITTEE.value_by(2, b"payload" * 100)
    for valid_round in (-1, 0, 3):
        proposal = COMMITTEE.proposal(2, value, round_=4, valid_round=valid_round)
        encoded = encode_proposal(proposal)
        assert decode_proposal(encoded) == proposal
        assert encode_proposal(decode_proposal(encoded)) == encoded
        assert decode_message(encode_message(proposal)) == proposal
        assert decode_proposal(encoded).is_signed_by_proposer()
    assert decode_value(encode_value(value)) == value


def test_certificate_and_evidence_round_trip() -> None:
    certificate = build_certificate(
        [COMMITTEE.vote(i, VoteType.PRECOMMIT, keccak(b"b")) for i in range(3)]
    )
    assert decode_certificate(encode_certificate(certificate)) == certificate
    evidence = make_equivocation(
        COMMITTEE.vote(0, VoteType.PREVOTE, keccak(b"x")),
        COMMITTEE.vote(0, VoteType.PREVOTE, keccak(b"y")),
    )
    assert decode_evidence(encode_evidence(evidence)) == evidence


def test_non_canonical_and_out_of_range_fields_are_refused() -> None:
    vote = COMMITTEE.vote(1, VoteType.PREVOTE, keccak(b"b"), round_=1)
    fields = rlp.decode(encode_vote(vote))
    leading_zero = list(fields)
    leading_zero[1] = b"\x00\x01"
    with pytest.raises(DecodeError, match="leading zero"):
        decode_vote(rlp.encode(leading_zero))
    bad_type = list(fields)
    bad_type[3] = b"\x03"
    with pytest.raises(DecodeError, match="unknown vote type"):
        decode_vote(rlp.encode(bad_type))
    short_hash = list(fields)
    short_hash[4] = b"\x01" * 31
    with pytest.raises(DecodeError, match="32 bytes"):
        decode_vote(rlp.encode(short_hash))
    with pytest.raises(DecodeError, match="unknown kind"):
        decode_message(rlp.encode([9, fields]))
    proposal = COMMITTEE.proposal(0, COMMITTEE.value_by(0), round_=1, valid_round=0)
    raw = rlp.decode(encode_proposal(proposal))
    raw[3] = 5  # valid round 4 is not below round 1
    with pytest.raises(DecodeError, match="valid round"):
        decode_proposal(rlp.encode(raw))


PAIRS = (
    (decode_vote, encode_vote),
    (decode_proposal, encode_proposal),
    (decode_message, encode_message),
    (decode_certificate, encode_certificate),
    (decode_evidence, encode_evidence),
    (decode_value, encode_value),
)


def assert_canonical_or_refused(data: bytes) -> None:
    """Either a DecodeError, or an object whose encoding is exactly ``data``."""
    for decode, encode in PAIRS:
        try:
            decoded = decode(data)
        except DecodeError:
            continue
        assert encode(decoded) == data  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_junk_bytes_are_refused_or_canonical(junk: bytes) -> None:
    assert_canonical_or_refused(junk)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_encodings_are_refused_or_canonical(data: st.DataObject) -> None:
    proposal = COMMITTEE.proposal(1, COMMITTEE.value_by(1, b"x"), round_=2, valid_round=1)
    encoded = bytearray(encode_message(proposal))
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] = data.draw(st.integers(0, 255))
    assert_canonical_or_refused(bytes(encoded))
