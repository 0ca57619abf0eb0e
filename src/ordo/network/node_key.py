"""A node's secp256k1 identity key: the peer id other nodes know it by is its address."""

from __future__ import annotations

from coincurve import PrivateKey, PublicKey
from eth_hash.auto import keccak

PeerId = bytes
"""The 20-byte Ethereum-style address of a peer's node key."""


def address_of(public_key: PublicKey) -> PeerId:
    return keccak(public_key.format(compressed=False)[1:])[-20:]


class NodeKey:
    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise ValueError(f"node key must be 32 bytes, got {len(secret)}")
        try:
            self._private = PrivateKey(secret)
        except Exception as error:  # coincurve raises ValueError or plain Exception
            raise ValueError("node key is not a valid secp256k1 secret") from error
        self.public_key: bytes = self._private.public_key.format(compressed=True)
        self.address: PeerId = address_of(self._private.public_key)

    @classmethod
    def generate(cls) -> NodeKey:
        return cls(PrivateKey().secret)

    def sign_digest(self, digest: bytes) -> bytes:
        """65-byte recoverable signature (r || s || recovery id) over a 32-byte digest."""
        return bytes(self._private.sign_recoverable(digest, hasher=None))

    def __repr__(self) -> str:
        return f"NodeKey(0x{self.address.hex()})"


def parse_peer_key(text: str) -> PeerId:
    """A peer named by an operator: its node address (0x + 20 bytes, as the node logs it at
    start) or its node public key (0x + 33 compressed or 65 uncompressed bytes). ValueError
    says what is allowed."""
    digits = text.strip().removeprefix("0x").removeprefix("0X")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raw = b""
    if len(raw) == 20:
        return raw
    if len(raw) in (33, 65):
        try:
            return address_of(PublicKey(raw))
        except Exception as error:  # coincurve raises ValueError or plain Exception
            raise ValueError(f"{text!r} is not a secp256k1 public key") from error
    raise ValueError(f"{text!r} is not a node key; use the 0x-prefixed 20-byte node address or "
                     "33-byte compressed public key")
