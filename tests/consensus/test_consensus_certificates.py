"""Commit certificates and equivocation evidence: what light clients and L1 will check."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_hash.auto import keccak

from ordo.consensus import (
    NIL,
    CertificateError,
    CommitCertificate,
    Evidence,
    EvidenceError,
    VoteReceived,
    VoteType,
    build_certificate,
    verify_certificate,
    verify_equivocation,
)
from ordo.consensus.evidence import make_equivocation
from tests.consensus.committee import CHAIN_ID, GENESIS_HASH, Committee, of_type, run

BLOCK = keccak(b"final block")
PARENT = GENESIS_HASH  # what committee.vote signs as the parent unless told otherwise
PRECOMMIT, PREVOTE = VoteType.PRECOMMIT, VoteType.PREVOTE


def certificate_of(committee: Committee, signers: list[int], round_: int = 0) -> CommitCertificate:
    return build_certificate(
        [committee.vote(i, PRECOMMIT, BLOCK, round_=round_, height=5) for i in signers]
    )


def test_a_quorum_of_precommits_verifies_and_is_sorted() -> None:
    committee = Committee((1, 1, 1, 1))
    certificate = certificate_of(committee, [3, 0, 2], round_=2)
    assert (certificate.height, certificate.round, certificate.block_hash) == (5, 2, BLOCK)
    addresses = [address for address, _ in certificate.signatures]
    assert addresses == sorted(addresses)
    verify_certificate(certificate, committee.validators, CHAIN_ID, PARENT)


def test_stake_not_count_decides_a_certificate() -> None:
    committee = Committee((1, 1, 1, 6))
    verify_certificate(certificate_of(committee, [3, 0]), committee.validators, CHAIN_ID, PARENT)
    with pytest.raises(CertificateError, match="not a quorum"):
        verify_certificate(
            certificate_of(committee, [0, 1, 2]), committee.validators, CHAIN_ID, PARENT
        )


def test_certificate_checks_fail_with_precise_reasons() -> None:
    committee = Committee((1, 1, 1, 1))
    good = certificate_of(committee, [0, 1, 2])
    validators = committee.validators
    with pytest.raises(CertificateError, match="bad precommit signature"):
        verify_certificate(good, validators, CHAIN_ID + 1, PARENT)
    with pytest.raises(CertificateError, match="bad precommit signature"):
        verify_certificate(replace(good, round=1), validators, CHAIN_ID, PARENT)
    with pytest.raises(CertificateError, match="duplicated or out of order"):
        verify_certificate(
            replace(good, signatures=good.signatures[:1] * 3), validators, CHAIN_ID, PARENT
        )
    outsider = Committee((1, 1, 1, 1, 1))
    stranger = build_certificate(
        [
            outsider.vote(4, PRECOMMIT, BLOCK, height=5),
            *(committee.vote(i, PRECOMMIT, BLOCK, height=5) for i in (0, 1)),
        ]
    )
    with pytest.raises(CertificateError, match="not a validator"):
        verify_certificate(stranger, validators, CHAIN_ID, PARENT)
    prevotes = build_certificate([committee.vote(i, PREVOTE, BLOCK, height=5) for i in (0, 1, 2)])
    with pytest.raises(CertificateError, match="bad precommit signature"):
        verify_certificate(prevotes, validators, CHAIN_ID, PARENT)
    with pytest.raises(CertificateError, match="bad precommit signature"):
        verify_certificate(good, validators, CHAIN_ID, keccak(b"another parent"))
    with pytest.raises(CertificateError, match="parent hash must be 32 bytes"):
        verify_certificate(good, validators, CHAIN_ID, b"short")
    with pytest.raises(CertificateError, match="nil"):
        verify_certificate(replace(good, block_hash=NIL), validators, CHAIN_ID, PARENT)
    with pytest.raises(CertificateError, match="32 bytes"):
        verify_certificate(replace(good, block_hash=b"short"), validators, CHAIN_ID, PARENT)


def test_double_vote_produces_evidence_once_and_it_verifies() -> None:
    committee = Committee((1, 1, 1, 1))
    state, _ = committee.started(0)
    first = committee.vote(1, PREVOTE, keccak(b"x"))
    second = committee.vote(1, PREVOTE, keccak(b"y"))
    third = committee.vote(1, PREVOTE, NIL)
    state, actions = run(state, VoteReceived(first), VoteReceived(second), VoteReceived(third))
    evidence = [action.equivocation for action in of_type(actions, Evidence)]
    assert evidence == [make_equivocation(first, second)]
    verify_equivocation(evidence[0], CHAIN_ID)
    assert evidence[0].validator == committee.signers[1].address
    # the double-signer still counts once in the total and once per block it voted for
    tally = state.prevotes[0]
    assert tally.stake == 1 and tally.stake_for(keccak(b"x")) == tally.stake_for(NIL) == 1


def test_evidence_verification_rejects_non_equivocations() -> None:
    committee = Committee((1, 1, 1, 1))
    a = committee.vote(1, PREVOTE, keccak(b"x"))
    b = committee.vote(1, PREVOTE, keccak(b"y"))
    with pytest.raises(EvidenceError, match="another chain"):
        verify_equivocation(make_equivocation(a, b), CHAIN_ID + 1)
    with pytest.raises(EvidenceError, match="different validators"):
        verify_equivocation(make_equivocation(a, committee.vote(2, PREVOTE, NIL)), CHAIN_ID)
    with pytest.raises(EvidenceError, match="height, round, type"):
        verify_equivocation(make_equivocation(a, committee.vote(1, PRECOMMIT, NIL)), CHAIN_ID)
    with pytest.raises(EvidenceError, match="different parents"):
        other_chain = committee.vote(1, PREVOTE, keccak(b"y"), parent=keccak(b"another chain"))
        verify_equivocation(make_equivocation(a, other_chain), CHAIN_ID)
    with pytest.raises(EvidenceError, match="must differ"):
        verify_equivocation(make_equivocation(a, a), CHAIN_ID)
    forged = replace(b, signature=a.signature)
    with pytest.raises(EvidenceError, match="not signed"):
        verify_equivocation(make_equivocation(a, forged), CHAIN_ID)
