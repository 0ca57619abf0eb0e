"""The node's evidence book keeps only evidence the pool would slash: two votes of one signer
on one parent (vote format v2). Votes on different parents, e.g. a returning validator's
precommit from a public certificate of a block later dropped for L1's fallback chain and its
vote at the same height and round on L1's chain, are refused."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from ordo.consensus import (
    EvidenceError,
    LocalSigner,
    Validator,
    ValidatorSet,
    VoteType,
    build_certificate,
    sign_vote,
)
from ordo.consensus.certificate import certificate_precommits
from ordo.consensus.evidence import make_equivocation
from ordo.node.evidence_book import EvidenceBook

CHAIN_ID = 77
SIGNERS = [LocalSigner(keccak(f"book signer {i}".encode())) for i in range(4)]
VALIDATORS = ValidatorSet.of(Validator(signer.address, 10) for signer in SIGNERS)
DROPPED_PARENT, L1_PARENT = keccak(b"never posted block 9"), keccak(b"fallback block 9")
HEIGHT, ROUND = 10, 0


def book(stored: dict[str, bytes]) -> EvidenceBook:
    return EvidenceBook(CHAIN_ID, lambda height: VALIDATORS, stored.get, stored.__setitem__)


def precommit(index: int, parent: bytes, block: bytes):  # type: ignore[no-untyped-def]
    return sign_vote(SIGNERS[index], CHAIN_ID, HEIGHT, ROUND, VoteType.PRECOMMIT, parent, block)


def test_votes_on_different_parents_are_refused() -> None:
    stored: dict[str, bytes] = {}
    evidence_book = book(stored)
    old_block = keccak(b"dropped block 10")
    certificate = build_certificate([precommit(i, DROPPED_PARENT, old_block) for i in range(3)])
    from_certificate = certificate_precommits(certificate, CHAIN_ID, DROPPED_PARENT)
    old = next(vote for vote in from_certificate if vote.validator == SIGNERS[0].address)
    new = precommit(0, L1_PARENT, keccak(b"block 10 on L1's chain"))
    with pytest.raises(EvidenceError, match="different parents"):
        evidence_book.add(make_equivocation(old, new))
    assert len(evidence_book) == 0 and stored == {}


def test_votes_on_one_parent_for_different_blocks_are_kept_and_survive_a_restart() -> None:
    stored: dict[str, bytes] = {}
    evidence_book = book(stored)
    one = precommit(1, L1_PARENT, keccak(b"a"))
    other = precommit(1, L1_PARENT, keccak(b"b"))
    evidence = make_equivocation(one, other)
    assert evidence_book.add(evidence) is not None
    assert evidence_book.add(make_equivocation(other, one)) is None  # same pair: not new
    assert book(stored).items() == [evidence]
    [entry] = evidence_book.as_json()
    assert entry["parentHash"] == "0x" + L1_PARENT.hex()
    assert entry["validator"] == "0x" + SIGNERS[1].address.hex()
