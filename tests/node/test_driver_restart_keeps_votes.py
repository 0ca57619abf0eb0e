"""A machine rebuilt in-process (after a write the disk refused) keeps the peers' votes the old one
held. The network delivers a gossiped vote once: its seen cache outlives the machine and drops
every re-sent copy, so a vote the rebuilt machine lost is never seen again. Chaos seed 5
(docs/reliability.md) halted all four nodes that way: two stuck at prevote without a prevote
quorum, two at precommit without a precommit quorum, no timeout armed by either.

Here the driver holds two peers' nil prevotes, its next write is refused (the disk-full path of
``ConsensusDriver.run``), and nothing re-delivers them (as the network would not): with them and
its own prevote it has the quorum for nil again and precommits; without them it would wait at
prevote forever.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from ordo.chain.chain import Chain
from ordo.consensus import NIL, LocalSigner, Step, VoteType, encode_vote, sign_vote
from ordo.core.genesis import ConsensusRules, GenesisValidator, devnet_genesis
from ordo.mempool import ChainRules, Mempool
from ordo.network import MessageKind
from ordo.node.consensus_driver import ConsensusDriver, Pacing
from ordo.node.consensus_setup import consensus_params_from_genesis, validator_set_from_genesis
from ordo.node.epoch_sets import StaticEpochSets
from ordo.node.node import Node
from ordo.storage.chain_store import ChainStore, StoreDiskFullError
from tests.node.test_driver_disk_full import SilentTransport, wait_for

KEYS = tuple(bytes([index]) * 32 for index in range(1, 5))
OURS, PEER_A, PEER_B = KEYS[0], KEYS[1], KEYS[2]


async def test_a_restart_after_a_refused_write_keeps_the_peers_votes(tmp_path: Path) -> None:
    rules = ConsensusRules(propose_base_ms=100, propose_delta_ms=0, prevote_base_ms=50,
                           prevote_delta_ms=0, precommit_base_ms=50, precommit_delta_ms=0)
    members = tuple(GenesisValidator(LocalSigner(key).address, 1) for key in KEYS)
    genesis = devnet_genesis(validators=members, consensus=rules)
    store = ChainStore(tmp_path / "chain")
    try:
        chain = Chain(store, genesis)
        node = Node(chain, Mempool(ChainRules.from_genesis(genesis)), LocalSigner(OURS).address)
        node.start()
        params = consensus_params_from_genesis(genesis)
        driver = ConsensusDriver(node, params,
                                 StaticEpochSets(validator_set_from_genesis(genesis, None)), OURS,
                                 Pacing(0.01, 0.05, bytes(20), 5))
        driver.transport = SilentTransport()  # nothing re-delivers, as the seen cache did
        refuse_next = False
        put_meta = store.put_meta

        def put_meta_or_refuse(key: str, value: bytes) -> None:
            nonlocal refuse_next
            if refuse_next:
                refuse_next = False
                raise StoreDiskFullError("no space left (test)")
            put_meta(key, value)

        store.put_meta = put_meta_or_refuse  # type: ignore[method-assign]
        task = asyncio.create_task(driver.run())
        try:
            await wait_for(lambda: driver.state.started, 10)
            genesis_hash = bytes(chain.header_at(0).hash)
            peers = {LocalSigner(key).address: LocalSigner(key) for key in (PEER_A, PEER_B)}
            for address, signer in peers.items():
                vote = sign_vote(signer, params.chain_id, 1, 0, VoteType.PREVOTE, genesis_hash,
                                 NIL)
                driver.on_peer_message(address, MessageKind.VOTE, encode_vote(vote))

            def held() -> bool:
                tally = driver.state.prevotes.get(0)
                return tally is not None and all(address in tally.votes for address in peers)

            await wait_for(held, 5)
            # Our own prevote (nil after the propose timeout, or our block) completes the
            # quorum for nil or for anything; the write before the next vote is refused.
            refuse_next = True
            await wait_for(lambda: driver.disk_full_waits == 1, 10)
            # the rebuilt machine reaches precommit (without the peers' votes it never would)
            await wait_for(lambda: driver.state.step == Step.PRECOMMIT, 10)
            assert (driver.state.height, driver.state.round) == (1, 0)
            assert held(), "the rebuilt machine lost the peers' prevotes"
            own = LocalSigner(OURS).address
            assert driver.state.precommits[0].votes[own].block_hash == NIL
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await node.stop()
    finally:
        store.close()
