"""Pending and queued nonces, promotion, blocks, and drops."""

from __future__ import annotations

from ordo.mempool import Mempool
from tests.mempool.mempool_transactions import GWEI, Accounts, address, checksum, dynamic


def nonces(pool: Mempool, index: int) -> tuple[list[int], list[int]]:
    pending, queued = pool.sender_transactions(address(index))
    return [tx.nonce for tx in pending], [tx.nonce for tx in queued]


def test_gap_keeps_transactions_queued_until_filled(pool: Mempool, accounts: Accounts) -> None:
    assert not pool.add(dynamic(0, 2), accounts).executable
    assert not pool.add(dynamic(0, 1), accounts).executable
    assert (pool.pending_count(), pool.queued_count()) == (0, 2)
    assert pool.pending_nonce(address(0), 0) == 0
    assert pool.add(dynamic(0, 0), accounts).executable
    assert nonces(pool, 0) == ([0, 1, 2], [])
    assert (pool.pending_count(), pool.queued_count()) == (3, 0)
    assert pool.pending_nonce(address(0), 0) == 3
    assert pool.pending_nonce(address(1), 7) == 7


def test_on_block_removes_included_and_promotes(pool: Mempool, accounts: Accounts) -> None:
    txs = [dynamic(0, nonce) for nonce in (0, 1, 3)]
    for tx in txs:
        pool.add(tx, accounts)
    accounts.nonces[address(0)] = 2
    dropped = pool.on_block([txs[0].hash, txs[1].hash], accounts, block_number=7)
    assert dropped == []
    assert nonces(pool, 0) == ([], [3])
    assert pool.counters["included"] == 2
    pool.add(dynamic(0, 2), accounts)
    assert nonces(pool, 0) == ([2, 3], [])


def test_on_block_drops_nonces_used_by_other_transactions(
        pool: Mempool, accounts: Accounts) -> None:
    ours = [dynamic(0, nonce) for nonce in range(3)]
    for tx in ours:
        pool.add(tx, accounts)
    accounts.nonces[address(0)] = 2  # nonces 0 and 1 were used by transactions we never saw
    dropped = pool.on_block([], accounts, block_number=12)
    assert dropped == [
        (ours[0].hash, "nonce too low (replaced by a transaction in block 12): tx: 0 state: 2"),
        (ours[1].hash, "nonce too low (replaced by a transaction in block 12): tx: 1 state: 2"),
    ]
    assert nonces(pool, 0) == ([2], [])
    assert pool.counters["dropped_stale_nonce"] == 2


def test_on_block_drops_unaffordable_and_demotes_later_nonces(
        pool: Mempool, accounts: Accounts) -> None:
    small = dynamic(0, 0, fee_cap=GWEI, value=1)
    large = dynamic(0, 1, fee_cap=GWEI, value=10**18)
    after = dynamic(0, 2, fee_cap=GWEI, value=1)
    for tx in (small, large, after):
        pool.add(tx, accounts)
    balance = 10**17
    accounts.balances[address(0)] = balance
    dropped = pool.on_block([], accounts)
    want = 21_000 * GWEI + 10**18
    assert dropped == [(large.hash, f"insufficient funds for gas * price + value: address "
                                    f"{checksum(0)} have {balance} want {want}")]
    assert nonces(pool, 0) == ([0], [2])
    assert (pool.pending_count(), pool.queued_count()) == (1, 1)


def test_drop_skipped_reports_and_demotes(pool: Mempool, accounts: Accounts) -> None:
    txs = [dynamic(0, nonce) for nonce in range(3)]
    for tx in txs:
        pool.add(tx, accounts)
    assert pool.drop_skipped(txs[1].hash, "invalid opcode") == [(txs[1].hash, "invalid opcode")]
    assert pool.drop_skipped(txs[1].hash, "again") == []
    assert nonces(pool, 0) == ([0], [2])
    assert pool.counters["dropped_skipped"] == 1
    assert pool.all_hashes() == [txs[0].hash, txs[2].hash]


def test_emptied_sender_disappears(pool: Mempool, accounts: Accounts) -> None:
    tx = dynamic(0, 0)
    pool.add(tx, accounts)
    accounts.nonces[address(0)] = 1
    pool.on_block([tx.hash], accounts)
    assert len(pool) == 0 and pool.senders() == [] and pool.all_hashes() == []
    assert pool.pending_count() == 0 and pool.queued_count() == 0
