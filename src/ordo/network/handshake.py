"""The encrypted, authenticated handshake (protocol 3, the handshake of protocol 2), as pure
state: no sockets, no clocks, the ephemeral secret passed in.

Shaped like Noise XX (the pattern libp2p uses), with the node's secp256k1 key in place of Noise's
static Diffie-Hellman key, as libp2p does for its identity keys::

    -> HELLO  chain_id, version, e_i                                         (42 bytes)
    <- HELLO  chain_id, version, e_r, seal(node key_r, sig_r)                (156 bytes)
    -> AUTH   seal(node key_i, sig_i)                                        (114 bytes)
    <- AUTH   first transport frame of the responder, empty: "accepted"     (16-byte tag)

Both sides keep a Noise transcript (``transcript.py``): every byte above is hashed in, the one
X25519 result (e_i, e_r) keys the seals and, through HKDF, the two transport keys. Each side
signs ``keccak256(DOMAIN || role || h || own node key)`` with its node key, ``h`` the transcript
hash so far: it covers the protocol name, both chain ids, both versions and both ephemeral keys
(and, for the initiator, the responder's identity), so a signature belongs to exactly this
session. A replayed or relayed message meets a fresh ephemeral key and fails to open; a man in
the middle who substitutes his own ephemeral key cannot produce the other side's signature over
the transcript he caused; the ephemeral secrets die with the handshake, so recorded traffic stays
secret when a node key leaks later (forward secrecy). A peer is still identified by the address
of its node key.

Version 1 (cleartext frames after a signed nonce exchange) is refused, never spoken: a peer
offering it is turned away as ``obsolete_protocol``, so nothing on the path can downgrade a
session. Version 2 had this same handshake but no TX_BATCH frames, which it would refuse as an
unknown kind: it is refused the same way (``obsolete_protocol``), since one version is spoken.
The Noise protocol name and the signing domain keep their protocol-2 values (the handshake did
not change; the version field in both HELLOs, hashed into the transcript, tells them apart).
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass

from coincurve import PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from eth_hash.auto import keccak

from ordo.network.frame_codec import FrameError
from ordo.network.message_kind import MessageKind
from ordo.network.node_key import NodeKey, PeerId, address_of
from ordo.network.sealed_frames import CipherState, open_frame, seal_frame
from ordo.network.transcript import (
    TAG_SIZE,
    Transcript,
    TranscriptError,
    decrypt_and_hash,
    encrypt_and_hash,
    mix_hash,
    mix_key,
    split,
    start,
)

PROTOCOL_VERSION = 3
PROTOCOL_NAME = b"Ordo_XXsig_25519_ChaChaPoly_SHA256_secp256k1/2"
DOMAIN = keccak(b"ordo/p2p/handshake/v2")
INITIATOR = b"I"
RESPONDER = b"R"
EPHEMERAL_SIZE = 32
PUBLIC_KEY_SIZE = 33
SIGNATURE_SIZE = 65
_HELLO = struct.Struct(">QH32s")
HELLO_SIZE = _HELLO.size
IDENTITY_SIZE = PUBLIC_KEY_SIZE + SIGNATURE_SIZE
SEALED_IDENTITY_SIZE = IDENTITY_SIZE + TAG_SIZE
RESPONDER_HELLO_SIZE = HELLO_SIZE + SEALED_IDENTITY_SIZE
AUTH_SIZE = SEALED_IDENTITY_SIZE
ACCEPT_SIZE = TAG_SIZE
_VERSION_OFFSET = 8


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
    ephemeral: bytes

    def encode(self) -> bytes:
        return _HELLO.pack(self.chain_id, self.version, self.ephemeral)


@dataclass
class Session:
    """What a finished handshake yields: who the peer is and one cipher per direction."""

    peer: PeerId
    send: CipherState
    receive: CipherState
    handshake_hash: bytes


def decode_hello(payload: bytes, size: int) -> Hello:
    """Version first (the field sits where version 1 had it), then the exact size."""
    if len(payload) < _VERSION_OFFSET + 2:
        raise HandshakeError("malformed_hello", f"HELLO of {len(payload)} bytes has no version")
    version = int.from_bytes(payload[_VERSION_OFFSET:_VERSION_OFFSET + 2], "big")
    if version < PROTOCOL_VERSION:
        raise HandshakeError("obsolete_protocol", f"peer offers protocol {version} (1: cleartext, "
                                                  f"2: no TX_BATCH); only {PROTOCOL_VERSION} "
                                                  f"is spoken")
    if version != PROTOCOL_VERSION:
        raise HandshakeError("wrong_version", f"peer speaks protocol {version}, we speak "
                                              f"{PROTOCOL_VERSION}")
    if len(payload) != size:
        raise HandshakeError("malformed_hello", f"HELLO is {len(payload)} bytes, not {size}")
    return Hello(*_HELLO.unpack(payload[:HELLO_SIZE]))


def signing_digest(role: bytes, transcript_hash: bytes, public_key: bytes) -> bytes:
    return keccak(DOMAIN + role + transcript_hash + public_key)


def _identity(key: NodeKey, role: bytes, transcript_hash: bytes) -> bytes:
    digest = signing_digest(role, transcript_hash, key.public_key)
    return key.public_key + key.sign_digest(digest)


def verify_identity(plaintext: bytes, role: bytes, transcript_hash: bytes) -> PeerId:
    """The address of the node key in a sealed identity, if it signed this transcript."""
    public_key, signature = plaintext[:PUBLIC_KEY_SIZE], plaintext[PUBLIC_KEY_SIZE:]
    try:
        announced = PublicKey(public_key)
    except Exception as error:  # coincurve raises ValueError or plain Exception
        raise HandshakeError("malformed_identity", "node key is not a secp256k1 point") from error
    digest = signing_digest(role, transcript_hash, public_key)
    try:
        signer = PublicKey.from_signature_and_message(signature, digest, hasher=None)
    except Exception as error:  # coincurve raises plain Exception for unrecoverable signatures
        raise HandshakeError("bad_signature", "signature does not recover") from error
    if signer.format() != announced.format():
        raise HandshakeError("bad_signature", "transcript is not signed by the announced node key")
    return address_of(announced)


class EphemeralLedger:
    """Bounded memory of the peers' ephemeral keys, so a replayed HELLO is named as such instead
    of failing later as a bad seal (it would fail anyway: this is for the count).

    Our own ephemeral keys are not refused here: one coming back is most often our own dial to
    ourselves, which the dialler names ``self_connection`` when it sees its node key.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._remote: OrderedDict[bytes, None] = OrderedDict()
        self._capacity = capacity

    def check_remote(self, ephemeral: bytes) -> None:
        if ephemeral in self._remote:
            raise HandshakeError("replayed_hello", "peer reused an ephemeral key seen before")
        self._remote[ephemeral] = None
        if len(self._remote) > self._capacity:
            self._remote.popitem(last=False)


