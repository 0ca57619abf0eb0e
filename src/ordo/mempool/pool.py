"""The transaction pool: a deterministic state machine over admissions, blocks and drops.

No clock, no I/O and no threads: the node shell feeds it decoded transactions and finalized
blocks, journals what it admits, and reports what it drops. Every transaction that leaves the pool
other than by inclusion is returned as ``(hash, reason)`` so the node can tell the user, and every
event is counted in ``counters`` under a stable label for metrics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ordo.core.l1_fee import NO_PRICES, L1Prices, l1_fee
from ordo.core.transaction import DecodedTransaction
from ordo.mempool.account_reader import AccountReader
from ordo.mempool.admission import (
    AdmissionRejected,
    check_account,
    check_replacement,
    check_transaction,
    insufficient_funds_message,
)
from ordo.mempool.config import ChainRules, MempoolConfig
from ordo.mempool.eviction import EvictionHeap, EvictionRank
from ordo.mempool.fees import PooledTransaction
from ordo.mempool.selection import BlockSelection
from ordo.mempool.sender_queue import SenderQueue

Removal = tuple[bytes, str]
"""(transaction hash, human-readable reason) of a transaction that left the pool unincluded."""


@dataclass(frozen=True)
class Admitted:
    """Result of a successful ``add``."""

    hash: bytes
    executable: bool
    """Whether the transaction is pending (contiguous from the account nonce) right now."""
    removed: tuple[Removal, ...]
    """Transactions this admission replaced or evicted, to be reported as dropped."""


class Mempool:
    def __init__(self, rules: ChainRules, config: MempoolConfig | None = None) -> None:
        self.rules = rules
        self.config = config or MempoolConfig()
        self._by_hash: dict[bytes, PooledTransaction] = {}
        self._senders: dict[bytes, SenderQueue] = {}
        self._sequence = 0
        self._pending_total = 0
        self._eviction = EvictionHeap()
        self._reference_base_fee = rules.base_fee_floor
        """The base fee tips are ranked at for eviction: the latest one the node reported."""
        self._counters: Counter[str] = Counter()
        self._l1_prices = NO_PRICES
        """The L1 prices of the head block: admission charges the L1 data fee at them."""

    # --- admission -----------------------------------------------------------------------------

    def add(self, decoded: DecodedTransaction, accounts: AccountReader) -> Admitted:
        """Admit a transaction or raise AdmissionRejected (a RejectedTransaction)."""
        try:
            admitted = self._add(decoded, accounts)
        except AdmissionRejected as rejection:
            self._counters[f"rejected_{rejection.kind}"] += 1
            raise
        self._counters["admitted"] += 1
        return admitted

    def _add(self, decoded: DecodedTransaction, accounts: AccountReader) -> Admitted:
        if decoded.hash in self._by_hash:
            raise AdmissionRejected("already_known", "already known")
        check_transaction(decoded, self.rules, self.config)
        candidate = PooledTransaction.wrap(decoded, self._sequence, self._l1_fee(decoded.raw))
        sender = decoded.sender
        state_nonce = accounts.nonce(sender)
        check_account(candidate, state_nonce, accounts.balance(sender), self.config)

        queue = self._senders.get(sender)
        existing = queue.by_nonce.get(candidate.nonce) if queue is not None else None
        removed: list[Removal] = []
        if existing is not None:
            check_replacement(existing, candidate, self.config.price_bump_percent)
            self._remove(existing)
            self._counters["replaced"] += 1
            removed.append((existing.hash, f"replaced by transaction 0x{decoded.hash.hex()}"))
        else:
            removed.extend(self._make_room(candidate, queue, state_nonce))

        self._sequence += 1
        queue = self._senders.get(sender)
        if queue is None:
            queue = self._senders[sender] = SenderQueue(sender, state_nonce)
        self._insert(queue, candidate)
        return Admitted(decoded.hash, queue.is_pending(candidate.nonce), tuple(removed))

    def _make_room(self, candidate: PooledTransaction, queue: SenderQueue | None,
                   state_nonce: int) -> list[Removal]:
        """Evict one transaction if a cap is reached and the candidate deserves the slot."""
        if queue is not None and len(queue) >= self.config.max_per_sender:
            tail = queue.tail()
            assert tail is not None
            # A lower nonce is closer to executable; dropping the tail opens no gap.
            if candidate.nonce > tail.nonce:
                raise AdmissionRejected(
                    "account_limit", f"account limit exceeded: pooled {len(queue)} txs"
                )
            self._remove(tail)
            self._counters["evicted"] += 1
            return [(tail.hash, "evicted: sender's pool slots taken by a lower nonce")]
        if len(self._by_hash) < self.config.max_transactions:
            return []

        def eligible(tx_hash: bytes) -> bool:
            # Evicting a same-sender transaction below the candidate would strand the candidate.
            victim = self._by_hash[tx_hash]
            return victim.sender != candidate.sender or victim.nonce > candidate.nonce

        cheapest = self._eviction.cheapest(self._current_rank, eligible)
        if queue is not None:
            pending = queue.would_be_pending(candidate.nonce)
        else:
            pending = candidate.nonce == state_nonce
        candidate_rank = (int(pending), candidate.effective_tip(self._reference_base_fee))
        if cheapest is None or candidate_rank <= cheapest[0][:2]:
            raise AdmissionRejected("txpool_full", "txpool is full")
        victim = self._by_hash[cheapest[1]]
        self._remove(victim)
        self._counters["evicted"] += 1
        return [(victim.hash, "evicted: txpool is full and a better-paying transaction arrived")]

    # --- blocks and drops ----------------------------------------------------------------------

    def set_l1_prices(self, prices: L1Prices) -> None:
        """The head's L1 prices (docs/state_transition.md 6.4), for the L1 data fee admission
        wants covered; ignored on a chain without the fee. Pooled transactions are re-priced
        at them, so the next ``on_block`` drops a sender who can no longer pay the fee and a
        cheaper L1 is not held against anyone."""
        if prices == self._l1_prices:
            return
        self._l1_prices = prices
        if self.rules.l1_fee is None:
            return
        for queue in self._senders.values():
            for nonce, entry in queue.by_nonce.items():
                repriced = entry.repriced(self._l1_fee(entry.decoded.raw))
                queue.by_nonce[nonce] = self._by_hash[entry.hash] = repriced

    def _l1_fee(self, raw: bytes) -> int:
        rules = self.rules.l1_fee
        return 0 if rules is None else l1_fee(raw, self._l1_prices, rules)

    def on_block(self, included_hashes: Iterable[bytes], accounts: AccountReader, *,
                 block_number: int | None = None, base_fee: int | None = None
                 ) -> list[Removal]:
        """Apply a finalized block: forget included transactions, then re-read every pooled
        sender's nonce and balance and drop what can no longer execute (at the L1 prices last
        given to ``set_l1_prices``: call it first with the block's).

        Nonces move without this pool seeing the transaction (another node's pool served it) and
        balances can fall without a nonce change (EIP-7702 delegated code), so every sender is
        re-read, not only those in the block.
        """
        for tx_hash in included_hashes:
            entry = self._by_hash.get(tx_hash)
            if entry is not None:
                self._remove(entry)
                self._counters["included"] += 1
        where = f"block {block_number}" if block_number is not None else "a block"
        dropped: list[Removal] = []
        for sender in sorted(self._senders):
            queue = self._senders[sender]
            state_nonce, balance = accounts.nonce(sender), accounts.balance(sender)
            for entry in queue.ordered():
                if entry.nonce < state_nonce:
                    reason = (f"nonce too low (replaced by a transaction in {where}): "
                              f"tx: {entry.nonce} state: {state_nonce}")
                    dropped.append((entry.hash, reason))
                    self._counters["dropped_stale_nonce"] += 1
                elif entry.cost > balance:
                    dropped.append((entry.hash, insufficient_funds_message(
                        sender, balance, entry.cost, entry.l1_fee)))
                    self._counters["dropped_insufficient_funds"] += 1
                else:
                    continue
                self._remove(entry, refresh=False)
            self._set_state_nonce(sender, state_nonce)
        if base_fee is not None and base_fee != self._reference_base_fee:
            self._reference_base_fee = base_fee
            self._rebuild_eviction()
        elif len(self._eviction) > 4 * len(self._senders) + 64:
            self._rebuild_eviction()
        return dropped

    def drop_skipped(self, tx_hash: bytes, reason: str) -> list[Removal]:
        """Drop a transaction the block builder found permanently invalid. The sender's later
        nonces stay, queued, so a replacement for the dropped nonce can still unblock them."""
        entry = self._by_hash.get(tx_hash)
        if entry is None:
            return []
        self._remove(entry)
        self._counters["dropped_skipped"] += 1
        return [(tx_hash, reason)]

    # --- selection and queries -----------------------------------------------------------------

    def select(self, base_fee: int) -> BlockSelection:
        """Executable transactions, best effective tip first, each sender in nonce order."""
        runs = [queue.pending() for _, queue in sorted(self._senders.items())]
        return BlockSelection([run for run in runs if run], base_fee)

    def get(self, tx_hash: bytes) -> DecodedTransaction | None:
        entry = self._by_hash.get(tx_hash)
        return entry.decoded if entry is not None else None

    def __contains__(self, tx_hash: object) -> bool:
        return tx_hash in self._by_hash

    def __len__(self) -> int:
        return len(self._by_hash)

    def pending_nonce(self, address: bytes, state_nonce: int) -> int:
        """The nonce a wallet should use next: after the contiguous run of pooled transactions."""
        queue = self._senders.get(address)
        return queue.next_free_nonce(state_nonce) if queue is not None else state_nonce

    def pending_count(self) -> int:
        return self._pending_total

    def queued_count(self) -> int:
        return len(self._by_hash) - self._pending_total

    def all_hashes(self) -> list[bytes]:
        """In arrival order, so a journal rewritten from it replays in the same order."""
        return [entry.hash for entry in sorted(self._by_hash.values(), key=_by_sequence)]

    def sender_transactions(self, address: bytes) -> tuple[list[DecodedTransaction],
                                                          list[DecodedTransaction]]:
        """(pending, queued) transactions of one sender, each in nonce order."""
        queue = self._senders.get(address)
        if queue is None:
            return [], []
        pending: list[DecodedTransaction] = []
        queued: list[DecodedTransaction] = []
        for entry in queue.ordered():
            (pending if queue.is_pending(entry.nonce) else queued).append(entry.decoded)
        return pending, queued

    def senders(self) -> list[bytes]:
        return sorted(self._senders)

    @property
    def counters(self) -> dict[str, int]:
        """Event counts by stable label (admitted, replaced, evicted, included, dropped_*,
        rejected_<kind>) for metrics."""
        return dict(self._counters)

    # --- internals -----------------------------------------------------------------------------

    def _insert(self, queue: SenderQueue, entry: PooledTransaction) -> None:
        before = queue.pending_count
        queue.by_nonce[entry.nonce] = entry
        self._by_hash[entry.hash] = entry
        queue.refresh()
        self._pending_total += queue.pending_count - before
        self._push_tail(queue)

    def _remove(self, entry: PooledTransaction, refresh: bool = True) -> None:
        queue = self._senders[entry.sender]
        before = queue.pending_count
        del queue.by_nonce[entry.nonce]
        del self._by_hash[entry.hash]
        if entry.nonce < queue.pending_end:
            queue.pending_end = max(entry.nonce, queue.state_nonce)
        self._pending_total += queue.pending_count - before
        if not refresh:
            return
        if not queue.by_nonce:
            del self._senders[entry.sender]
        else:
            self._push_tail(queue)

    def _set_state_nonce(self, sender: bytes, state_nonce: int) -> None:
        queue = self._senders[sender]
        if not queue.by_nonce:
            del self._senders[sender]
            return
        before = queue.pending_count
        queue.state_nonce = state_nonce
        queue.refresh()
        self._pending_total += queue.pending_count - before
        self._push_tail(queue)

    def _rank(self, queue: SenderQueue, entry: PooledTransaction) -> EvictionRank:
        return (int(queue.is_pending(entry.nonce)),
                entry.effective_tip(self._reference_base_fee), -entry.sequence)

    def _current_rank(self, tx_hash: bytes) -> EvictionRank | None:
        entry = self._by_hash.get(tx_hash)
        if entry is None:
            return None
        queue = self._senders[entry.sender]
        if queue.tail() is not entry:
            return None
        return self._rank(queue, entry)

    def _push_tail(self, queue: SenderQueue) -> None:
        tail = queue.tail()
        if tail is not None:
            self._eviction.push(self._rank(queue, tail), tail.hash)

    def _rebuild_eviction(self) -> None:
        entries = []
        for queue in self._senders.values():
            tail = queue.tail()
            if tail is not None:
                entries.append((self._rank(queue, tail), tail.hash))
        self._eviction.rebuild(entries)


def _by_sequence(entry: PooledTransaction) -> int:
    return entry.sequence
