"""Real TCP on 127.0.0.1: handshake failures, junk, floods and slow readers are dealt with, and
the honest peers keep working throughout."""

from __future__ import annotations

import asyncio
import os
import struct
import time
from typing import Any

import pytest

from ordo.network import MessageKind, NodeKey
from ordo.network.frame_codec import encode_frame
from ordo.network.handshake import INITIATOR, Initiator, signing_digest
from ordo.network.peer_network import SessionError
from ordo.network.rate_limit import RateLimit
from ordo.network.transcript import encrypt_and_hash
from tests.network.conftest import CHAIN_ID, eventually
from tests.network.network_test_peer import RawPeer, RefusedError


class FrozenClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def assert_still_gossiping(sender: Any, receiver: Any, payload: bytes) -> None:
    sender.network.broadcast(MessageKind.PROPOSAL, payload)
    await eventually(lambda: payload in receiver.payloads(MessageKind.PROPOSAL))


# ---- handshake failures ---------------------------------------------------------------------

async def test_wrong_chain_id_is_refused_on_both_sides(make_node: Any) -> None:
    a = await make_node()
    other_chain = await make_node(chain_id=CHAIN_ID + 1)
    with pytest.raises(SessionError) as caught:
        await other_chain.network.connect("127.0.0.1", a.port)
    assert caught.value.reason in {"wrong_chain_id", "remote_refused:wrong_chain_id"}
    await eventually(lambda: a.network.handshake_failures["wrong_chain_id"] == 1)
    assert a.network.peers() == [] and other_chain.network.peers() == []


async def test_bad_signature_is_refused(make_node: Any) -> None:
    """The AUTH announces our key but is signed by another: refused, though it opens."""
    a = await make_node()
    raw = await RawPeer.open(a.port)
    initiator = Initiator(raw.key, CHAIN_ID, os.urandom(32))
    raw.send(MessageKind.HELLO, initiator.hello())
    initiator.on_hello((await raw.read()).payload)
    impostor = NodeKey.generate()
    transcript = initiator._transcript  # the impostor signs the very transcript of this session
    forged = raw.key.public_key + impostor.sign_digest(
        signing_digest(INITIATOR, transcript.hash, raw.key.public_key))
    _, sealed = encrypt_and_hash(transcript, forged)
    raw.writer.write(encode_frame(MessageKind.AUTH, sealed))
    frames = await raw.read_until_closed()
    assert frames[-1].kind is MessageKind.DISCONNECT and frames[-1].payload == b"bad_signature"
    assert a.network.handshake_failures["bad_signature"] == 1
    assert a.network.peers() == []


async def test_self_connection_is_refused(make_node: Any) -> None:
    a = await make_node()
    with pytest.raises(SessionError) as caught:
        await a.network.connect("127.0.0.1", a.port)
    assert caught.value.reason in {"self_connection", "remote_refused:self_connection"}
    # the dialler sees its own key in the responder's HELLO; the responder is told so
    await eventually(lambda: a.network.handshake_failures["remote_refused"] == 1)
    assert a.network.handshake_failures["self_connection"] == 1
    assert a.network.peers() == []


async def test_self_listed_static_peer_stops_dialling(make_node: Any) -> None:
    a = await make_node()
    a.network.add_static_peer("127.0.0.1", a.port)
    await eventually(lambda: a.network.handshake_failures["self_connection"] >= 1)
    await asyncio.sleep(0.3)
    assert a.network.handshake_failures["self_connection"] == 1


async def test_duplicate_connection_is_refused_and_the_first_kept(make_node: Any) -> None:
    a, b = await make_node(), await make_node()
    assert await a.network.connect("127.0.0.1", b.port) == b.address
    with pytest.raises(SessionError) as caught:
        await a.network.connect("127.0.0.1", b.port)
    assert caught.value.reason in {"duplicate_connection", "remote_refused:duplicate_connection"}
    assert caught.value.peer == b.address
    await eventually(lambda: b.network.handshake_failures["duplicate_connection"] == 1)
    assert len(a.network.peers()) == 1 and len(b.network.peers()) == 1
    await assert_still_gossiping(a, b, b"after-duplicate")


async def test_simultaneous_dials_converge_on_one_session(make_node: Any) -> None:
    a, b = await make_node(), await make_node()
    await asyncio.gather(a.network.connect("127.0.0.1", b.port),
                         b.network.connect("127.0.0.1", a.port), return_exceptions=True)
    await eventually(lambda: len(a.network.peers()) == 1 and len(b.network.peers()) == 1)
    await asyncio.sleep(0.1)
    assert len(a.network.peers()) == 1 and len(b.network.peers()) == 1
    await assert_still_gossiping(b, a, b"one-session")


