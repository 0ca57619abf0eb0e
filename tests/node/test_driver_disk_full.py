"""A full disk under a lone validator: each refused step is one precise, counted error and a
second of rest (not a traceback per message in a tight loop), nothing is committed meanwhile,
and blocks resume once space is freed. A real store on a 16 MiB tmpfs (root; skipped otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import pytest

from ordo.chain.chain import Chain
from ordo.chaos.small_disk import DiskUnavailable, fill_disk, free_disk, mount_small_disk, unmount
from ordo.consensus import LocalSigner
from ordo.core.genesis import ConsensusRules, Genesis, GenesisValidator, devnet_genesis
from ordo.mempool import ChainRules, Mempool
from ordo.network import MessageKind, PeerInfo
from ordo.node.consensus_driver import ConsensusDriver, Pacing
from ordo.node.consensus_setup import consensus_params_from_genesis, validator_set_from_genesis
from ordo.node.epoch_sets import StaticEpochSets
from ordo.node.node import Node
from ordo.storage.chain_store import ChainStore

OURS = bytes(range(1, 33))


class SilentTransport:
    def broadcast(self, kind: MessageKind, payload: bytes) -> int:
        return 0

    def send(self, peer_id: bytes, kind: MessageKind, payload: bytes) -> bool:
        return False

    def report_misbehaviour(self, peer_id: bytes, reason: str, penalty: float) -> None:
        raise AssertionError("no peers here")

    def peers(self) -> list[PeerInfo]:
        return []


def driver_on(store: ChainStore, genesis: Genesis) -> ConsensusDriver:
    """A driver for validator OURS on ``store``, its node started, talking to no one."""
    node = Node(Chain(store, genesis), Mempool(ChainRules.from_genesis(genesis)),
                LocalSigner(OURS).address)
    node.start()
    driver = ConsensusDriver(node, consensus_params_from_genesis(genesis),
                             StaticEpochSets(validator_set_from_genesis(genesis, None)), OURS,
                             Pacing(0.01, 0.05, bytes(20), 5))
    driver.transport = SilentTransport()
    node.consensus = driver  # as the node runner does: ordo_status reads the driver
    return driver


async def wait_for(condition: object, seconds: float) -> None:
    assert callable(condition)
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {seconds} s")


async def test_a_full_disk_rests_the_driver_and_blocks_resume_when_freed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    disk = tmp_path / "disk"
    try:
        mount_small_disk(disk, "16m")
    except DiskUnavailable as reason:
        pytest.skip(str(reason))
    rules = ConsensusRules(propose_base_ms=100, propose_delta_ms=0, prevote_base_ms=50,
                           prevote_delta_ms=0, precommit_base_ms=50, precommit_delta_ms=0)
    genesis = devnet_genesis(validators=(GenesisValidator(LocalSigner(OURS).address, 1),),
                             consensus=rules)
    store = ChainStore(disk / "chain", map_size=64 * 2**20)
    try:
        driver = driver_on(store, genesis)
        node = driver.node
        task = asyncio.create_task(driver.run())
        try:
            await wait_for(lambda: driver.blocks_committed >= 2, 20)
            fill_disk(disk)
            with caplog.at_level(logging.ERROR, logger="ordo.node.consensus_driver"):
                await wait_for(lambda: driver.disk_full_waits >= 1, 10)
                await asyncio.sleep(2.5)
            # LMDB may still commit into pages it freed earlier; what it cannot write is refused
            assert 1 <= driver.disk_full_waits <= 4, driver.disk_full_waits
            assert "no space left on its disk" in caplog.text or \
                "its disk refused the write" in caplog.text
            assert "consensus step failed" not in caplog.text
            faults = node.status()["faults"]  # what ordo_status and /metrics report
            assert faults["disk_full_waits"] == driver.disk_full_waits
            assert faults["write_refusals"] == store.write_refusals >= 1
            assert faults["commit_failures"] == driver.commit_failures
            committed = driver.blocks_committed
            free_disk(disk)
            await wait_for(lambda: driver.blocks_committed > committed, 20)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await node.stop()
    finally:
        store.close()
        unmount(disk)
