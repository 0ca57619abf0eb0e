"""The pure handshake and transport ciphers: no sockets, ephemeral secrets passed in."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from ordo.network.frame_codec import FrameError
from ordo.network.handshake import (
    ACCEPT_SIZE,
    AUTH_SIZE,
    HELLO_SIZE,
    PROTOCOL_NAME,
    PROTOCOL_VERSION,
    RESPONDER,
    RESPONDER_HELLO_SIZE,
    EphemeralLedger,
    HandshakeError,
    Hello,
    Initiator,
    Responder,
    Session,
    signing_digest,
)
from ordo.network.message_kind import DEFAULT_PAYLOAD_CAPS, MessageKind
from ordo.network.node_key import NodeKey
from ordo.network.sealed_frames import CipherState, NonceExhaustedError, open_frame, seal_frame
from ordo.network.transcript import (
    MAX_NONCE,
    decrypt_and_hash,
    encrypt_and_hash,
    mix_hash,
    mix_key,
    start,
)

CHAIN = 901


def secret() -> bytes:
    return os.urandom(32)


def run(initiator: Initiator, responder: Responder) -> tuple[Session, Session]:
    """The four messages in order; returns (initiator's session, responder's session)."""
    reply = responder.on_hello(initiator.hello())
    initiator.on_hello(reply)
    responder.on_auth(initiator.auth())
    accept, responder_session = responder.accept()
    return initiator.on_accept(accept[5:]), responder_session


def check_ciphers(first: Session, second: Session) -> None:
    for sender, receiver in ((first, second), (second, first)):
        for payload in (b"vote", b"", os.urandom(3000)):
            frame = seal_frame(sender.send, MessageKind.TX, payload)
            assert payload not in frame[5:] or payload == b""
            assert open_frame(receiver.receive, MessageKind.TX, frame[5:]) == payload


@pytest.mark.parametrize("a_dials", [True, False])
def test_both_orders_agree_on_identities_and_keys(a_dials: bool) -> None:
    key_a, key_b = NodeKey.generate(), NodeKey.generate()
    if a_dials:
        dialler, listener = Initiator(key_a, CHAIN, secret()), Responder(key_b, CHAIN, secret())
    else:
        dialler, listener = Initiator(key_b, CHAIN, secret()), Responder(key_a, CHAIN, secret())
    mine, theirs = run(dialler, listener)
    assert {mine.peer, theirs.peer} == {key_a.address, key_b.address}
    assert mine.peer != theirs.peer and mine.handshake_hash == theirs.handshake_hash
    check_ciphers(mine, theirs)


def test_message_sizes_fit_the_caps() -> None:
    initiator, responder = Initiator(NodeKey.generate(), CHAIN, secret()), Responder(
        NodeKey.generate(), CHAIN, secret())
    hello = initiator.hello()
    reply = responder.on_hello(hello)
    initiator.on_hello(reply)
    auth = initiator.auth()
    responder.on_auth(auth)
    accept, _ = responder.accept()
    assert (len(hello), len(reply), len(auth), len(accept) - 5) == (
        HELLO_SIZE, RESPONDER_HELLO_SIZE, AUTH_SIZE, ACCEPT_SIZE)
    assert DEFAULT_PAYLOAD_CAPS[MessageKind.HELLO] >= RESPONDER_HELLO_SIZE
    assert DEFAULT_PAYLOAD_CAPS[MessageKind.AUTH] >= AUTH_SIZE


def test_same_randomness_gives_the_same_messages() -> None:
    """A pure state machine: the ephemeral secret is its only randomness."""
    key_a, key_b, e_a, e_b = NodeKey.generate(), NodeKey.generate(), secret(), secret()
    replies = {Responder(key_b, CHAIN, e_b).on_hello(Initiator(key_a, CHAIN, e_a).hello())
               for _ in range(2)}
    assert len(replies) == 1


@pytest.mark.parametrize("responder_chain", [CHAIN + 1, 0])
def test_wrong_chain_is_refused_on_either_side(responder_chain: int) -> None:
    initiator = Initiator(NodeKey.generate(), CHAIN, secret())
    responder = Responder(NodeKey.generate(), responder_chain, secret())
    with pytest.raises(HandshakeError) as caught:
        responder.on_hello(initiator.hello())
    assert caught.value.reason == "wrong_chain_id"
    # a responder on the other chain answering anyway is refused by the initiator
    other = Initiator(NodeKey.generate(), responder_chain, secret())
    reply = Responder(NodeKey.generate(), responder_chain, secret()).on_hello(other.hello())
    fresh = Initiator(NodeKey.generate(), CHAIN, secret())
    fresh.hello()
    with pytest.raises(HandshakeError) as caught:
        fresh.on_hello(reply)
    assert caught.value.reason == "wrong_chain_id"


def legacy_hello(version: int = 1) -> bytes:
    """Protocol 1's HELLO: chain id, version, 33-byte node key, 32-byte nonce (75 bytes)."""
    return (CHAIN.to_bytes(8, "big") + version.to_bytes(2, "big") + NodeKey.generate().public_key
            + os.urandom(32))


