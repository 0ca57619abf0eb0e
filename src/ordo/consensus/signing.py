"""What a validator signs, and how a signature is checked.

Digests are ``keccak256(abi.encode(...))`` of static ABI types only, so the encoding is a plain
concatenation of 32-byte words: this module builds it by hand (the tests check it against
``eth_abi.encode``) and an L1 contract rebuilds it with one ``abi.encode``.

- vote: ``(bytes32 VOTE_DOMAIN, uint256 chain_id, uint64 height, uint32 round, uint8 vote_type,
  bytes32 parent_hash, bytes32 block_hash)``, i.e. ``keccak256(abi.encode(DOMAIN, chain_id,
  height, round, vote_type, parent_hash, block_hash))``; nil is the zero hash. ``parent_hash`` is
  the hash of the final block at height - 1 that the voted height extends (nil votes carry it
  too), so a vote commits to its chain: two votes of one (height, round, type) on different
  chains (e.g. before and after a node adopts L1's chain over blocks it never posted) are not a
  double-sign. Vote format v2: the tag is ``ordo.consensus.vote.v2`` so no v1 signature (which
  had no parent hash) can be read as a v2 vote.
- proposal: ``(bytes32 PROPOSAL_DOMAIN, uint256 chain_id, uint64 height, uint32 round,
  int32 valid_round, bytes32 block_hash, bytes32 parent_hash, address builder)``; "no valid
  round" is -1.

The domain tags are keccak256 of fixed strings, so a vote can never be replayed as a proposal or as
any other message Ordo signs. Signatures are 65 bytes ``r || s || y_parity`` (parity 0 or 1, add 27
for Solidity's ``ecrecover``), low-s only, so each signed statement has exactly one encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from coincurve import PrivateKey, PublicKey
from eth_hash.auto import keccak

VOTE_DOMAIN = keccak(b"ordo.consensus.vote.v2")
PROPOSAL_DOMAIN = keccak(b"ordo.consensus.proposal.v1")
SIGNATURE_LENGTH = 65
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_UINT64 = 2**64 - 1
MAX_UINT32 = 2**32 - 1
MAX_UINT256 = 2**256 - 1


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _signed_word(value: int) -> bytes:
    return value.to_bytes(32, "big", signed=True)


def compute_vote_digest(
    chain_id: int, height: int, round_: int, vote_type: int, parent_hash: bytes,
    block_hash: bytes
) -> bytes:
    return keccak(
        VOTE_DOMAIN
        + _word(chain_id)
        + _word(height)
        + _word(round_)
        + _word(vote_type)
        + parent_hash
        + block_hash
    )


def compute_proposal_digest(
    chain_id: int,
    height: int,
    round_: int,
    valid_round: int,
    block_hash: bytes,
    parent_hash: bytes,
    builder: bytes,
) -> bytes:
    return keccak(
        PROPOSAL_DOMAIN
        + _word(chain_id)
        + _word(height)
        + _word(round_)
        + _signed_word(valid_round)
        + block_hash
        + parent_hash
        + bytes(12)
        + builder
    )


def address_of_public_key(public_key: PublicKey) -> bytes:
    return keccak(public_key.format(compressed=False)[1:])[-20:]


def is_canonical_signature(signature: bytes) -> bool:
    """65 bytes, 0 < r < n, 0 < s <= n/2, parity 0 or 1: the one encoding we accept."""
    if len(signature) != SIGNATURE_LENGTH:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    return 0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2 and signature[64] in (0, 1)


@lru_cache(maxsize=65536)
def recover_signer(digest: bytes, signature: bytes) -> bytes | None:
    """The address that signed ``digest``, or None for a malformed or unrecoverable signature.

    Cached because every vote reaches a node several times (gossip, re-broadcasts, certificates)
    and recovery is the most expensive thing consensus does; the function is pure, so caching it
    changes nothing but the time.
    """
    if not is_canonical_signature(signature):
        return None
    try:
        public_key = PublicKey.from_signature_and_message(signature, digest, hasher=None)
    except Exception:  # coincurve raises plain Exception for signatures with no valid point
        return None
    return address_of_public_key(public_key)


@dataclass(frozen=True)
class LocalSigner:
    """This node's validator key. The key is kept out of ``repr`` so it never lands in a log."""

    private_key: bytes = field(repr=False)
    address: bytes = field(init=False)
    _key: PrivateKey = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.private_key) != 32:
            raise ValueError("signer: private key must be 32 bytes")
        try:
            key = PrivateKey(self.private_key)
        except Exception as error:  # coincurve: zero or >= n
            raise ValueError("signer: private key out of range") from error
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "address", address_of_public_key(key.public_key))

    def sign(self, digest: bytes) -> bytes:
        """RFC 6979 deterministic and low-s, so signing is a pure function of key and digest."""
        return bytes(self._key.sign_recoverable(digest, hasher=None))
