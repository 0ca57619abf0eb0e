"""What the driver keeps and how fast it retries when a decision is not taken.

A decided block that cannot be stored (``BlockExecution.commit`` returns None, e.g. its forced
items unreadable while L1 is down) rests the driver ``COMMIT_RETRY_S`` before the machine
restarts, as a refused write does: at once, every decision would repeat the failing read and
its error log in a tight loop. A synced block whose certificate is refused is not kept by
``BlockExecution`` (a peer could otherwise fill it with unsolicited blocks until the next commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ordo.chain.chain import Chain
from ordo.consensus import Commit, CommitCertificate, LocalSigner, encode_certificate
from ordo.core.block_codec import encode_block
from ordo.core.genesis import ConsensusRules, GenesisValidator, devnet_genesis
from ordo.execution.engine import BlockEnvironment
from ordo.node import consensus_driver
from ordo.node.consensus_driver import SyncedBlocks
from ordo.node.sync_codec import BlockResponse
from ordo.storage.chain_store import ChainStore
from tests.node.test_driver_disk_full import OURS, driver_on, wait_for

RULES = ConsensusRules(propose_base_ms=100, propose_delta_ms=0, prevote_base_ms=50,
                       prevote_delta_ms=0, precommit_base_ms=50, precommit_delta_ms=0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChainStore]:
    opened = ChainStore(tmp_path / "chain")
    yield opened
    opened.close()


async def test_a_failed_commit_rests_before_the_machine_restarts(
        store: ChainStore, monkeypatch: pytest.MonkeyPatch) -> None:
    genesis = devnet_genesis(validators=(GenesisValidator(LocalSigner(OURS).address, 1),),
                             consensus=RULES)
    driver = driver_on(store, genesis)
    monkeypatch.setattr(consensus_driver, "COMMIT_RETRY_S", 0.2)
    attempts: list[float] = []

    async def refuse(commit: Commit) -> None:
        attempts.append(time.monotonic())

    monkeypatch.setattr(driver.execution, "commit", refuse)
    task = asyncio.create_task(driver.run())
    try:
        await wait_for(lambda: len(attempts) >= 3, 10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert all(gap >= 0.2 for gap in gaps), gaps  # the sleep is a lower bound, never shorter
    assert driver.commit_failures >= 2
    assert driver.chain.head_number() == 0


async def test_a_synced_block_refused_is_not_kept(store: ChainStore, tmp_path: Path) -> None:
    # Four validators: a certificate without signatures is no quorum, so the decision is refused.
    keys = [OURS] + [bytes([index]) * 32 for index in range(2, 5)]
    genesis = devnet_genesis(validators=tuple(GenesisValidator(LocalSigner(key).address, 1)
                                              for key in keys), consensus=RULES)
    driver = driver_on(store, genesis)
    await driver._restart_machine()
    producer_store = ChainStore(tmp_path / "producer")
    try:
        producer = Chain(producer_store, genesis)
        parent = producer.head_header()
        env = BlockEnvironment(coinbase=bytes(20), timestamp=int(parent.timestamp) + 1,
                               gas_limit=int(parent.gas_limit),
                               extra_data=LocalSigner(keys[1]).address)
        block = producer.engine.build_block(parent, [], env).executed.block
    finally:
        producer_store.close()
    unsigned = CommitCertificate(1, 0, block.hash, ())
    response = BlockResponse(((encode_block(block), encode_certificate(unsigned)),))
    await driver._apply_synced(SyncedBlocks(LocalSigner(keys[1]).address, response))
    assert driver.chain.head_number() == 0
    assert driver.execution._decoded == {}
    driver.pacer.stop()
