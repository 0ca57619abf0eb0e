"""Throughput sanity check: a full default-size pool. Prints timings; asserts only behaviour."""

from __future__ import annotations

import time

from ordo.mempool import Mempool
from tests.mempool.mempool_transactions import GWEI, RULES, Accounts, address, dynamic

SENDERS = 1_000
PER_SENDER = 10


def test_ten_thousand_transactions_from_a_thousand_senders() -> None:
    started = time.perf_counter()
    txs = [dynamic(sender, nonce, tip=(1 + (sender * 7 + nonce) % 13) * GWEI // 10,
                   fee_cap=3 * GWEI)
           for sender in range(SENDERS) for nonce in range(PER_SENDER)]
    signed = time.perf_counter()
    pool, accounts = Mempool(RULES), Accounts()

    for tx in reversed(txs):  # worst order: every sender's queue fills from the top
        pool.add(tx, accounts)
    added = time.perf_counter()
    assert len(pool) == pool.pending_count() == SENDERS * PER_SENDER

    selected = list(pool.select(base_fee=GWEI))
    chosen = time.perf_counter()
    assert len(selected) == len(txs)
    next_nonce: dict[bytes, int] = {}
    for tx in selected:
        assert tx.nonce == next_nonce.get(tx.sender, 0)
        next_nonce[tx.sender] = tx.nonce + 1

    for sender in range(SENDERS):
        accounts.nonces[address(sender)] = PER_SENDER
    dropped = pool.on_block([tx.hash for tx in selected], accounts, block_number=1)
    finished = time.perf_counter()
    assert dropped == [] and len(pool) == 0

    print(f"\nmempool: sign+decode {len(txs)} txs {signed - started:.2f}s; "
          f"add {added - signed:.3f}s ({len(txs) / (added - signed):,.0f}/s); "
          f"select {chosen - added:.3f}s; on_block {finished - chosen:.3f}s")
