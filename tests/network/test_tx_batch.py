"""Transaction gossip in TX_BATCH frames: the payload codec and its bounds, the per-peer cutting,
and real PeerNetworks over TCP batching, relaying, deduplicating and refusing bad batches."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from ordo.network import MessageKind, NetworkConfig, OutboundMessageError, RateLimit
from ordo.network.tx_batch import (
    MAX_TX_BATCH_COUNT,
    OutgoingBatches,
    TxBatchError,
    decode_tx_batch,
    encode_tx_batch,
    encoded_size,
)
from tests.network.conftest import CHAIN_ID, eventually
from tests.network.network_test_peer import RawPeer

TX_CAP = 128 * 1024


# ---- the payload ---------------------------------------------------------------------------

def test_a_batch_round_trips_byte_exactly() -> None:
    transactions = [b"\x02" + bytes([i]) * i for i in range(1, 40)] + [b"", b"\x01" * TX_CAP]
    payload = encode_tx_batch(transactions)
    assert payload[:2] == len(transactions).to_bytes(2, "big")
    assert payload[2:6] == (2).to_bytes(4, "big") and payload[6:8] == b"\x02\x01"
    assert len(payload) == encoded_size(sum(map(len, transactions)), len(transactions))
    assert decode_tx_batch(payload, TX_CAP) == transactions


@pytest.mark.parametrize(("payload", "reason"), [
    (b"", "tx_batch_truncated"),
    (b"\x00", "tx_batch_truncated"),
    (b"\x00\x00", "tx_batch_empty"),
    (struct.pack(">H", MAX_TX_BATCH_COUNT + 1) + b"\x00" * 4 * (MAX_TX_BATCH_COUNT + 1),
     "tx_batch_too_many"),
    (b"\x00\x02" + b"\x00\x00\x00\x01a", "tx_batch_truncated"),  # the second has no length
    (b"\x00\x01" + b"\x00\x00\x00\x05abc", "tx_batch_truncated"),  # claims more than is left
    (b"\x00\x01" + struct.pack(">I", TX_CAP + 1) + b"x" * (TX_CAP + 1),
     "tx_batch_transaction_too_large"),
    (b"\x00\x01" + b"\x00\x00\x00\x01a" + b"z", "tx_batch_trailing_bytes"),
])
def test_every_broken_rule_is_refused_by_name(payload: bytes, reason: str) -> None:
    with pytest.raises(TxBatchError) as caught:
        decode_tx_batch(payload, TX_CAP)
    assert caught.value.reason == reason


def test_the_largest_count_is_accepted_and_no_batch_is_encoded_outside_the_bounds() -> None:
    transactions = [b"t%d" % i for i in range(MAX_TX_BATCH_COUNT)]
    assert decode_tx_batch(encode_tx_batch(transactions), TX_CAP) == transactions
    for count in (0, MAX_TX_BATCH_COUNT + 1):
        with pytest.raises(ValueError, match="1 to"):
            encode_tx_batch([b"t"] * count)


# ---- cutting per peer ----------------------------------------------------------------------

def test_a_peer_batch_is_cut_at_its_count_and_the_rest_waits_for_the_drain() -> None:
    batches = OutgoingBatches[str](max_count=3, max_bytes=10_000)
    assert batches.add("a", b"1") == [] and batches.add("a", b"2") == []
    assert batches.add("b", b"x") == []
    assert [decode_tx_batch(cut, TX_CAP) for cut in batches.add("a", b"3")] == \
        [[b"1", b"2", b"3"]]
    assert batches.add("a", b"4") == []
    assert batches.waiting() == 2
    drained = {peer: decode_tx_batch(payload, TX_CAP) for peer, payload in batches.drain()}
    assert drained == {"a": [b"4"], "b": [b"x"]}
    assert batches.drain() == [] and batches.waiting() == 0


def test_a_peer_batch_is_cut_before_it_would_pass_its_bytes() -> None:
    limit = encoded_size(100, 2)  # two 50-byte transactions exactly
    batches = OutgoingBatches[str](max_count=100, max_bytes=limit)
    assert batches.add("a", b"a" * 50) == []
    full = batches.add("a", b"b" * 50)  # reaches the limit exactly: cut at once
    assert len(full) == 1 and len(full[0]) == limit
    assert batches.add("a", b"c" * 50) == []
    cut = batches.add("a", b"d" * 51)  # would pass it: the waiting one goes first, alone
    assert [decode_tx_batch(payload, TX_CAP) for payload in cut] == [[b"c" * 50]]
    assert all(len(payload) <= limit for payload in cut)
    batches.forget("a")
    assert batches.waiting() == 0


def test_outgoing_bounds_and_configuration_are_checked() -> None:
    with pytest.raises(ValueError, match="max_count"):
        OutgoingBatches[str](max_count=MAX_TX_BATCH_COUNT + 1, max_bytes=10_000)
    with pytest.raises(ValueError, match="max_bytes"):
        OutgoingBatches[str](max_count=2, max_bytes=6)
    with pytest.raises(ValueError, match="tx_batch_max_count"):
        NetworkConfig(chain_id=1, tx_batch_max_count=0)
    with pytest.raises(ValueError, match="tx_batch_max_bytes"):
        NetworkConfig(chain_id=1, tx_batch_max_bytes=1000)  # below one largest TX
    with pytest.raises(ValueError, match="tx_batch_max_bytes"):
        NetworkConfig(chain_id=1, tx_batch_max_bytes=2 * 1024 * 1024)  # above the frame cap
    with pytest.raises(ValueError, match="tx_batch_delay"):
        NetworkConfig(chain_id=1, tx_batch_delay=0)


# ---- real networks -------------------------------------------------------------------------

async def test_transactions_cross_a_link_in_few_frames_and_relay_without_echo(
        make_node: Any) -> None:
    a = await make_node(tx_batch_max_count=50)
    b = await make_node()
    c = await make_node()
    await a.network.connect("127.0.0.1", b.port)
    await b.network.connect("127.0.0.1", c.port)
    await eventually(lambda: len(b.network.peers()) == 2)
    sent = [b"tx-%03d" % i for i in range(120)]
    for raw in sent:
        a.network.broadcast(MessageKind.TX, raw)
    await eventually(lambda: sorted(c.payloads(MessageKind.TX)) == sent)
    assert sorted(b.payloads(MessageKind.TX)) == sent
    # 120 transactions at 50 a batch: two full batches at once, the rest on the timer
    assert a.network.tx_batches["sent"] == 3
    assert a.network.tx_batches["sent_transactions"] == 120
    assert b.network.tx_batches["received_transactions"] == 120
    assert b.network.counters()["tx_batch.received"] == 3
    assert c.network.tx_batches["received_transactions"] == 120
    assert a.payloads(MessageKind.TX) == []  # b relayed to c only, never back to a
    a.network.broadcast(MessageKind.TX, sent[0])  # already everywhere: goes nowhere
    assert a.network.tx_batches["sent_transactions"] == 120


async def test_a_re_sent_transaction_reaches_the_peer_again_once(make_node: Any) -> None:
    a, b = await make_node(), await make_node()
    await a.network.connect("127.0.0.1", b.port)
    await eventually(lambda: b.network.is_connected(a.address))
    a.network.broadcast(MessageKind.TX, b"tx-1")
    await eventually(lambda: b.payloads(MessageKind.TX) == [b"tx-1"])
    assert a.network.send(b.address, MessageKind.TX, b"tx-1") is True  # the pool re-announce
    await eventually(lambda: b.payloads(MessageKind.TX) == [b"tx-1", b"tx-1"])
    assert b.network.resends_delivered == 1
    assert a.network.send(b"\x01" * 20, MessageKind.TX, b"x") is False
    with pytest.raises(OutboundMessageError, match="TX_BATCH"):
        a.network.broadcast(MessageKind.TX_BATCH, encode_tx_batch([b"x"]))


async def test_single_tx_frames_are_still_accepted_and_relayed_in_batches(
        make_node: Any) -> None:
    a, c = await make_node(), await make_node()
    await a.network.connect("127.0.0.1", c.port)
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    raw.send(MessageKind.TX, b"single")
    await eventually(lambda: c.payloads(MessageKind.TX) == [b"single"])
    assert a.payloads(MessageKind.TX) == [b"single"]
    assert c.network.tx_batches["received"] == 1


@pytest.mark.parametrize(("payload", "reason"), [
    (b"\x00\x00", "tx_batch_empty"),
    (b"\x00\x03" + b"\x00\x00\x00\x01a", "tx_batch_truncated"),
    (b"\x00\x01" + b"\x00\x00\x00\x01a" + b"zz", "tx_batch_trailing_bytes"),
])
async def test_a_bad_batch_is_dropped_whole_counted_and_penalised(
        make_node: Any, payload: bytes, reason: str) -> None:
    a = await make_node()
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    raw.send(MessageKind.TX_BATCH, payload)
    raw.send(MessageKind.TX_BATCH, encode_tx_batch([b"good"]))
    await eventually(lambda: a.payloads(MessageKind.TX) == [b"good"])
    assert a.network.drops[reason] == 1
    assert a.network.counters()[f"penalty.{reason}"] == 1
    assert a.network.scores.score(raw.key.address) < 0
    assert a.network.is_connected(raw.key.address)  # the stream itself is intact


async def test_an_oversized_batch_frame_is_refused_from_its_header(make_node: Any) -> None:
    a = await make_node(payload_caps={MessageKind.TX_BATCH: 256 * 1024})
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    raw.send_wire(struct.pack(">IB", 256 * 1024 + 1, MessageKind.TX_BATCH))  # one past the cap
    frames = await raw.read_until_closed()
    assert frames[-1].payload == b"oversized"
    assert a.network.drops["oversized"] == 1 and a.received == []


async def test_batched_transactions_spend_the_tx_rate_budget(make_node: Any) -> None:
    a = await make_node(rate_limits={MessageKind.TX: RateLimit(1, 10)})
    raw = await RawPeer.open(a.port)
    await raw.handshake(CHAIN_ID)
    raw.send(MessageKind.TX_BATCH, encode_tx_batch([b"one-%d" % i for i in range(8)]))
    raw.send(MessageKind.TX_BATCH, encode_tx_batch([b"two-%d" % i for i in range(8)]))
    raw.send(MessageKind.TX, b"three")
    await eventually(lambda: a.network.drops["rate_limited"] == 1)
    await eventually(lambda: len(a.payloads(MessageKind.TX)) == 9)
    assert a.payloads(MessageKind.TX) == [b"one-%d" % i for i in range(8)] + [b"three"]