def test_downgrade_to_the_cleartext_protocol_is_refused_by_name() -> None:
    with pytest.raises(HandshakeError) as caught:
        Responder(NodeKey.generate(), CHAIN, secret()).on_hello(legacy_hello())
    assert caught.value.reason == "obsolete_protocol"
    initiator = Initiator(NodeKey.generate(), CHAIN, secret())
    initiator.hello()
    with pytest.raises(HandshakeError) as caught:
        initiator.on_hello(legacy_hello())  # a v1 node answers our dial with its own HELLO
    assert caught.value.reason == "obsolete_protocol"
    # a man in the middle rewriting the version field of a v2 HELLO gets the same answer
    hello = bytearray(Initiator(NodeKey.generate(), CHAIN, secret()).hello())
    hello[8:10] = (1).to_bytes(2, "big")
    with pytest.raises(HandshakeError, match="obsolete_protocol"):
        Responder(NodeKey.generate(), CHAIN, secret()).on_hello(bytes(hello))


def test_newer_version_and_malformed_hellos() -> None:
    newer = Hello(CHAIN, PROTOCOL_VERSION + 1, os.urandom(32)).encode()
    with pytest.raises(HandshakeError, match="wrong_version"):
        Responder(NodeKey.generate(), CHAIN, secret()).on_hello(newer)
    for payload in (b"", b"\x00" * 9, Hello(CHAIN, PROTOCOL_VERSION, b"\x01" * 32).encode()[:-1],
                    Hello(CHAIN, PROTOCOL_VERSION, b"\x01" * 32).encode() + b"\x00"):
        with pytest.raises(HandshakeError) as caught:
            Responder(NodeKey.generate(), CHAIN, secret()).on_hello(payload)
        assert caught.value.reason == "malformed_hello"


def test_low_order_ephemeral_key_is_refused() -> None:
    with pytest.raises(HandshakeError) as caught:
        Responder(NodeKey.generate(), CHAIN, secret()).on_hello(
            Hello(CHAIN, PROTOCOL_VERSION, b"\x00" * 32).encode())
    assert caught.value.reason == "bad_ephemeral"


def test_self_connection_is_named() -> None:
    key = NodeKey.generate()
    initiator, responder = Initiator(key, CHAIN, secret()), Responder(key, CHAIN, secret())
    with pytest.raises(HandshakeError) as caught:
        initiator.on_hello(responder.on_hello(initiator.hello()))
    assert caught.value.reason == "self_connection"


def _flip(message: bytes, index: int) -> bytes:
    return message[:index] + bytes([message[index] ^ 0x01]) + message[index + 1:]


TAMPER_REASONS = {"handshake_auth_failed", "wrong_chain_id", "obsolete_protocol",
                  "wrong_version", "bad_ephemeral"}


def test_every_flipped_bit_of_the_handshake_is_refused() -> None:
    """Flip one byte anywhere in any of the four messages: the handshake fails, by name."""
    for message in range(4):
        length = (HELLO_SIZE, RESPONDER_HELLO_SIZE, AUTH_SIZE, ACCEPT_SIZE)[message]
        for index in range(length):
            initiator = Initiator(NodeKey.generate(), CHAIN, secret())
            responder = Responder(NodeKey.generate(), CHAIN, secret())
            with pytest.raises(HandshakeError) as caught:
                hello = initiator.hello()
                reply = responder.on_hello(_flip(hello, index) if message == 0 else hello)
                initiator.on_hello(_flip(reply, index) if message == 1 else reply)
                auth = initiator.auth()
                responder.on_auth(_flip(auth, index) if message == 2 else auth)
                accept = responder.accept()[0][5:]
                initiator.on_accept(_flip(accept, index) if message == 3 else accept)
            assert caught.value.reason in TAMPER_REASONS, (message, index, caught.value)


