"""Choosing transactions for a block: best tip first, each sender strictly in nonce order.

A heap holds only each sender's next executable transaction, keyed by effective tip and then
arrival order, so the order is deterministic and a sender's later nonce can never overtake an
earlier one. Selection works on a snapshot: the pool may change while a block is being built.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from ordo.core.transaction import DecodedTransaction
from ordo.mempool.fees import PooledTransaction


class BlockSelection(Iterator[DecodedTransaction]):
    def __init__(self, runs: list[list[PooledTransaction]], base_fee: int) -> None:
        self._runs = runs
        self._base_fee = base_fee
        self._positions = [0] * len(runs)
        self._skipped: set[bytes] = set()
        self._heap: list[tuple[int, int, int]] = []
        for index in range(len(runs)):
            self._push_head(index)

    def _push_head(self, index: int) -> None:
        run, position = self._runs[index], self._positions[index]
        if position >= len(run):
            return
        head = run[position]
        # A head whose fee cap is under the base fee blocks the rest of its sender's run too.
        if head.fee_cap < self._base_fee:
            return
        heapq.heappush(self._heap, (-head.effective_tip(self._base_fee), head.sequence, index))

    def __iter__(self) -> BlockSelection:
        return self

    def __next__(self) -> DecodedTransaction:
        while self._heap:
            _, _, index = heapq.heappop(self._heap)
            run = self._runs[index]
            head = run[self._positions[index]]
            if head.sender in self._skipped:
                continue
            self._positions[index] += 1
            self._push_head(index)
            return head.decoded
        raise StopIteration

    def skip_sender(self, sender: bytes) -> None:
        """The builder could not include this sender's last transaction (out of gas room, failed
        execution): its later nonces cannot execute in this block either."""
        self._skipped.add(sender)