class _Side:
    """State shared by both roles: our keys, the transcript, and the step we are at."""

    def __init__(self, key: NodeKey, chain_id: int, ephemeral_secret: bytes,
                 ledger: EphemeralLedger | None = None) -> None:
        if len(ephemeral_secret) != EPHEMERAL_SIZE:
            raise ValueError(f"ephemeral secret must be {EPHEMERAL_SIZE} bytes")
        if not 0 <= chain_id < 2**64:
            raise ValueError(f"chain id {chain_id} does not fit in 8 bytes")
        self._key = key
        self._chain_id = chain_id
        self._ephemeral = X25519PrivateKey.from_private_bytes(ephemeral_secret)
        self.ephemeral_public = self._ephemeral.public_key().public_bytes_raw()
        self._ledger = ledger
        self._transcript: Transcript = start(PROTOCOL_NAME, b"")
        self._step = 0
        self.peer: PeerId | None = None

    def _advance(self, expected: int, what: str) -> None:
        if self._step != expected:
            raise HandshakeError("protocol_violation", f"{what} out of order")
        self._step += 1

    def _hello(self) -> bytes:
        return Hello(self._chain_id, PROTOCOL_VERSION, self.ephemeral_public).encode()

    def _peer_hello(self, payload: bytes, size: int) -> Hello:
        hello = decode_hello(payload, size)
        if hello.chain_id != self._chain_id:
            raise HandshakeError("wrong_chain_id", f"peer is on chain {hello.chain_id}, we are "
                                                   f"on {self._chain_id}")
        if hello.ephemeral == self.ephemeral_public:
            raise HandshakeError("reflected_ephemeral", "peer echoed our ephemeral key")
        if self._ledger is not None:
            self._ledger.check_remote(hello.ephemeral)
        return hello

    def _mix_shared_secret(self, peer_ephemeral: bytes) -> None:
        try:
            shared = self._ephemeral.exchange(X25519PublicKey.from_public_bytes(peer_ephemeral))
        except ValueError as error:  # a low-order point gives the all-zero secret
            raise HandshakeError("bad_ephemeral", "peer's ephemeral key is a low-order "
                                                  "point") from error
        self._transcript = mix_key(self._transcript, shared)

    def _open_identity(self, sealed: bytes, role: bytes) -> PeerId:
        signed_over = self._transcript.hash
        try:
            self._transcript, plaintext = decrypt_and_hash(self._transcript, sealed)
        except TranscriptError as error:
            raise HandshakeError("handshake_auth_failed", "sealed identity did not open: the "
                                                          "handshake was altered, replayed or "
                                                          "relayed") from error
        peer = verify_identity(plaintext, role, signed_over)
        if peer == self._key.address:
            raise HandshakeError("self_connection", "peer presented our own node key")
        self.peer = peer
        return peer

    def _seal_identity(self, role: bytes) -> bytes:
        identity = _identity(self._key, role, self._transcript.hash)
        self._transcript, sealed = encrypt_and_hash(self._transcript, identity)
        return sealed


