"""Finding the cheapest transaction to evict when the pool is full.

Only a sender's highest-nonce transaction is a candidate, so eviction never opens a nonce gap.
Candidates are ranked queued-before-pending, then by effective tip at the pool's reference base
fee, then newest first. The heap is lazy: the pool pushes a fresh key whenever a sender's tail may
have changed, and stale keys are discarded when they surface, which keeps every change O(log n).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

EvictionRank = tuple[int, int, int]
"""(1 if pending else 0, effective tip, -arrival sequence): lowest is evicted first."""


class EvictionHeap:
    def __init__(self) -> None:
        self._heap: list[tuple[EvictionRank, bytes]] = []

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, rank: EvictionRank, tx_hash: bytes) -> None:
        heapq.heappush(self._heap, (rank, tx_hash))

    def rebuild(self, entries: list[tuple[EvictionRank, bytes]]) -> None:
        self._heap = list(entries)
        heapq.heapify(self._heap)

    def cheapest(
        self,
        current_rank: Callable[[bytes], EvictionRank | None],
        eligible: Callable[[bytes], bool],
    ) -> tuple[EvictionRank, bytes] | None:
        """The lowest-ranked live candidate for which ``eligible`` holds, left in the heap.

        ``current_rank`` returns a hash's rank if it is still some sender's tail, else None.
        """
        set_aside: list[tuple[EvictionRank, bytes]] = []
        found: tuple[EvictionRank, bytes] | None = None
        while self._heap:
            rank, tx_hash = self._heap[0]
            if current_rank(tx_hash) != rank:
                heapq.heappop(self._heap)
                continue
            if eligible(tx_hash):
                found = (rank, tx_hash)
                break
            set_aside.append(heapq.heappop(self._heap))
        for entry in set_aside:
            heapq.heappush(self._heap, entry)
        return found