def _seal_as_responder(initiator_hello: bytes, ephemeral: bytes, identity: bytes) -> bytes:
    """What a man in the middle can build: a responder HELLO with his own ephemeral key and
    whatever identity plaintext he likes, sealed correctly for the initiator."""
    transcript = mix_hash(start(PROTOCOL_NAME, b""), initiator_hello)
    private = X25519PrivateKey.from_private_bytes(ephemeral)
    head = Hello(CHAIN, PROTOCOL_VERSION, private.public_key().public_bytes_raw()).encode()
    transcript = mix_hash(transcript, head)
    shared = private.exchange(X25519PublicKey.from_public_bytes(initiator_hello[10:]))
    _, sealed = encrypt_and_hash(mix_key(transcript, shared), identity)
    return head + sealed


def test_man_in_the_middle_cannot_reuse_the_real_responders_signature() -> None:
    """M talks to B as an initiator and to A as a responder, and hands A B's real (key,
    signature) under the key he shares with A: B signed the M-B transcript, so A refuses."""
    key_a, key_b, key_m = NodeKey.generate(), NodeKey.generate(), NodeKey.generate()
    m_secret = secret()
    m_to_b = Initiator(key_m, CHAIN, m_secret)
    m_hello = m_to_b.hello()
    b_reply = Responder(key_b, CHAIN, secret()).on_hello(m_hello)
    transcript = mix_hash(mix_hash(start(PROTOCOL_NAME, b""), m_hello), b_reply[:HELLO_SIZE])
    shared = X25519PrivateKey.from_private_bytes(m_secret).exchange(
        X25519PublicKey.from_public_bytes(b_reply[10:HELLO_SIZE]))
    _, b_identity = decrypt_and_hash(mix_key(transcript, shared), b_reply[HELLO_SIZE:])
    a = Initiator(key_a, CHAIN, secret())
    forged = _seal_as_responder(a.hello(), secret(), b_identity)
    with pytest.raises(HandshakeError) as caught:
        a.on_hello(forged)
    assert caught.value.reason == "bad_signature"
    assert b_identity[:33] == key_b.public_key  # he did learn B's key: it is not secret


def test_signature_by_another_key_is_refused() -> None:
    """The identity announces one key and carries a signature by another."""
    key_b, impostor = NodeKey.generate(), NodeKey.generate()
    a = Initiator(NodeKey.generate(), CHAIN, secret())
    hello = a.hello()
    ephemeral = secret()
    transcript = mix_hash(start(PROTOCOL_NAME, b""), hello)
    private = X25519PrivateKey.from_private_bytes(ephemeral)
    head = Hello(CHAIN, PROTOCOL_VERSION, private.public_key().public_bytes_raw()).encode()
    transcript = mix_key(mix_hash(transcript, head),
                         private.exchange(X25519PublicKey.from_public_bytes(hello[10:])))
    signature = impostor.sign_digest(signing_digest(RESPONDER, transcript.hash, key_b.public_key))
    _, sealed = encrypt_and_hash(transcript, key_b.public_key + signature)
    with pytest.raises(HandshakeError) as caught:
        a.on_hello(head + sealed)
    assert caught.value.reason == "bad_signature"


def test_relayed_reply_to_another_dialler_is_refused() -> None:
    """B's answer to C's HELLO, handed to A: A's ephemeral key is not in it."""
    a, c = Initiator(NodeKey.generate(), CHAIN, secret()), Initiator(NodeKey.generate(), CHAIN,
                                                                     secret())
    a.hello()
    reply_to_c = Responder(NodeKey.generate(), CHAIN, secret()).on_hello(c.hello())
    with pytest.raises(HandshakeError) as caught:
        a.on_hello(reply_to_c)
    assert caught.value.reason == "handshake_auth_failed"


