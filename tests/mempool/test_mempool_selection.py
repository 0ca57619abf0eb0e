"""Block selection: best tip first, each sender in nonce order, deterministic ties."""

from __future__ import annotations

from ordo.mempool import Mempool
from tests.mempool.mempool_transactions import GWEI, Accounts, address, dynamic, legacy


def test_fee_priority_across_senders_respects_nonce_order(
        pool: Mempool, accounts: Accounts) -> None:
    a0 = dynamic(0, 0, fee_cap=10 * GWEI, tip=1 * GWEI)
    a1 = dynamic(0, 1, fee_cap=10 * GWEI, tip=9 * GWEI)
    b0 = dynamic(1, 0, fee_cap=10 * GWEI, tip=5 * GWEI)
    b1 = dynamic(1, 1, fee_cap=10 * GWEI, tip=2 * GWEI)
    c0 = legacy(2, 0, gas_price=4 * GWEI)
    for tx in (a1, b1, a0, c0, b0):  # arrival order must not matter
        pool.add(tx, accounts)
    # Base fee 1 gwei: tips a0=1, a1=9, b0=5, b1=2, c0=3 (legacy: price - base fee).
    assert list(pool.select(base_fee=GWEI)) == [b0, c0, b1, a0, a1]


def test_tip_is_capped_by_fee_cap_minus_base_fee(pool: Mempool, accounts: Accounts) -> None:
    capped = dynamic(0, 0, fee_cap=3 * GWEI, tip=3 * GWEI)  # pays 1 gwei at base fee 2
    modest = dynamic(1, 0, fee_cap=10 * GWEI, tip=2 * GWEI)
    pool.add(capped, accounts)
    pool.add(modest, accounts)
    assert list(pool.select(base_fee=2 * GWEI)) == [modest, capped]
    assert list(pool.select(base_fee=0)) == [capped, modest]


def test_equal_tips_go_in_arrival_order(pool: Mempool, accounts: Accounts) -> None:
    txs = [dynamic(index, 0) for index in (5, 3, 9, 1)]
    for tx in txs:
        pool.add(tx, accounts)
    assert list(pool.select(base_fee=GWEI)) == txs


def test_fee_cap_below_base_fee_blocks_the_sender(pool: Mempool, accounts: Accounts) -> None:
    cheap = dynamic(0, 0, fee_cap=GWEI, tip=GWEI)
    rich_after = dynamic(0, 1, fee_cap=50 * GWEI, tip=50 * GWEI)
    other = dynamic(1, 0, fee_cap=3 * GWEI, tip=GWEI)
    for tx in (cheap, rich_after, other):
        pool.add(tx, accounts)
    assert list(pool.select(base_fee=2 * GWEI)) == [other]


def test_queued_transactions_are_not_selected(pool: Mempool, accounts: Accounts) -> None:
    pool.add(dynamic(0, 0), accounts)
    pool.add(dynamic(0, 2), accounts)
    assert [tx.nonce for tx in pool.select(base_fee=GWEI)] == [0]


def test_skip_sender_stops_its_later_nonces(pool: Mempool, accounts: Accounts) -> None:
    a = [dynamic(0, nonce, tip=3 * GWEI, fee_cap=9 * GWEI) for nonce in range(3)]
    b = [dynamic(1, nonce, tip=GWEI, fee_cap=9 * GWEI) for nonce in range(2)]
    for tx in a + b:
        pool.add(tx, accounts)
    selection = pool.select(base_fee=GWEI)
    assert next(selection) == a[0]
    selection.skip_sender(address(0))
    assert list(selection) == b


def test_selection_is_a_snapshot(pool: Mempool, accounts: Accounts) -> None:
    first = dynamic(0, 0)
    pool.add(first, accounts)
    selection = pool.select(base_fee=GWEI)
    pool.add(dynamic(0, 1), accounts)
    pool.drop_skipped(first.hash, "invalid")
    assert list(selection) == [first]
