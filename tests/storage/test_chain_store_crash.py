"""Crash consistency: a writer SIGKILLed at random instants always reopens at a whole block.

The child commits blocks in a loop; the parent kills it at a random moment, reopens the store with
no repair step and checks that the head and every block below it are complete (header, body,
receipts, indexes, certificate, state, finality), that nothing of the next block leaked in, and
that the journal holds no included or dropped transaction.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ordo.storage.chain_store import ChainStore
from tests.storage.storage_chain_builder import certificate_for, state_writes_for
from tests.storage.storage_crash_writer import (
    STATE_WRITES_PER_BLOCK,
    TXS_PER_BLOCK,
    dropped_transaction,
)

WRITER = Path(__file__).parent / "storage_crash_writer.py"
KILLS = 12
SEED = 20240611


def run_writer_until_killed(path: Path, delay: float) -> None:
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line != b"ready\n":
            child.wait(timeout=30)
            assert child.stderr is not None
            pytest.fail(f"writer did not start: {line!r} {child.stderr.read().decode()}")
        # Each run commits at least one block before its kill, so the runs make progress
        # however loaded the machine is; the kill then falls ``delay`` into later commits.
        committed = child.stdout.readline()
        assert committed.startswith(b"committed "), f"writer stopped: {committed!r}"
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL, "writer stopped before it was killed"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def check_consistent(store: ChainStore) -> int:
    head = store.head_number()
    assert head is not None
    assert store.finalized_number() == max(head - 1, 0)
    reader = store.state_reader()
    parent_hash = b"\0" * 32
    for number in range(head + 1):
        block = store.get_block_by_number(number)
        assert block is not None, f"block {number} missing below head {head}"
        assert bytes(block.header.parent_hash) == parent_hash
        assert store.get_block_by_hash(block.hash) == block
        assert len(block.transactions) == (TXS_PER_BLOCK if number else 0)
        assert len(store.get_receipts(block.hash)) == len(block.transactions)
        for index, tx in enumerate(block.transactions):
            location = store.get_transaction_location(bytes(tx.hash))
            assert location is not None and (location.block_number, location.index) == (
                number, index
            )
            assert not store.journal_contains(bytes(tx.hash)), "included tx still journaled"
        if number:
            assert not store.journal_contains(dropped_transaction(number)[0])
        assert store.get_certificate(number) == certificate_for(number)
        writes = state_writes_for(number, STATE_WRITES_PER_BLOCK if number else 8)
        assert all(reader.get(key) == value for key, value in writes.items())
        parent_hash = block.hash
    # Nothing of the block that was being committed is visible.
    following = head + 1
    assert store.get_block_hash(following) is None
    assert store.get_certificate(following) is None
    leaked = [k for k in state_writes_for(following, STATE_WRITES_PER_BLOCK) if reader.get(k)]
    assert leaked == [], f"{len(leaked)} state writes of uncommitted block {following} visible"
    # The journal may only hold the next block's transactions and its dropped one.
    assert len(store.journal_entries()) <= TXS_PER_BLOCK + 1
    return head


@pytest.mark.slow
def test_sigkill_at_random_instants_never_breaks_the_store(tmp_path: Path) -> None:
    path = tmp_path / "chain"
    rng = random.Random(SEED)
    heads: list[int] = []
    for _ in range(KILLS):
        run_writer_until_killed(path, delay=rng.uniform(0.0, 0.4))
        with ChainStore(path, map_size=512 * 2**20) as store:
            heads.append(check_consistent(store))
    assert heads == sorted(heads), f"a committed block was lost: heads {heads}"
    assert heads[-1] >= KILLS, f"writer made too little progress to test anything: {heads}"