async def test_allowlist_refuses_strangers(make_node: Any) -> None:
    friend = NodeKey.generate()
    a = await make_node(allowlist=frozenset({friend.address}))
    stranger = await make_node()
    with pytest.raises(SessionError, match="not_allowlisted"):
        await stranger.network.connect("127.0.0.1", a.port)
    friendly = await make_node(key=friend)
    assert await friendly.network.connect("127.0.0.1", a.port) == a.address


async def test_silent_connection_times_out_in_handshake(make_node: Any) -> None:
    a = await make_node(handshake_timeout=0.2)
    raw = await RawPeer.open(a.port)
    started = time.monotonic()
    frames = await raw.read_until_closed(timeout=3)
    assert time.monotonic() - started < 2
    assert [f.kind for f in frames] == [MessageKind.DISCONNECT]  # the initiator speaks first
    assert a.network.handshake_failures["handshake_timeout"] == 1


async def test_frames_before_authentication_are_a_protocol_violation(make_node: Any) -> None:
    a = await make_node()
    raw = await RawPeer.open(a.port)
    raw.send(MessageKind.TX, b"too early")
    await raw.read_until_closed()
    assert a.network.handshake_failures["protocol_violation"] == 1


async def test_big_frame_before_authentication_is_refused_from_its_header(
        make_node: Any) -> None:
    a = await make_node()
    raw = await RawPeer.open(a.port)
    raw.send_raw(struct.pack(">IB", 16 * 1024 * 1024, MessageKind.PROPOSAL))  # no payload follows
    frames = await raw.read_until_closed(timeout=1.5)  # frame_timeout is 2 s: not waited for
    assert frames[-1].payload == b"protocol_violation"
    assert a.network.handshake_failures["protocol_violation"] == 1


async def test_inbound_beyond_max_peers_is_refused(make_node: Any) -> None:
    a = await make_node(max_peers=1)
    b, c = await make_node(), await make_node()
    await b.network.connect("127.0.0.1", a.port)
    with pytest.raises(SessionError, match="connection_lost"):
        await c.network.connect("127.0.0.1", a.port)
    assert a.network.handshake_failures["too_many_peers"] == 1
    assert [p.peer_id for p in a.network.peers()] == [b.address]


async def test_remote_refusal_reasons_do_not_mint_counter_keys(make_node: Any) -> None:
    a = await make_node()

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\x00\x00\x00\x05\x0cHACK!")
        await writer.drain()
        writer.close()

    raw_server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = raw_server.sockets[0].getsockname()[1]
    with pytest.raises(SessionError) as caught:
        await a.network.connect("127.0.0.1", port)
    assert caught.value.reason == "remote_refused:HACK_"
    assert dict(a.network.handshake_failures) == {"remote_refused": 1}
    raw_server.close()
    await raw_server.wait_closed()


# ---- junk after the handshake ---------------------------------------------------------------

JUNK = {
    "unknown_kind": struct.pack(">IB", 3, 200) + b"abc",
    "oversized": struct.pack(">IB", 0xFFFFFFF0, MessageKind.TX),
    "random_junk": b"\x00\x00\x00\x02\xfe GET / HTTP/1.1\r\n\r\n",
    "handshake_kind": struct.pack(">IB", 0, MessageKind.HELLO),
    "malformed_ping": struct.pack(">IB", 3, MessageKind.PING) + b"abc",
}
EXPECTED_DROP = {"random_junk": "unknown_kind", "handshake_kind": "protocol_violation",
                 "malformed_ping": "malformed_frame"}


@pytest.mark.parametrize("case", sorted(JUNK))
async def test_junk_disconnects_and_scores_while_others_keep_working(make_node: Any,
                                                                      case: str) -> None:
    a, b = await make_node(), await make_node()
    await b.network.connect("127.0.0.1", a.port)
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    await eventually(lambda: a.network.is_connected(raw.key.address))
    raw.send_wire(JUNK[case])
    await raw.read_until_closed()
    reason = EXPECTED_DROP.get(case, case)
    await eventually(lambda: a.network.drops[reason] == 1)
    assert a.network.scores.score(raw.key.address) < -45
    assert not a.network.is_connected(raw.key.address)
    assert a.disconnected[-1] == (raw.key.address, reason)
    await assert_still_gossiping(a, b, b"still-alive-" + case.encode())


async def test_truncated_frame_at_end_of_stream(make_node: Any) -> None:
    a = await make_node()
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    raw.send_wire(struct.pack(">IB", 100, MessageKind.TX) + b"only ten b")
    raw.writer.write_eof()
    await eventually(lambda: a.network.drops["truncated"] == 1)
    assert a.network.scores.score(raw.key.address) < -15