def test_replayed_messages_are_refused() -> None:
    key_a, key_b = NodeKey.generate(), NodeKey.generate()
    ledger = EphemeralLedger()
    first = Initiator(key_a, CHAIN, secret())
    recorded_hello = first.hello()
    recorded_reply = Responder(key_b, CHAIN, secret(), ledger).on_hello(recorded_hello)
    first.on_hello(recorded_reply)
    recorded_auth = first.auth()
    # the same HELLO again, to a responder that remembers ephemeral keys: named a replay
    with pytest.raises(HandshakeError) as caught:
        Responder(key_b, CHAIN, secret(), ledger).on_hello(recorded_hello)
    assert caught.value.reason == "replayed_hello"
    # without that memory, the replayer gets a fresh answer but cannot finish: his old AUTH
    # was sealed for the old ephemeral key
    fresh = Responder(key_b, CHAIN, secret())
    fresh.on_hello(recorded_hello)
    with pytest.raises(HandshakeError) as caught:
        fresh.on_auth(recorded_auth)
    assert caught.value.reason == "handshake_auth_failed"
    # and a recorded reply does not open for a new dial
    again = Initiator(key_a, CHAIN, secret())
    again.hello()
    with pytest.raises(HandshakeError, match="handshake_auth_failed"):
        again.on_hello(recorded_reply)


def test_reflected_ephemeral_is_refused() -> None:
    initiator = Initiator(NodeKey.generate(), CHAIN, secret())
    hello = initiator.hello()
    with pytest.raises(HandshakeError) as caught:
        initiator.on_hello(hello + b"\x00" * (RESPONDER_HELLO_SIZE - HELLO_SIZE))
    assert caught.value.reason == "reflected_ephemeral"


def test_out_of_order_messages_are_protocol_violations() -> None:
    initiator = Initiator(NodeKey.generate(), CHAIN, secret())
    responder = Responder(NodeKey.generate(), CHAIN, secret())
    with pytest.raises(HandshakeError, match="protocol_violation"):
        initiator.auth()
    with pytest.raises(HandshakeError, match="protocol_violation"):
        responder.on_auth(b"\x00" * AUTH_SIZE)
    with pytest.raises(HandshakeError, match="protocol_violation"):
        Responder(NodeKey.generate(), CHAIN, secret()).accept()
    hello = initiator.hello()
    responder.on_hello(hello)
    with pytest.raises(HandshakeError, match="protocol_violation"):
        responder.on_hello(hello)


def test_sealed_frames_refuse_tampering_reordering_and_replay() -> None:
    mine, theirs = run(Initiator(NodeKey.generate(), CHAIN, secret()),
                       Responder(NodeKey.generate(), CHAIN, secret()))
    first = seal_frame(mine.send, MessageKind.TX, b"first")
    second = seal_frame(mine.send, MessageKind.TX, b"second")
    with pytest.raises(FrameError, match="frame_auth_failed"):
        open_frame(theirs.receive, MessageKind.TX, second[5:])  # reordered
    mine, theirs = run(Initiator(NodeKey.generate(), CHAIN, secret()),
                       Responder(NodeKey.generate(), CHAIN, secret()))
    frame = seal_frame(mine.send, MessageKind.TX, b"payload")
    with pytest.raises(FrameError, match="frame_auth_failed"):
        open_frame(theirs.receive, MessageKind.VOTE, frame[5:])  # kind rewritten in the header
    frame = seal_frame(mine.send, MessageKind.TX, b"payload")
    assert open_frame(theirs.receive, MessageKind.TX, frame[5:]) == b"payload"
    with pytest.raises(FrameError, match="frame_auth_failed"):
        open_frame(theirs.receive, MessageKind.TX, frame[5:])  # replayed
    assert first != second


def test_counter_at_its_limit_refuses_to_seal_or_open() -> None:
    key = os.urandom(32)
    sender, receiver = CipherState(key, MAX_NONCE - 1), CipherState(key, MAX_NONCE - 1)
    frame = seal_frame(sender, MessageKind.PING, b"12345678")
    assert open_frame(receiver, MessageKind.PING, frame[5:]) == b"12345678"
    with pytest.raises(NonceExhaustedError):
        seal_frame(sender, MessageKind.PING, b"12345678")
    with pytest.raises(NonceExhaustedError):
        open_frame(receiver, MessageKind.PING, frame[5:])
    with pytest.raises(ValueError):
        CipherState(key, MAX_NONCE + 1)


def test_node_key_validation() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        NodeKey(b"\x01" * 31)
    with pytest.raises(ValueError, match="not a valid"):
        NodeKey(b"\x00" * 32)
