"""Real TCP on 127.0.0.1: a mesh forms from static peer lists, gossip reaches everyone once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ordo.network import MessageKind, NodeKey
from ordo.network.peer_network import OutboundMessageError
from tests.network.conftest import Node, eventually


async def full_mesh(make_node: Any, count: int) -> list[Node]:
    nodes: list[Node] = [await make_node() for _ in range(count)]
    for node in nodes:
        for other in nodes:
            if other is not node:
                node.network.add_static_peer("127.0.0.1", other.port)
    await eventually(lambda: all(len(n.network.peers()) == count - 1 for n in nodes),
                     what="full mesh")
    return nodes


async def test_four_nodes_form_a_full_mesh_and_broadcast_reaches_all(make_node: Any) -> None:
    started = time.monotonic()
    nodes = await full_mesh(make_node, 4)
    mesh_seconds = time.monotonic() - started
    assert mesh_seconds < 3
    for node in nodes:
        ids = {info.peer_id for info in node.network.peers()}
        assert ids == {n.address for n in nodes} - {node.address}
        for info in node.network.peers():
            assert info.direction in {"inbound", "outbound"} and info.score == 0
            assert info.connected_since > 0 and info.host == "127.0.0.1"

    sender = nodes[0]
    assert sender.network.broadcast(MessageKind.VOTE, b"vote-1") == 3
    await eventually(lambda: all(n.payloads(MessageKind.VOTE) == [b"vote-1"]
                                 for n in nodes[1:]))
    assert sender.payloads(MessageKind.VOTE) == []
    # broadcasting the same vote again reaches nobody new: every session already has it
    assert sender.network.broadcast(MessageKind.VOTE, b"vote-1") == 0
    # but send() is explicit and always goes out
    assert sender.network.send(nodes[1].address, MessageKind.STATUS, b"s") is True
    await eventually(lambda: nodes[1].payloads(MessageKind.STATUS) == [b"s"])


async def test_transactions_are_relayed_and_delivered_once(make_node: Any) -> None:
    nodes = await full_mesh(make_node, 4)
    for i in range(20):
        nodes[i % 4].network.broadcast(MessageKind.TX, b"tx-%d" % i)
    expected = {i: sorted(b"tx-%d" % j for j in range(20) if j % 4 != i) for i in range(4)}
    await eventually(lambda: all(sorted(n.payloads(MessageKind.TX)) == expected[i]
                                 for i, n in enumerate(nodes)))
    # relays from the other nodes arrive as copies and are dropped, not delivered again
    await eventually(lambda: sum(n.network.drops["duplicate"] for n in nodes) > 0)
    for i, node in enumerate(nodes):
        assert sorted(node.payloads(MessageKind.TX)) == expected[i]


async def test_a_copy_re_sent_on_the_same_session_is_delivered_again(make_node: Any) -> None:
    # A node may have dropped the first copy (a vote for a height it had not reached, or held
    # by a consensus machine it rebuilt since): the peer's send() after a stall must reach it.
    # Copies relayed by other peers stay duplicates, and a re-sent copy is not relayed again.
    a, b, c = await full_mesh(make_node, 3)
    a.network.broadcast(MessageKind.VOTE, b"vote-1")
    a.network.broadcast(MessageKind.TX, b"tx-1")
    await eventually(lambda: all(n.payloads(MessageKind.TX) == [b"tx-1"] for n in (b, c)))
    await eventually(lambda: b.payloads(MessageKind.VOTE) == [b"vote-1"])
    await eventually(lambda: sum(n.network.drops["duplicate"] for n in (b, c)) > 0)
    assert b.network.resends_delivered == 0
    assert a.network.send(b.address, MessageKind.VOTE, b"vote-1") is True
    assert a.network.send(b.address, MessageKind.TX, b"tx-1") is True
    await eventually(lambda: b.payloads(MessageKind.VOTE) == [b"vote-1", b"vote-1"])
    await eventually(lambda: b.payloads(MessageKind.TX) == [b"tx-1", b"tx-1"])
    assert b.network.resends_delivered == 2
    assert b.network.counters()["resends_delivered"] == 2
    # b -> c is one ordered session: had b relayed the re-sent tx-1, c would see it before tx-2
    b.network.broadcast(MessageKind.TX, b"tx-2")
    await eventually(lambda: b"tx-2" in c.payloads(MessageKind.TX))
    assert c.payloads(MessageKind.TX) == [b"tx-1", b"tx-2"]
    assert c.network.resends_delivered == 0


async def test_tx_is_relayed_along_a_line_but_votes_are_left_to_the_node(make_node: Any) -> None:
    a, b, c = [await make_node() for _ in range(3)]
    await a.network.connect("127.0.0.1", b.port)
    await b.network.connect("127.0.0.1", c.port)
    a.network.broadcast(MessageKind.TX, b"raw-tx")
    a.network.broadcast(MessageKind.VOTE, b"a-vote")
    await eventually(lambda: c.payloads(MessageKind.TX) == [b"raw-tx"])
    await eventually(lambda: b.payloads(MessageKind.VOTE) == [b"a-vote"])
    assert c.payloads(MessageKind.VOTE) == []
    assert a.payloads(MessageKind.TX) == []  # not echoed back to its origin


async def test_handler_can_veto_the_relay_of_a_transaction(make_node: Any) -> None:
    a, b, c = [await make_node() for _ in range(3)]
    await a.network.connect("127.0.0.1", b.port)
    await b.network.connect("127.0.0.1", c.port)
    b.network.on_message = lambda peer, kind, payload: payload != b"invalid"
    a.network.broadcast(MessageKind.TX, b"invalid")
    a.network.broadcast(MessageKind.TX, b"valid")
    await eventually(lambda: c.payloads(MessageKind.TX) == [b"valid"])


async def test_static_peer_is_redialled_after_it_restarts(make_node: Any) -> None:
    key_b = NodeKey.generate()
    b = await make_node(key=key_b)
    a = await make_node(static_peers=(("127.0.0.1", b.port),))
    await eventually(lambda: a.network.is_connected(key_b.address))
    port = b.port
    await b.network.stop()
    await eventually(lambda: not a.network.is_connected(key_b.address))
    assert a.disconnected and a.disconnected[0][0] == key_b.address
    b2 = await make_node(key=key_b, port=port)
    await eventually(lambda: a.network.is_connected(key_b.address))
    a.network.broadcast(MessageKind.PROPOSAL, b"after-restart")
    await eventually(lambda: b2.payloads(MessageKind.PROPOSAL) == [b"after-restart"])
    assert a.connected.count(key_b.address) == 2


async def test_handler_errors_are_counted_and_the_session_survives(make_node: Any) -> None:
    a, b = await make_node(), await make_node()
    await a.network.connect("127.0.0.1", b.port)

    def explode(peer: bytes, kind: MessageKind, payload: bytes) -> None:
        raise RuntimeError("node bug")

    b.network.on_message = explode
    a.network.broadcast(MessageKind.TX, b"boom")
    await eventually(lambda: b.network.drops["handler_error"] == 1)
    assert b.network.is_connected(a.address)


async def test_node_cannot_send_transport_kinds_or_oversized_payloads(make_node: Any) -> None:
    a = await make_node(payload_caps={MessageKind.TX: 100})
    with pytest.raises(OutboundMessageError, match="HELLO"):
        a.network.broadcast(MessageKind.HELLO, b"")
    with pytest.raises(OutboundMessageError, match="oversized"):
        a.network.broadcast(MessageKind.TX, b"x" * 101)
    with pytest.raises(OutboundMessageError, match="bytes"):
        a.network.broadcast(MessageKind.TX, "text")  # type: ignore[arg-type]
    assert a.network.send(b"\x01" * 20, MessageKind.TX, b"x") is False


async def test_keepalive_measures_round_trip_time(make_node: Any) -> None:
    a = await make_node(ping_interval=0.05, pong_timeout=1.0)
    b = await make_node(ping_interval=0.05, pong_timeout=1.0)
    await a.network.connect("127.0.0.1", b.port)
    await eventually(lambda: all(p.rtt is not None for p in a.network.peers()))
    assert 0 <= a.network.peers()[0].rtt < 0.5  # type: ignore[operator]
