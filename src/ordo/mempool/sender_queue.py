"""One sender's pooled transactions, split by whether they can execute now.

Pending transactions are the contiguous run of nonces starting at the account's nonce; anything
after the first missing nonce is queued (future) until the gap is filled. Both are derived from
one nonce-keyed map, so a transaction can never be pending and queued at the same time.
"""

from __future__ import annotations

from ordo.mempool.fees import PooledTransaction


class SenderQueue:
    def __init__(self, address: bytes, state_nonce: int) -> None:
        self.address = address
        self.state_nonce = state_nonce
        """The account nonce as of the last block the pool was told about."""
        self.by_nonce: dict[int, PooledTransaction] = {}
        self.pending_end = state_nonce
        """First nonce at or above ``state_nonce`` that the pool does not hold."""

    def __len__(self) -> int:
        return len(self.by_nonce)

    @property
    def pending_count(self) -> int:
        return self.pending_end - self.state_nonce

    def is_pending(self, nonce: int) -> bool:
        return self.state_nonce <= nonce < self.pending_end

    def would_be_pending(self, nonce: int) -> bool:
        """Whether a new transaction at this nonce would be executable once inserted."""
        return self.state_nonce <= nonce <= self.pending_end

    def tail(self) -> PooledTransaction | None:
        """The highest nonce: the only transaction removable without opening a gap."""
        if not self.by_nonce:
            return None
        return self.by_nonce[max(self.by_nonce)]

    def pending(self) -> list[PooledTransaction]:
        return [self.by_nonce[nonce] for nonce in range(self.state_nonce, self.pending_end)]

    def ordered(self) -> list[PooledTransaction]:
        return [self.by_nonce[nonce] for nonce in sorted(self.by_nonce)]

    def next_free_nonce(self, state_nonce: int) -> int:
        nonce = state_nonce
        while nonce in self.by_nonce:
            nonce += 1
        return nonce

    def refresh(self) -> None:
        """Recompute the pending run after any insert, removal or nonce change."""
        self.pending_end = self.next_free_nonce(self.state_nonce)
