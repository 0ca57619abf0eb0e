from __future__ import annotations

import os

import pytest

from ordo.network.handshake import (
    HELLO_SIZE,
    PROTOCOL_VERSION,
    Handshake,
    HandshakeError,
    Hello,
    NonceLedger,
    auth_digest,
    decode_hello,
)
from ordo.network.node_key import NodeKey

CHAIN = 901


def pair(chain_a: int = CHAIN, chain_b: int = CHAIN) -> tuple[Handshake, Handshake, NodeKey,
                                                                NodeKey]:
    key_a, key_b = NodeKey.generate(), NodeKey.generate()
    return (Handshake(key_a, chain_a, os.urandom(32)), Handshake(key_b, chain_b, os.urandom(32)),
            key_a, key_b)


def test_both_sides_learn_each_others_address() -> None:
    a, b, key_a, key_b = pair()
    auth_from_a = a.on_peer_hello(b.hello())
    auth_from_b = b.on_peer_hello(a.hello())
    assert a.on_peer_auth(auth_from_b) == key_b.address
    assert b.on_peer_auth(auth_from_a) == key_a.address


def test_hello_is_fixed_size_and_round_trips() -> None:
    key = NodeKey.generate()
    hello = Hello(CHAIN, PROTOCOL_VERSION, key.public_key, b"\x07" * 32)
    encoded = hello.encode()
    assert len(encoded) == HELLO_SIZE
    assert decode_hello(encoded) == (hello, key.address)


@pytest.mark.parametrize("payload", [b"", b"\x00" * (HELLO_SIZE - 1), b"\x00" * HELLO_SIZE])
def test_malformed_hello_is_refused(payload: bytes) -> None:
    a, _, _, _ = pair()
    with pytest.raises(HandshakeError) as caught:
        a.on_peer_hello(payload)
    assert caught.value.reason == "malformed_hello"


def test_wrong_chain_id() -> None:
    a, b, _, _ = pair(CHAIN, CHAIN + 1)
    with pytest.raises(HandshakeError) as caught:
        a.on_peer_hello(b.hello())
    assert caught.value.reason == "wrong_chain_id"


def test_wrong_version() -> None:
    a, _, _, key_b = pair()
    hello = Hello(CHAIN, PROTOCOL_VERSION + 1, key_b.public_key, os.urandom(32)).encode()
    with pytest.raises(HandshakeError, match="wrong_version"):
        a.on_peer_hello(hello)


def test_self_connection() -> None:
    key = NodeKey.generate()
    a = Handshake(key, CHAIN, os.urandom(32))
    b = Handshake(key, CHAIN, os.urandom(32))
    with pytest.raises(HandshakeError) as caught:
        a.on_peer_hello(b.hello())
    assert caught.value.reason == "self_connection"


def test_signature_by_another_key_is_refused() -> None:
    a, b, _, _ = pair()
    a.on_peer_hello(b.hello())
    impostor = NodeKey.generate()
    forged = impostor.sign_digest(auth_digest(CHAIN, os.urandom(32), impostor.address))
    with pytest.raises(HandshakeError) as caught:
        a.on_peer_auth(forged)
    assert caught.value.reason == "bad_signature"
    with pytest.raises(HandshakeError, match="bad_signature"):
        a.on_peer_auth(b"\x00" * 65)
    with pytest.raises(HandshakeError, match="bad_signature"):
        a.on_peer_auth(b"short")


def test_auth_from_an_earlier_handshake_is_named_a_replay() -> None:
    ledger = NonceLedger()
    key_a, key_b = NodeKey.generate(), NodeKey.generate()
    first = Handshake(key_a, CHAIN, os.urandom(32), ledger)
    b1 = Handshake(key_b, CHAIN, os.urandom(32))
    first.on_peer_hello(b1.hello())
    recorded_auth = b1.on_peer_hello(first.hello())
    assert first.on_peer_auth(recorded_auth) == key_b.address

    second = Handshake(key_a, CHAIN, os.urandom(32), ledger)
    b2 = Handshake(key_b, CHAIN, os.urandom(32))
    second.on_peer_hello(b2.hello())
    with pytest.raises(HandshakeError) as caught:
        second.on_peer_auth(recorded_auth)
    assert caught.value.reason == "replayed_auth"


def test_replayed_hello_nonce_is_refused() -> None:
    ledger = NonceLedger()
    key_a = NodeKey.generate()
    b = Handshake(NodeKey.generate(), CHAIN, os.urandom(32))
    recorded = b.hello()
    Handshake(key_a, CHAIN, os.urandom(32), ledger).on_peer_hello(recorded)
    with pytest.raises(HandshakeError) as caught:
        Handshake(key_a, CHAIN, os.urandom(32), ledger).on_peer_hello(recorded)
    assert caught.value.reason == "replayed_nonce"


def test_echoing_our_nonce_back_is_refused() -> None:
    key_a, key_b = NodeKey.generate(), NodeKey.generate()
    nonce = os.urandom(32)
    a = Handshake(key_a, CHAIN, nonce)
    echo = Hello(CHAIN, PROTOCOL_VERSION, key_b.public_key, nonce).encode()
    with pytest.raises(HandshakeError, match="replayed_nonce"):
        a.on_peer_hello(echo)


def test_out_of_order_messages_are_protocol_violations() -> None:
    a, b, _, _ = pair()
    with pytest.raises(HandshakeError, match="protocol_violation"):
        a.on_peer_auth(b"\x00" * 65)
    a.on_peer_hello(b.hello())
    with pytest.raises(HandshakeError, match="protocol_violation"):
        a.on_peer_hello(b.hello())


def test_node_key_validation() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        NodeKey(b"\x01" * 31)
    with pytest.raises(ValueError, match="not a valid"):
        NodeKey(b"\x00" * 32)
