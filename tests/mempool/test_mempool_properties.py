"""Random operation sequences never break the pool's invariants.

A reference model tracks what should be live (admitted and not yet removed) and the arrival
order; after every step the pool is compared against it and against a naive greedy selection.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ordo.core.transaction import DecodedTransaction
from ordo.mempool import AdmissionRejected, Mempool, MempoolConfig
from tests.mempool.mempool_transactions import GWEI, RULES, Accounts, address, dynamic

SENDERS = 4
MAX_NONCE = 12
TIPS = [GWEI // 10, GWEI, 4 * GWEI, 16 * GWEI]
BASE_FEES = [RULES.base_fee_floor, GWEI // 2, 2 * GWEI, 20 * GWEI]
CONFIG = MempoolConfig(max_transactions=8, max_per_sender=4, max_nonce_gap=6)
RICH = 10**24


def transaction(sender: int, nonce: int, level: int) -> DecodedTransaction:
    return dynamic(sender, nonce, tip=TIPS[level], fee_cap=2 * TIPS[level] + GWEI // 10,
                   value=level)


def tip(tx: DecodedTransaction, base_fee: int) -> int:
    return min(int(tx.tx.max_priority_fee_per_gas), int(tx.tx.max_fee_per_gas) - base_fee)


class MempoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.pool = Mempool(RULES, CONFIG)
        self.accounts = Accounts(default_balance=RICH)
        self.live: dict[bytes, int] = {}  # hash -> arrival number
        self.ever_removed: set[bytes] = set()
        self.arrivals = 0
        self.block_number = 0

    def _forget(self, removed: list[tuple[bytes, str]] | tuple[tuple[bytes, str], ...]) -> None:
        for tx_hash, reason in removed:
            assert reason
            assert tx_hash in self.live, "removed a transaction that was not live"
            del self.live[tx_hash]
            self.ever_removed.add(tx_hash)

    @rule(sender=st.integers(0, SENDERS - 1), offset=st.integers(0, 7),
          level=st.integers(0, len(TIPS) - 1))
    def add(self, sender: int, offset: int, level: int) -> None:
        nonce = min(self.accounts.nonce(address(sender)) + offset, MAX_NONCE)
        tx = transaction(sender, nonce, level)
        was_live = tx.hash in self.live
        try:
            admitted = self.pool.add(tx, self.accounts)
        except AdmissionRejected as rejection:
            assert rejection.message
            assert (tx.hash in self.pool) == was_live
            return
        self._forget(admitted.removed)
        self.live[tx.hash] = self.arrivals
        self.ever_removed.discard(tx.hash)
        self.arrivals += 1

    @rule(take=st.integers(0, 10), base_fee=st.sampled_from(BASE_FEES),
          foreign=st.lists(st.integers(0, SENDERS - 1), max_size=2),
          poor=st.lists(st.integers(0, SENDERS - 1), max_size=2))
    def block(self, take: int, base_fee: int, foreign: list[int], poor: list[int]) -> None:
        """Include a prefix of the selection; other nodes' transactions may move some nonces;
        some senders may have spent most of their balance."""
        included: list[bytes] = []
        for tx in self.pool.select(base_fee):
            if len(included) == take:
                break
            assert self.accounts.nonce(tx.sender) == tx.nonce
            self.accounts.nonces[tx.sender] = tx.nonce + 1
            included.append(tx.hash)
        for sender in foreign:
            self.accounts.nonces[address(sender)] = self.accounts.nonce(address(sender)) + 1
        for sender in poor:
            self.accounts.balances[address(sender)] = 21_000 * 3 * GWEI
        self.block_number += 1
        for tx_hash in included:
            del self.live[tx_hash]
        dropped = self.pool.on_block(included, self.accounts, block_number=self.block_number,
                                     base_fee=base_fee)
        self._forget(dropped)
        for tx_hash in self.live:
            entry = self.pool.get(tx_hash)
            assert entry is not None
            assert entry.nonce >= self.accounts.nonce(entry.sender)
            assert int(entry.tx.gas) * int(entry.tx.max_fee_per_gas) + int(entry.tx.value) <= \
                self.accounts.balance(entry.sender)
        for sender in poor:
            self.accounts.balances[address(sender)] = RICH

    @rule(pick=st.integers(0, 100))
    def skip(self, pick: int) -> None:
        hashes = self.pool.all_hashes()
        if hashes:
            target = hashes[pick % len(hashes)]
            self._forget(self.pool.drop_skipped(target, "skipped by builder"))

    @invariant()
    def matches_model(self) -> None:
        assert set(self.pool.all_hashes()) == set(self.live)
        assert not self.ever_removed & set(self.live)
        assert len(self.pool) == len(self.live) <= CONFIG.max_transactions
        assert self.pool.all_hashes() == sorted(self.live, key=self.live.__getitem__)

    @invariant()
    def queues_are_consistent(self) -> None:
        pending_total = 0
        for sender in self.pool.senders():
            pending, queued = self.pool.sender_transactions(sender)
            state = self.accounts.nonce(sender)
            assert 0 < len(pending) + len(queued) <= CONFIG.max_per_sender
            assert [tx.nonce for tx in pending] == list(range(state, state + len(pending)))
            queued_nonces = [tx.nonce for tx in queued]
            assert queued_nonces == sorted(set(queued_nonces))
            assert all(nonce > state + len(pending) for nonce in queued_nonces)
            assert self.pool.pending_nonce(sender, state) == state + len(pending)
            pending_total += len(pending)
        assert self.pool.pending_count() == pending_total
        assert self.pool.queued_count() == len(self.pool) - pending_total

    @invariant()
    def selection_is_greedy_in_nonce_order(self) -> None:
        for base_fee in BASE_FEES:
            selected = list(self.pool.select(base_fee))
            assert selected == self._reference_selection(base_fee)
            assert len({tx.hash for tx in selected}) == len(selected)

    def _reference_selection(self, base_fee: int) -> list[DecodedTransaction]:
        runs = [self.pool.sender_transactions(sender)[0] for sender in self.pool.senders()]
        result: list[DecodedTransaction] = []
        while True:
            heads = [run[0] for run in runs if run and int(run[0].tx.max_fee_per_gas) >= base_fee]
            if not heads:
                return result
            best = max(heads, key=lambda tx: (tip(tx, base_fee), -self.live[tx.hash]))
            result.append(best)
            for run in runs:
                if run and run[0] is best:
                    run.pop(0)


MempoolMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMempoolProperties = MempoolMachine.TestCase
