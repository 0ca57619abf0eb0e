"""Vote and proposal digests, signatures, and the validator-set thresholds."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from ordo.consensus import NIL, LocalSigner, Validator, ValidatorSet, VoteType, is_quorum
from ordo.consensus.signing import (
    PROPOSAL_DOMAIN,
    SECP256K1_N,
    VOTE_DOMAIN,
    compute_proposal_digest,
    compute_vote_digest,
    recover_signer,
)
from ordo.consensus.validator_set import is_skip_set
from tests.consensus.committee import CHAIN_ID, Committee


def test_vote_digest_is_keccak_of_abi_encoding() -> None:
    block, parent = keccak(b"block"), keccak(b"parent")
    expected = keccak(
        encode(
            ["bytes32", "uint256", "uint64", "uint32", "uint8", "bytes32", "bytes32"],
            [VOTE_DOMAIN, CHAIN_ID, 17, 3, int(VoteType.PRECOMMIT), parent, block],
        )
    )
    assert compute_vote_digest(CHAIN_ID, 17, 3, int(VoteType.PRECOMMIT), parent, block) == expected
    assert keccak(b"ordo.consensus.vote.v2") == VOTE_DOMAIN  # v1 had no parent hash


def test_the_parent_is_signed_so_votes_on_other_chains_differ() -> None:
    parent, other = keccak(b"parent"), keccak(b"other parent")
    on_parent = compute_vote_digest(1, 5, 0, 2, parent, NIL)
    assert on_parent != compute_vote_digest(1, 5, 0, 2, other, NIL)
    # a v1 digest (no parent, old tag) is never a v2 digest, whatever the parent
    v1 = keccak(encode(["bytes32", "uint256", "uint64", "uint32", "uint8", "bytes32"],
                       [keccak(b"ordo.consensus.vote.v1"), 1, 5, 0, 2, NIL]))
    assert v1 not in (on_parent, compute_vote_digest(1, 5, 0, 2, NIL, NIL))


def test_proposal_digest_is_keccak_of_abi_encoding_with_signed_valid_round() -> None:
    block, parent, builder = keccak(b"b"), keccak(b"p"), b"\x42" * 20
    types = ["bytes32", "uint256", "uint64", "uint32", "int32", "bytes32", "bytes32", "address"]
    for valid_round in (-1, 0, 4):
        expected = keccak(
            encode(types, [PROPOSAL_DOMAIN, CHAIN_ID, 9, 5, valid_round, block, parent, builder])
        )
        digest = compute_proposal_digest(CHAIN_ID, 9, 5, valid_round, block, parent, builder)
        assert digest == expected


def test_domains_separate_votes_from_proposals() -> None:
    assert VOTE_DOMAIN != PROPOSAL_DOMAIN
    assert compute_vote_digest(1, 1, 0, 1, NIL, NIL) != compute_vote_digest(2, 1, 0, 1, NIL, NIL)


def test_sign_and_recover_round_trip_and_low_s() -> None:
    signer = LocalSigner(keccak(b"key"))
    digest = keccak(b"message")
    signature = signer.sign(digest)
    assert len(signature) == 65 and signature[64] in (0, 1)
    assert int.from_bytes(signature[32:64], "big") <= SECP256K1_N // 2
    assert signer.sign(digest) == signature  # deterministic (RFC 6979)
    assert recover_signer(digest, signature) == signer.address
    assert recover_signer(keccak(b"other"), signature) != signer.address


def test_high_s_and_malformed_signatures_are_refused() -> None:
    signer = LocalSigner(keccak(b"key"))
    digest = keccak(b"message")
    signature = signer.sign(digest)
    s = int.from_bytes(signature[32:64], "big")
    flipped = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([signature[64] ^ 1])
    assert recover_signer(digest, flipped) is None
    assert recover_signer(digest, signature[:64]) is None
    assert recover_signer(digest, signature[:64] + b"\x1b") is None
    assert recover_signer(digest, bytes(65)) is None


def test_signer_validates_key_and_hides_it() -> None:
    key = keccak(b"secret")
    assert key.hex() not in repr(LocalSigner(key))
    with pytest.raises(ValueError, match="32 bytes"):
        LocalSigner(b"short")
    with pytest.raises(ValueError, match="out of range"):
        LocalSigner(bytes(32))


def test_quorum_and_skip_set_thresholds_are_strict_integer_comparisons() -> None:
    assert not is_quorum(6, 9) and is_quorum(7, 9)
    assert not is_quorum(2, 3) and is_quorum(3, 3)
    assert not is_skip_set(3, 9) and is_skip_set(4, 9)
    assert not is_skip_set(1, 3) and is_skip_set(2, 3)


def test_validator_set_is_sorted_and_weighs_by_stake() -> None:
    committee = Committee((5, 1, 3))
    validators = committee.validators
    addresses = [validator.address for validator in validators.validators]
    assert addresses == sorted(addresses)
    assert validators.total_stake == 9
    big = committee.signers[0].address
    assert validators.stake_of(big) == 5 and validators.stake_of(b"\x00" * 20) == 0
    assert validators.stake_of_all([big, big, b"\x01" * 20]) == 5
    assert validators.is_quorum(7) and not validators.is_quorum(6)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "empty"),
        ([Validator(b"\x01" * 19, 1)], "20 bytes"),
        ([Validator(b"\x01" * 20, 0)], "positive"),
        ([Validator(b"\x01" * 20, 1), Validator(b"\x01" * 20, 2)], "duplicated"),
    ],
)
def test_validator_set_rejects_bad_entries(entries: list[Validator], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ValidatorSet.of(entries)
