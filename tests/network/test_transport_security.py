"""Real TCP between two PeerNetworks with a man in the middle: he can neither read nor change
what they say; the old cleartext protocol is refused; a sentry admits only its allow-list."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from eth_account import Account

from ordo.network import MessageKind, NodeKey
from ordo.network.frame_codec import encode_frame
from ordo.network.peer_network import SessionError
from ordo.network.transcript import MAX_NONCE
from tests.network.conftest import CHAIN_ID, eventually
from tests.network.man_in_the_middle import MiddleProxy
from tests.network.network_test_peer import RawPeer

PROXIES: list[MiddleProxy] = []


@pytest.fixture
async def proxy() -> AsyncIterator[Callable[..., Any]]:
    async def factory(target_port: int, **kwargs: Any) -> MiddleProxy:
        middle = MiddleProxy(target_port, **kwargs)
        await middle.start()
        PROXIES.append(middle)
        return middle

    yield factory
    while PROXIES:
        await PROXIES.pop().close()


def raw_transaction() -> bytes:
    """A real signed transaction: known plaintext the man in the middle would look for."""
    signed = Account.from_key(b"\x11" * 32).sign_transaction({
        "to": "0x" + "22" * 20, "value": 10**15, "gas": 21_000, "gasPrice": 10**9, "nonce": 7,
        "chainId": CHAIN_ID, "data": b"ordo-known-plaintext-" * 4})
    return bytes(signed.raw_transaction)


async def test_recording_middle_sees_no_plaintext_and_no_identity(make_node: Any,
                                                                  proxy: Any) -> None:
    a, b = await make_node(), await make_node()
    middle = await proxy(b.port)
    assert await a.network.connect("127.0.0.1", middle.port) == b.address
    transaction = raw_transaction()
    a.network.broadcast(MessageKind.TX, transaction)
    b.network.broadcast(MessageKind.VOTE, b"vote from b, in the clear before protocol 2")
    await eventually(lambda: b.payloads(MessageKind.TX) == [transaction]
                     and len(a.payloads(MessageKind.VOTE)) == 1)
    recorded = bytes(middle.recorded)
    assert len(recorded) > len(transaction)
    for secret in (transaction, transaction[-40:], b"ordo-known-plaintext", b"in the clear",
                   a.network.key.public_key, b.network.key.public_key,
                   a.address, b.address):
        assert secret not in recorded
    assert middle.tampered == 0


@pytest.mark.parametrize("where", [5, 40, 2, 4], ids=["body", "body_late", "length", "kind"])
async def test_flipped_byte_closes_the_session_and_is_never_delivered(
        make_node: Any, proxy: Any, where: int) -> None:
    a, b = await make_node(), await make_node()
    # VOTE frames go out one by one (transactions share TX_BATCH frames), and a flipped kind
    # byte (VOTE 5 -> PROPOSAL 4) is still a kind that exists: only the seal can catch it
    middle = await proxy(b.port, tamper_kind=MessageKind.VOTE, tamper_at=where)
    await a.network.connect("127.0.0.1", middle.port)
    await eventually(lambda: b.network.is_connected(a.address))
    altered = raw_transaction()
    a.network.broadcast(MessageKind.VOTE, altered)
    a.network.broadcast(MessageKind.VOTE, b"sent after the altered frame")
    await eventually(lambda: not b.network.is_connected(a.address), timeout=4)
    assert middle.tampered == 1
    assert b.received == []  # neither the altered frame nor anything after it
    reason = b.disconnected[-1][1]
    if where == 2:  # a longer or shorter length: the body ends elsewhere, nothing opens
        assert reason in {"frame_auth_failed", "truncated", "oversized"}
    else:
        assert reason == "frame_auth_failed"
    assert b.network.drops[reason] == 1
    assert b.network.counters()[f"penalty.{reason}"] == 1
    assert b.network.scores.score(a.address) < 0
    await eventually(lambda: not a.network.is_connected(b.address))


async def test_frame_injected_by_the_middle_is_refused(make_node: Any) -> None:
    """A cleartext frame written into a session (what protocol 1 accepted) fails to open."""
    a = await make_node()
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    raw.send_raw(encode_frame(MessageKind.TX, raw_transaction()))
    frames = await raw.read_until_closed()
    assert frames[-1].payload == b"frame_auth_failed"
    assert a.received == [] and a.network.drops["frame_auth_failed"] == 1


async def test_cleartext_protocol_is_refused_both_ways(make_node: Any) -> None:
    legacy = (CHAIN_ID.to_bytes(8, "big") + (1).to_bytes(2, "big")
              + NodeKey.generate().public_key + os.urandom(32))
    a = await make_node()
    raw = await RawPeer.open(a.port)
    raw.send(MessageKind.HELLO, legacy)
    frames = await raw.read_until_closed()
    assert [(f.kind, f.payload) for f in frames] == [(MessageKind.DISCONNECT,
                                                      b"obsolete_protocol")]
    assert a.network.handshake_failures["obsolete_protocol"] == 1

    async def old_node(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(encode_frame(MessageKind.HELLO, legacy))  # protocol 1 greets first
        await reader.read(1024)
        writer.close()

    server = await asyncio.start_server(old_node, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with pytest.raises(SessionError) as caught:
        await a.network.connect("127.0.0.1", port)
    assert caught.value.reason == "obsolete_protocol"
    assert a.network.handshake_failures["obsolete_protocol"] == 2
    server.close()
    await server.wait_closed()


async def test_sentry_admits_only_its_allow_list_in_both_directions(make_node: Any) -> None:
    follower_key = NodeKey.generate()
    sentry = await make_node(allowlist=frozenset({follower_key.address}))
    outsider = await make_node()
    with pytest.raises(SessionError) as inbound:
        await outsider.network.connect("127.0.0.1", sentry.port)
    assert inbound.value.reason == "remote_refused:not_allowlisted"
    with pytest.raises(SessionError) as outbound:
        await sentry.network.connect("127.0.0.1", outsider.port)
    assert outbound.value.reason == "not_allowlisted"
    assert sentry.network.handshake_failures["not_allowlisted"] == 2
    assert sentry.network.peers() == [] and outsider.network.peers() == []
    follower = await make_node(key=follower_key)
    assert await follower.network.connect("127.0.0.1", sentry.port) == sentry.address
    assert [p.peer_id for p in sentry.network.peers()] == [follower.address]


async def test_counter_at_its_limit_closes_the_session(make_node: Any) -> None:
    a, b = await make_node(), await make_node()
    await a.network.connect("127.0.0.1", b.port)
    await eventually(lambda: b.network.is_connected(a.address))
    # jump both ends of the a->b direction to the last usable counter value
    a.network._sessions[b.address]._send_cipher.counter = MAX_NONCE - 1
    b.network._sessions[a.address]._receive_cipher.counter = MAX_NONCE - 1
    a.network.broadcast(MessageKind.VOTE, b"the last frame this key may seal")
    a.network.broadcast(MessageKind.VOTE, b"one too many")
    await eventually(lambda: not a.network.is_connected(b.address))
    assert a.disconnected[-1][1] == "nonce_exhausted"
    await eventually(lambda: b.payloads(MessageKind.VOTE) == [b"the last frame this key may seal"])


async def test_outsiders_cannot_take_a_sentrys_slots(make_node: Any) -> None:
    """Without an allow-list any host could fill all peer slots; with one, strangers are turned
    away after the handshake and the followers still get in."""
    follower_key = NodeKey.generate()
    sentry = await make_node(max_peers=2, allowlist=frozenset({follower_key.address}))
    outsiders = [await make_node() for _ in range(3)]
    for outsider in outsiders:  # one after another: a handshake in progress holds a slot
        with pytest.raises(SessionError, match="not_allowlisted"):
            await outsider.network.connect("127.0.0.1", sentry.port)
    assert sentry.network.handshake_failures["not_allowlisted"] == 3
    assert sentry.network.peers() == []
    follower = await make_node(key=follower_key)
    assert await follower.network.connect("127.0.0.1", sentry.port) == sentry.address
