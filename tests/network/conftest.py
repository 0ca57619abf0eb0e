from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from ordo.network import MessageKind, NetworkConfig, NodeKey, PeerNetwork
from ordo.network.node_key import PeerId
from tests.network.network_test_peer import OPEN_PEERS

CHAIN_ID = 901


@dataclass
class Node:
    """A started PeerNetwork plus everything its callbacks saw."""

    network: PeerNetwork
    port: int
    received: list[tuple[PeerId, MessageKind, bytes]] = field(default_factory=list)
    connected: list[PeerId] = field(default_factory=list)
    disconnected: list[tuple[PeerId, str]] = field(default_factory=list)

    @property
    def address(self) -> PeerId:
        return self.network.key.address

    def payloads(self, kind: MessageKind) -> list[bytes]:
        return [payload for _, k, payload in self.received if k is kind]


def fast_config(**overrides: object) -> NetworkConfig:
    settings: dict[str, object] = {
        "chain_id": CHAIN_ID, "handshake_timeout": 2.0, "frame_timeout": 2.0,
        "ping_interval": 5.0, "pong_timeout": 5.0, "write_timeout": 2.0,
        "reconnect_initial": 0.05, "reconnect_max": 0.2,
    }
    settings.update(overrides)
    return NetworkConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def make_node() -> AsyncIterator[Callable[..., object]]:
    started: list[Node] = []

    async def factory(key: NodeKey | None = None, port: int = 0, clock: object = None,
                      **overrides: object) -> Node:
        node_key = key or NodeKey.generate()
        extra: dict[str, object] = {} if clock is None else {"clock": clock}
        network = PeerNetwork(node_key, fast_config(**overrides), **extra)  # type: ignore[arg-type]
        _, bound = await network.start("127.0.0.1", port)
        node = Node(network, bound)

        def record(peer: PeerId, kind: MessageKind, payload: bytes) -> None:
            node.received.append((peer, kind, payload))

        network.on_message = record
        network.on_peer_connected = node.connected.append
        network.on_peer_disconnected = lambda peer, reason: node.disconnected.append(
            (peer, reason))
        started.append(node)
        return node

    yield factory
    for node in started:
        await node.network.stop()
    while OPEN_PEERS:
        OPEN_PEERS.pop().close()
    await asyncio.sleep(0)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0,
                     what: str = "condition") -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
    assert predicate(), what
