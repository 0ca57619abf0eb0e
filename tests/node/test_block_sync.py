"""Block sync alone (node/block_sync.py) on real stores: what it tells peers, when it asks,
what it serves, and how it hands received blocks to the driver."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from ordo.chain.chain import Chain
from ordo.consensus import CommitCertificate, LocalSigner, ProposedValue, encode_certificate
from ordo.core.block import Block
from ordo.core.block_codec import encode_block
from ordo.core.genesis import GenesisValidator, devnet_genesis
from ordo.execution.engine import BlockEnvironment
from ordo.network import MessageKind, PeerInfo
from ordo.node import block_sync
from ordo.node.block_sync import BlockSync
from ordo.node.sync_codec import (
    BlockRequest,
    BlockResponse,
    ChainStatus,
    decode_request,
    decode_response,
)
from ordo.storage.chain_store import ChainStore

OURS = bytes(range(1, 33))
PEER = b"\x07" * 33
GENESIS = devnet_genesis(validators=(GenesisValidator(LocalSigner(OURS).address, 1),))


class Wire:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, MessageKind, bytes]] = []

    def broadcast(self, kind: MessageKind, payload: bytes) -> int:
        return 0

    def send(self, peer_id: bytes, kind: MessageKind, payload: bytes) -> bool:
        self.sent.append((peer_id, kind, payload))
        return True

    def report_misbehaviour(self, peer_id: bytes, reason: str, penalty: float) -> None:
        raise AssertionError("penalties go through the penalize callback")

    def peers(self) -> list[PeerInfo]:
        return []


class Rig:
    def __init__(self, path: Path) -> None:
        self.store = ChainStore(path)
        self.chain = Chain(self.store, GENESIS)
        self.wire = Wire()
        self.penalized: list[tuple[bytes, str]] = []
        self.tasks: list[asyncio.Task[None]] = []

        def spawn(coroutine: Coroutine[Any, Any, None]) -> None:
            self.tasks.append(asyncio.ensure_future(coroutine))

        self.sync = BlockSync(self.chain, lambda: self.wire, lambda: 0, spawn,
                              lambda peer, reason: self.penalized.append((peer, reason)))

    def add_final_block(self) -> Block:
        parent = self.chain.head_header()
        env = BlockEnvironment(coinbase=bytes(20), timestamp=int(parent.timestamp) + 1,
                               gas_limit=int(parent.gas_limit),
                               extra_data=LocalSigner(OURS).address)
        result = self.chain.engine.build_block(parent, [], env)
        block = result.executed.block
        certificate = encode_certificate(CommitCertificate(block.number, 0, block.hash, ()))
        self.store.commit_block(result.executed, result.state_writes, certificate=certificate,
                                finalized_number=block.number)
        return block


@pytest.fixture
def rigs(tmp_path: Path) -> Iterator[tuple[Rig, Rig]]:
    ahead, behind = Rig(tmp_path / "ahead"), Rig(tmp_path / "behind")
    yield ahead, behind
    ahead.store.close()
    behind.store.close()


async def test_a_peer_ahead_is_asked_and_served_and_its_blocks_delivered_in_order(
        rigs: tuple[Rig, Rig]) -> None:
    ahead, behind = rigs
    blocks = [ahead.add_final_block() for _ in range(3)]
    assert ahead.sync.status().head == 3
    behind.sync.on_status(PEER, ChainStatus(3, blocks[-1].hash, 3))
    [(peer, kind, payload)] = behind.wire.sent
    assert (peer, kind) == (PEER, MessageKind.BLOCK_REQUEST)
    request = decode_request(payload)
    assert request.start == 1
    assert ahead.sync.serve_if_free(PEER, request)
    await asyncio.gather(*ahead.tasks)
    [(_, kind, payload)] = ahead.wire.sent
    response = decode_response(payload)
    assert kind == MessageKind.BLOCK_RESPONSE and len(response.entries) == 3
    assert not ahead.sync.serving  # the answer is done
    delivered: list[ProposedValue] = []

    async def deliver(value: ProposedValue, certificate: CommitCertificate,
                      block: Block) -> bool:
        delivered.append(value)
        assert certificate.block_hash == block.hash == value.block_hash
        return len(delivered) < 2  # the second is "not taken": stop there

    await behind.sync.apply(PEER, response, lambda: len(delivered) + 1, deliver)
    assert [value.height for value in delivered] == [1, 2]
    assert [value.block_hash for value in delivered] == [b.hash for b in blocks[:2]]


async def test_a_block_that_does_not_decode_penalizes_its_sender(rigs: tuple[Rig, Rig]) -> None:
    ahead, behind = rigs
    block = ahead.add_final_block()
    certificate = encode_certificate(CommitCertificate(1, 0, block.hash, ()))
    bad = BlockResponse(((b"\xc0not a block", certificate), (encode_block(block), certificate)))

    async def deliver(value: ProposedValue, certificate: CommitCertificate,
                      block: Block) -> bool:
        raise AssertionError("nothing after a bad block is delivered")

    await behind.sync.apply(PEER, bad, lambda: 1, deliver)
    assert behind.penalized == [(PEER, "bad_synced_block")]


async def test_serving_is_bounded_per_peer(rigs: tuple[Rig, Rig],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from ordo.node import block_sync

    ahead, _ = rigs
    monkeypatch.setattr(block_sync, "MAX_BLOCK_SERVES_PER_PEER", 1)
    assert ahead.sync.serve_if_free(PEER, BlockRequest(1, 1))
    assert not ahead.sync.serve_if_free(PEER, BlockRequest(1, 1))
    assert ahead.sync.serve_if_free(b"\x08" * 33, BlockRequest(1, 1))
    await asyncio.gather(*ahead.tasks)
    assert not ahead.sync.serving
    assert ahead.wire.sent == []  # nothing stored to serve: nothing sent


async def test_a_response_holds_blocks_and_certificates_within_the_limit(
        rigs: tuple[Rig, Rig], monkeypatch: pytest.MonkeyPatch) -> None:
    ahead, _ = rigs
    blocks = [ahead.add_final_block() for _ in range(3)]
    entry = len(encode_block(blocks[0])) + len(ahead.store.get_certificate(1) or b"")
    # room for two blocks, but not for two blocks and both certificates: the second is left out
    monkeypatch.setattr(block_sync, "MAX_RESPONSE_BYTES", entry + len(encode_block(blocks[1])))
    assert ahead.sync.serve_if_free(PEER, BlockRequest(1, 3))
    await asyncio.gather(*ahead.tasks)
    [(_, _, payload)] = ahead.wire.sent
    entries = decode_response(payload).entries
    assert len(entries) == 1
    assert sum(len(block) + len(certificate) for block, certificate in entries) <= entry
