"""Items of the L1 forced-inclusion queue, as L2 blocks must take them.

A user who is censored enqueues a signed L2 transaction, or an ETH deposit, on L1. Every L2
block includes, in queue order and before its own transactions, each item enqueued at an L1
block up to its L1 origin that an earlier block did not include: a deposit mints its amount to
the recipient; a transaction is executed if it is valid then, and otherwise passes as a failed
no-op (it still counts as included, so one bad item cannot stop the queue).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ForcedDeposit:
    index: int
    recipient: bytes
    amount: int
    enqueued_block: int


@dataclass(frozen=True)
class ForcedTransaction:
    index: int
    raw: bytes
    enqueued_block: int


ForcedItem = ForcedDeposit | ForcedTransaction
