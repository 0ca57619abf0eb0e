"""A bounded record of why transactions left the mempool without being included.

A transaction whose hash the node acknowledged must end either in a block or reported as dropped
with a reason (nothing acknowledged is silently lost); this is where that report is kept for
``ordo_getTransactionStatus``.
"""

from __future__ import annotations

from collections import OrderedDict


class DroppedTransactions:
    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._reasons: OrderedDict[bytes, str] = OrderedDict()

    def record(self, tx_hash: bytes, reason: str) -> None:
        self._reasons[tx_hash] = reason
        self._reasons.move_to_end(tx_hash)
        while len(self._reasons) > self._capacity:
            self._reasons.popitem(last=False)

    def forget(self, tx_hash: bytes) -> None:
        """A dropped transaction sent again and re-admitted is no longer dropped."""
        self._reasons.pop(tx_hash, None)

    def reason(self, tx_hash: bytes) -> str | None:
        return self._reasons.get(tx_hash)

    def __len__(self) -> int:
        return len(self._reasons)
