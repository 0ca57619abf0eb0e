"""Global and per-sender caps: evict the cheapest tail when a better transaction arrives."""

from __future__ import annotations

import pytest

from ordo.mempool import AdmissionRejected, Mempool, MempoolConfig
from tests.mempool.mempool_transactions import GWEI, RULES, Accounts, address, dynamic


def small_pool(**limits: int) -> Mempool:
    return Mempool(RULES, MempoolConfig(**limits))


def assert_no_gaps(pool: Mempool, accounts: Accounts) -> None:
    """Every sender in these scenarios starts contiguous, so eviction must leave nothing queued."""
    assert pool.queued_count() == 0
    for sender in pool.senders():
        pending, queued = pool.sender_transactions(sender)
        state = accounts.nonce(sender)
        assert queued == []
        assert [tx.nonce for tx in pending] == list(range(state, state + len(pending)))


def test_full_pool_evicts_cheapest_tail_for_better_transaction(accounts: Accounts) -> None:
    pool = small_pool(max_transactions=4)
    cheap_head = dynamic(0, 0, tip=1 * GWEI, fee_cap=20 * GWEI)
    cheap_tail = dynamic(0, 1, tip=5 * GWEI, fee_cap=20 * GWEI)
    mid = [dynamic(1, 0, tip=3 * GWEI, fee_cap=20 * GWEI),
           dynamic(1, 1, tip=4 * GWEI, fee_cap=20 * GWEI)]
    for tx in (cheap_head, cheap_tail, *mid):
        pool.add(tx, accounts)
    # The cheapest transaction overall (sender 0, nonce 0) is not a tail; the cheapest tail is
    # sender 1's nonce 1 (4 gwei), so that one goes.
    better = dynamic(2, 0, tip=6 * GWEI, fee_cap=20 * GWEI)
    admitted = pool.add(better, accounts)
    assert admitted.removed == (
        (mid[1].hash, "evicted: txpool is full and a better-paying transaction arrived"),)
    assert len(pool) == 4 and mid[1].hash not in pool and better.hash in pool
    assert pool.counters["evicted"] == 1
    assert_no_gaps(pool, accounts)


def test_full_pool_rejects_transaction_not_better_than_cheapest(accounts: Accounts) -> None:
    pool = small_pool(max_transactions=2)
    pool.add(dynamic(0, 0, tip=3 * GWEI, fee_cap=20 * GWEI), accounts)
    pool.add(dynamic(1, 0, tip=3 * GWEI, fee_cap=20 * GWEI), accounts)
    with pytest.raises(AdmissionRejected) as caught:
        pool.add(dynamic(2, 0, tip=3 * GWEI, fee_cap=20 * GWEI), accounts)
    assert caught.value.message == "txpool is full"
    assert len(pool) == 2


def test_queued_transactions_are_evicted_before_pending_ones(accounts: Accounts) -> None:
    pool = small_pool(max_transactions=2)
    pending = dynamic(0, 0, tip=GWEI, fee_cap=20 * GWEI)
    queued = dynamic(1, 5, tip=9 * GWEI, fee_cap=20 * GWEI)
    pool.add(pending, accounts)
    pool.add(queued, accounts)
    newcomer = dynamic(2, 0, tip=GWEI // 2, fee_cap=20 * GWEI)
    assert pool.add(newcomer, accounts).removed[0][0] == queued.hash
    # A queued newcomer may only displace a cheaper queued transaction, never a pending one.
    with pytest.raises(AdmissionRejected, match="txpool is full"):
        pool.add(dynamic(3, 4, tip=19 * GWEI, fee_cap=20 * GWEI), accounts)


def test_eviction_never_strands_the_newcomer(accounts: Accounts) -> None:
    pool = small_pool(max_transactions=2)
    own = dynamic(0, 0, tip=GWEI, fee_cap=20 * GWEI)
    other = dynamic(1, 0, tip=2 * GWEI, fee_cap=20 * GWEI)
    pool.add(own, accounts)
    pool.add(other, accounts)
    # Evicting the sender's own nonce 0 would leave nonce 1 stranded: the other tail goes.
    admitted = pool.add(dynamic(0, 1, tip=5 * GWEI, fee_cap=20 * GWEI), accounts)
    assert admitted.removed[0][0] == other.hash
    assert_no_gaps(pool, accounts)


def test_eviction_ranks_follow_the_reported_base_fee(accounts: Accounts) -> None:
    pool = small_pool(max_transactions=2)
    capped = dynamic(0, 0, tip=5 * GWEI, fee_cap=6 * GWEI)  # tip 5 at floor, 1 at base fee 5
    steady = dynamic(1, 0, tip=3 * GWEI, fee_cap=20 * GWEI)
    pool.add(capped, accounts)
    pool.add(steady, accounts)
    pool.on_block([], accounts, base_fee=5 * GWEI)
    admitted = pool.add(dynamic(2, 0, tip=2 * GWEI, fee_cap=20 * GWEI), accounts)
    assert admitted.removed[0][0] == capped.hash


def test_per_sender_cap(accounts: Accounts) -> None:
    pool = small_pool(max_per_sender=3)
    for nonce in (0, 1, 3):
        pool.add(dynamic(0, nonce), accounts)
    with pytest.raises(AdmissionRejected) as caught:
        pool.add(dynamic(0, 4), accounts)
    assert caught.value.message == "account limit exceeded: pooled 3 txs"
    assert caught.value.kind == "account_limit"
    # Filling the gap at nonce 2 evicts the highest nonce instead: no gap is ever created.
    tail = dynamic(0, 3)
    admitted = pool.add(dynamic(0, 2), accounts)
    assert admitted.removed == ((tail.hash, "evicted: sender's pool slots taken by a lower nonce"),)
    assert [tx.nonce for tx in pool.sender_transactions(address(0))[0]] == [0, 1, 2]
    # Replacements never count against the cap.
    pool.add(dynamic(0, 2, tip=2 * GWEI, fee_cap=4 * GWEI), accounts)
    assert len(pool) == 3


def test_stale_eviction_entries_are_compacted(accounts: Accounts) -> None:
    pool = small_pool(max_transactions=50)
    for round_number in range(30):
        for index in range(5):
            pool.add(dynamic(index, round_number), accounts)
            accounts.nonces[address(index)] = round_number + 1
        pool.on_block(pool.all_hashes(), accounts)
    assert len(pool) == 0
    assert len(pool._eviction) <= 64