class Initiator(_Side):
    """The dialling side. ``hello()``, ``on_hello(reply)``, ``auth()``, ``on_accept(frame body)``.

    Between ``on_hello`` and ``auth`` the caller knows the responder's address and may refuse it
    (allowlist, ban) before revealing its own identity.
    """

    def hello(self) -> bytes:
        self._advance(0, "HELLO")
        message = self._hello()
        self._transcript = mix_hash(self._transcript, message)
        return message

    def on_hello(self, payload: bytes) -> PeerId:
        self._advance(1, "responder HELLO")
        hello = self._peer_hello(payload, RESPONDER_HELLO_SIZE)
        self._transcript = mix_hash(self._transcript, payload[:HELLO_SIZE])
        self._mix_shared_secret(hello.ephemeral)
        return self._open_identity(payload[HELLO_SIZE:], RESPONDER)

    def auth(self) -> bytes:
        self._advance(2, "AUTH")
        return self._seal_identity(INITIATOR)

    def on_accept(self, body: bytes) -> Session:
        """The responder's first sealed frame (kind AUTH, empty): it holds the same keys."""
        self._advance(3, "accept")
        assert self.peer is not None
        to_responder, to_initiator = split(self._transcript)
        receive = CipherState(to_initiator)
        try:
            if open_frame(receive, MessageKind.AUTH, body) != b"":
                raise HandshakeError("handshake_auth_failed", "accept frame is not empty")
        except FrameError as error:
            raise HandshakeError("handshake_auth_failed", "accept frame did not open") from error
        return Session(self.peer, CipherState(to_responder), receive, self._transcript.hash)


class Responder(_Side):
    """The accepting side. ``on_hello(hello) -> reply``, ``on_auth(auth) -> peer``, ``accept()``.

    Between ``on_auth`` and ``accept`` the caller knows the initiator's address and may refuse it.
    """

    def on_hello(self, payload: bytes) -> bytes:
        self._advance(0, "HELLO")
        hello = self._peer_hello(payload, HELLO_SIZE)
        self._transcript = mix_hash(self._transcript, payload)
        reply = self._hello()
        self._transcript = mix_hash(self._transcript, reply)
        self._mix_shared_secret(hello.ephemeral)
        return reply + self._seal_identity(RESPONDER)

    def on_auth(self, payload: bytes) -> PeerId:
        self._advance(1, "AUTH")
        if len(payload) != AUTH_SIZE:
            raise HandshakeError("malformed_auth", f"AUTH is {len(payload)} bytes, not "
                                                   f"{AUTH_SIZE}")
        return self._open_identity(payload, INITIATOR)

    def accept(self) -> tuple[bytes, Session]:
        """The accept frame to send (already sealed and framed) and the session."""
        self._advance(2, "accept")
        assert self.peer is not None
        to_responder, to_initiator = split(self._transcript)
        send = CipherState(to_initiator)
        frame = seal_frame(send, MessageKind.AUTH, b"")
        return frame, Session(self.peer, send, CipherState(to_responder), self._transcript.hash)
