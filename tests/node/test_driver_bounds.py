"""What a peer can make the consensus driver hold is bounded: queued peer events and block
requests being answered; past the bounds new ones are dropped and counted, own events never."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ordo.chain.chain import Chain
from ordo.consensus import LocalSigner
from ordo.core.genesis import GenesisValidator, devnet_genesis
from ordo.mempool import ChainRules, Mempool
from ordo.network import MessageKind
from ordo.node import block_sync, consensus_driver
from ordo.node.consensus_driver import ConsensusDriver, Pacing
from ordo.node.consensus_setup import consensus_params_from_genesis, validator_set_from_genesis
from ordo.node.epoch_sets import StaticEpochSets
from ordo.node.node import Node
from ordo.node.sync_codec import BlockRequest, BlockResponse, encode_request, encode_response
from ordo.storage.chain_store import ChainStore

OURS = bytes(range(1, 33))
PEER = b"\x07" * 33
OTHER_PEER = b"\x08" * 33


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[ConsensusDriver]:
    genesis = devnet_genesis(validators=(GenesisValidator(LocalSigner(OURS).address, 1),))
    store = ChainStore(tmp_path / "chain")
    chain = Chain(store, genesis)
    node = Node(chain, Mempool(ChainRules.from_genesis(genesis)), LocalSigner(OURS).address)
    yield ConsensusDriver(node, consensus_params_from_genesis(genesis),
                          StaticEpochSets(validator_set_from_genesis(genesis, None)), OURS,
                          Pacing(0.01, 0.05, bytes(20), 5))
    store.close()


async def test_peer_items_past_the_bound_are_dropped_and_counted(
        driver: ConsensusDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consensus_driver, "MAX_QUEUED_PEER_ITEMS", 3)
    response = encode_response(BlockResponse(()))
    for _ in range(5):
        driver.on_peer_message(PEER, MessageKind.BLOCK_RESPONSE, response)
    assert driver.ignored["driver queue full"] == 2
    assert driver._queue.qsize() == 3
    # The driver's own work still queues while peers have filled their share.
    driver._queue.put_nowait(consensus_driver.Tick())
    assert driver._queue.qsize() == 4


async def test_block_requests_beyond_the_bound_are_refused_while_busy(
        driver: ConsensusDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(block_sync, "MAX_BLOCK_SERVES_PER_PEER", 2)
    release = threading.Event()
    asked: list[int] = []

    def slow_lookup(number: int) -> None:
        asked.append(number)
        release.wait(timeout=10)
        return None

    monkeypatch.setattr(driver.chain.store, "get_block_by_number", slow_lookup)
    for start in range(1, 5):
        driver.on_peer_message(PEER, MessageKind.BLOCK_REQUEST,
                               encode_request(BlockRequest(start, 1)))
    driver.on_peer_message(OTHER_PEER, MessageKind.BLOCK_REQUEST,
                           encode_request(BlockRequest(9, 1)))
    for _ in range(200):
        if len(asked) == 3:
            break
        await asyncio.sleep(0.01)
    assert sorted(asked) == [1, 2, 9]  # the other peer is not starved by the first
    assert driver.ignored["block request while busy"] == 2
    release.set()
    for _ in range(200):
        if not driver.sync.serving:
            break
        await asyncio.sleep(0.01)
    assert not driver.sync.serving
    driver.on_peer_message(PEER, MessageKind.BLOCK_REQUEST, encode_request(BlockRequest(5, 1)))
    for _ in range(200):
        if 5 in asked:
            break
        await asyncio.sleep(0.01)
    assert 5 in asked
