"""The driver makes its own votes durable before sending them, and a restarted driver re-sends
the very same votes instead of signing new ones (a restart can never make it equivocate)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from ordo.chain.chain import Chain
from ordo.consensus import LocalSigner, Vote, decode_vote
from ordo.core.genesis import ConsensusRules, GenesisValidator, devnet_genesis
from ordo.mempool import ChainRules, Mempool
from ordo.network import MessageKind, PeerInfo
from ordo.node.consensus_driver import ConsensusDriver, Pacing
from ordo.node.consensus_setup import consensus_params_from_genesis, validator_set_from_genesis
from ordo.node.epoch_sets import StaticEpochSets
from ordo.node.node import Node
from ordo.node.recovery_codec import RECOVERY_META_KEY, decode_recovery
from ordo.storage.chain_store import ChainStore

OURS = bytes(range(1, 33))
OTHER = bytes(range(2, 34))


class RecordingTransport:
    """Keeps each vote sent together with the recovery record on disk at that moment."""

    def __init__(self, store: ChainStore) -> None:
        self.store = store
        self.sent: list[tuple[Vote, bytes | None]] = []

    def broadcast(self, kind: MessageKind, payload: bytes) -> int:
        if kind == MessageKind.VOTE:
            self.sent.append((decode_vote(payload), self.store.get_meta(RECOVERY_META_KEY)))
        return 0

    def send(self, peer_id: bytes, kind: MessageKind, payload: bytes) -> bool:
        return False

    def report_misbehaviour(self, peer_id: bytes, reason: str, penalty: float) -> None:
        raise AssertionError("no peers here")

    def peers(self) -> list[PeerInfo]:
        return []


async def run_until_votes(tmp_path: Path, count: int, patience: int = 200
                          ) -> tuple[list[tuple[Vote, bytes | None]], ConsensusDriver]:
    rules = ConsensusRules(propose_base_ms=100, propose_delta_ms=0, prevote_base_ms=50,
                           prevote_delta_ms=0, precommit_base_ms=50, precommit_delta_ms=0)
    members = tuple(GenesisValidator(LocalSigner(key).address, 1) for key in (OURS, OTHER))
    genesis = devnet_genesis(validators=members, consensus=rules)
    store = ChainStore(tmp_path / "chain")
    try:
        chain = Chain(store, genesis)
        node = Node(chain, Mempool(ChainRules.from_genesis(genesis)), LocalSigner(OURS).address)
        node.start()
        driver = ConsensusDriver(node, consensus_params_from_genesis(genesis),
                                 StaticEpochSets(validator_set_from_genesis(genesis, None)), OURS,
                                 Pacing(0.01, 0.05, bytes(20), 5))
        transport = RecordingTransport(store)
        driver.transport = transport
        task = asyncio.create_task(driver.run())
        for _ in range(patience):
            if len(transport.sent) >= count:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await node.stop()
        assert driver.blocks_committed == 0  # half the stake alone decides nothing
        return transport.sent, driver
    finally:
        store.close()


async def test_votes_are_durable_before_sending_and_reused_after_restart(tmp_path: Path) -> None:
    # Alone with half the stake the node prevotes (its block or nil) and then waits for a
    # quorum that never comes.
    first_run, _ = await run_until_votes(tmp_path, 1)
    assert len(first_run) == 1
    vote, stored = first_run[0]
    assert stored is not None and vote in decode_recovery(stored).own_votes
    second_run, driver = await run_until_votes(tmp_path, 1, patience=50)
    assert second_run == [], "a restart signed its vote again instead of reusing it"
    restored = driver.state.prevotes[0].votes[LocalSigner(OURS).address]
    assert restored == vote
