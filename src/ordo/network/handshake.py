"""The authenticated handshake, as pure state: no sockets, no clocks, nonces passed in.

Both sides send HELLO(chain id, protocol version, compressed node public key, fresh nonce). Each
then answers with AUTH: a signature over
``keccak256(DOMAIN || chain_id (32 bytes) || peer's nonce || own address)``. Signing the *peer's*
fresh nonce proves control of the key now, not in some recorded session; binding the chain id and
the signer's address keeps an answer from being reused on another chain or relayed by a third node.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass

from coincurve import PublicKey
from eth_hash.auto import keccak

from ordo.network.node_key import NodeKey, PeerId, address_of

PROTOCOL_VERSION = 1
DOMAIN = keccak(b"ordo/p2p/handshake/v1")
NONCE_SIZE = 32
SIGNATURE_SIZE = 65
_HELLO = struct.Struct(">QH33s32s")
HELLO_SIZE = _HELLO.size


class HandshakeError(Exception):
    """The peer failed the handshake. ``reason`` is a short, countable label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Hello:
    chain_id: int
    version: int
    public_key: bytes
    nonce: bytes

    def encode(self) -> bytes:
        return _HELLO.pack(self.chain_id, self.version, self.public_key, self.nonce)


def decode_hello(payload: bytes) -> tuple[Hello, PeerId]:
    """The HELLO and the address of the key it carries; HandshakeError if it does not parse."""
    if len(payload) != HELLO_SIZE:
        raise HandshakeError("malformed_hello", f"HELLO is {len(payload)} bytes, not {HELLO_SIZE}")
    chain_id, version, public_key, nonce = _HELLO.unpack(payload)
    try:
        parsed = PublicKey(public_key)
    except Exception as error:  # coincurve raises ValueError or plain Exception
        raise HandshakeError("malformed_hello", "public key is not a secp256k1 point") from error
    return Hello(chain_id, version, public_key, nonce), address_of(parsed)


def auth_digest(chain_id: int, nonce: bytes, signer: PeerId) -> bytes:
    return keccak(DOMAIN + chain_id.to_bytes(32, "big") + nonce + signer)


def recover_signer(digest: bytes, signature: bytes) -> PeerId | None:
    try:
        return address_of(PublicKey.from_signature_and_message(signature, digest, hasher=None))
    except Exception:  # coincurve raises plain Exception for unrecoverable signatures
        return None


class Handshake:
    """One side of a handshake. Call ``hello()``, then ``on_peer_hello``, then ``on_peer_auth``."""

    def __init__(self, key: NodeKey, chain_id: int, nonce: bytes,
                 recent_nonces: NonceLedger | None = None) -> None:
        if len(nonce) != NONCE_SIZE:
            raise ValueError(f"handshake nonce must be {NONCE_SIZE} bytes")
        if not 0 <= chain_id < 2**64:
            raise ValueError(f"chain id {chain_id} does not fit in 8 bytes")
        self._key = key
        self._chain_id = chain_id
        self._nonce = nonce
        self._ledger = recent_nonces
        self.peer: PeerId | None = None
        self.peer_hello: Hello | None = None
        if recent_nonces is not None:
            recent_nonces.issued(nonce)

    def hello(self) -> bytes:
        return Hello(self._chain_id, PROTOCOL_VERSION, self._key.public_key, self._nonce).encode()

    def on_peer_hello(self, payload: bytes) -> bytes:
        """Validate the peer's HELLO and return our AUTH answer to it."""
        if self.peer is not None:
            raise HandshakeError("protocol_violation", "second HELLO")
        hello, peer = decode_hello(payload)
        if hello.chain_id != self._chain_id:
            raise HandshakeError("wrong_chain_id", f"peer is on chain {hello.chain_id}, we are on "
                                                   f"{self._chain_id}")
        if hello.version != PROTOCOL_VERSION:
            raise HandshakeError("wrong_version", f"peer speaks protocol {hello.version}, we speak "
                                                  f"{PROTOCOL_VERSION}")
        if peer == self._key.address:
            raise HandshakeError("self_connection", "peer presented our own node key")
        if hello.nonce == self._nonce:
            raise HandshakeError("replayed_nonce", "peer echoed our own nonce")
        if self._ledger is not None and not self._ledger.accept_remote(hello.nonce):
            raise HandshakeError("replayed_nonce", "peer reused a HELLO nonce seen before")
        self.peer = peer
        self.peer_hello = hello
        return self._key.sign_digest(auth_digest(self._chain_id, hello.nonce, self._key.address))

    def on_peer_auth(self, signature: bytes) -> PeerId:
        """Check the peer signed *our* nonce with the key it announced; returns its address."""
        if self.peer is None:
            raise HandshakeError("protocol_violation", "AUTH before HELLO")
        if len(signature) != SIGNATURE_SIZE:
            raise HandshakeError("bad_signature", f"AUTH is {len(signature)} bytes, not "
                                                  f"{SIGNATURE_SIZE}")
        digest = auth_digest(self._chain_id, self._nonce, self.peer)
        if recover_signer(digest, signature) == self.peer:
            return self.peer
        if self._ledger is not None:
            for old_nonce in self._ledger.previous_issued(self._nonce):
                old_digest = auth_digest(self._chain_id, old_nonce, self.peer)
                if recover_signer(old_digest, signature) == self.peer:
                    raise HandshakeError("replayed_auth", "AUTH answers a nonce of an earlier "
                                                          "handshake")
        raise HandshakeError("bad_signature", "AUTH is not signed by the announced node key")


class NonceLedger:
    """Bounded memory of nonces, so replays are named as such instead of as a bad signature.

    Remote nonces must never repeat (each HELLO is fresh); our own recent nonces let a recorded
    AUTH be recognised for what it is.
    """

    def __init__(self, capacity: int = 4096, issued_capacity: int = 16) -> None:
        self._remote: OrderedDict[bytes, None] = OrderedDict()
        self._issued: OrderedDict[bytes, None] = OrderedDict()
        self._capacity = capacity
        self._issued_capacity = issued_capacity

    def accept_remote(self, nonce: bytes) -> bool:
        if nonce in self._remote:
            return False
        self._remote[nonce] = None
        if len(self._remote) > self._capacity:
            self._remote.popitem(last=False)
        return True

    def issued(self, nonce: bytes) -> None:
        self._issued[nonce] = None
        if len(self._issued) > self._issued_capacity:
            self._issued.popitem(last=False)

    def previous_issued(self, current: bytes) -> list[bytes]:
        return [nonce for nonce in self._issued if nonce != current]