async def test_stalled_frame_times_out_as_truncated(make_node: Any) -> None:
    a = await make_node(frame_timeout=0.2)
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    raw.send_wire(struct.pack(">IB", 100, MessageKind.TX) + b"partial")
    await raw.read_until_closed(timeout=3)
    assert a.network.drops["truncated"] == 1


async def test_peer_that_ignores_pings_is_dropped(make_node: Any) -> None:
    a = await make_node(ping_interval=0.05, pong_timeout=0.2)
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    frames = await raw.read_until_closed(timeout=3)
    assert MessageKind.PING in [f.kind for f in frames]
    assert frames[-1].payload == b"ping_timeout"
    assert a.network.disconnects["ping_timeout"] == 1


async def test_pings_are_answered(make_node: Any) -> None:
    a = await make_node()
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    raw.send(MessageKind.PING, b"12345678")
    pong = await raw.read()
    assert (pong.kind, pong.payload) == (MessageKind.PONG, b"12345678")


# ---- flooding, misbehaviour reports and bans --------------------------------------------------

async def test_flood_is_rate_limited_then_disconnected_and_banned(make_node: Any) -> None:
    clock = FrozenClock()
    a = await make_node(clock=clock, rate_limits={MessageKind.TX: RateLimit(10, 20)})
    b = await make_node()
    await b.network.connect("127.0.0.1", a.port)
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    for i in range(500):
        raw.send(MessageKind.TX, b"flood-%d" % i)
    frames = await raw.read_until_closed()
    assert frames[-1].payload == b"banned:rate_limited"
    from_flooder = [p for peer, _, p in a.received if peer == raw.key.address]
    assert len(from_flooder) == 20
    assert a.network.drops["rate_limited"] == 20  # 20 drops x 5 points reach the -100 threshold
    assert a.network.scores.is_banned(raw.key.address)
    again = await RawPeer.open(a.port, key=raw.key)
    with pytest.raises(RefusedError, match="banned"):
        await again.handshake(CHAIN_ID)
    assert a.network.handshake_failures["banned"] == 1
    await assert_still_gossiping(a, b, b"after-flood")
    clock.now += 601
    third = await RawPeer.open(a.port, key=raw.key)
    assert await third.handshake(CHAIN_ID) == a.address


async def test_reported_misbehaviour_bans_and_disconnects(make_node: Any) -> None:
    a, b = await make_node(), await make_node()
    await a.network.connect("127.0.0.1", b.port)
    a.network.report_misbehaviour(b.address, "bad_vote_signature", 60)
    assert a.network.is_connected(b.address)
    assert a.network.peers()[0].score == pytest.approx(-60, abs=1)
    a.network.report_misbehaviour(b.address, "bad_vote_signature", 60)
    assert not a.network.is_connected(b.address)
    await eventually(lambda: not b.network.is_connected(a.address))
    assert b.disconnected[-1][1] == "remote:banned:reported:bad_vote_signature"
    assert a.network.counters()["penalty.reported:bad_vote_signature"] == 2
    with pytest.raises(SessionError):
        await b.network.connect("127.0.0.1", a.port)
    with pytest.raises(ValueError, match="penalty"):
        a.network.report_misbehaviour(b.address, "x", float("nan"))
    with pytest.raises(ValueError, match="20-byte"):
        a.network.report_misbehaviour(b"short", "x", 1)


# ---- slow readers ---------------------------------------------------------------------------

async def test_slow_reader_is_dropped_without_blocking_broadcast(make_node: Any) -> None:
    a = await make_node(outbound_queue_bytes=8 * 1024 * 1024, write_timeout=0.5)
    fast = [await make_node() for _ in range(2)]
    for node in fast:
        await node.network.connect("127.0.0.1", a.port)
    slow = await RawPeer.open(a.port)
    await slow.handshake(CHAIN_ID)
    await eventually(lambda: len(a.network.peers()) == 3)
    chunk = 512 * 1024
    slowest_call = 0.0
    for i in range(80):  # 40 MiB: far beyond what loopback socket buffers absorb
        started = time.perf_counter()
        a.network.broadcast(MessageKind.PROPOSAL, bytes([i]) * chunk)
        slowest_call = max(slowest_call, time.perf_counter() - started)
        await asyncio.sleep(0.005)
    await eventually(lambda: not a.network.is_connected(slow.key.address), timeout=10)
    assert slowest_call < 0.25  # blocking on the slow peer would take write_timeout
    reason = a.disconnected[-1][1]
    assert reason in {"outbound_queue_full", "write_timeout"}
    print(f"slow reader dropped for {reason}; slowest broadcast call {slowest_call * 1e3:.2f} ms")
    await eventually(lambda: all(len(n.payloads(MessageKind.PROPOSAL)) == 80 for n in fast),
                     timeout=10)
    slow.close()
