"""The forced-queue prelude of a block: deposits minted, forced transactions tried, in order.

Deterministic on the parent state and the items, so the proposer, every validator and anyone
re-deriving the chain from L1 reach the same result; an item that cannot execute (undecodable,
bad nonce, no funds) changes nothing and is still consumed.
"""

from __future__ import annotations

from eth.abc import SignedTransactionAPI
from eth_typing import Address

from ordo.core.errors import RejectedTransaction
from ordo.core.forced_item import ForcedDeposit, ForcedItem
from ordo.core.transaction import decode_transaction
from ordo.execution.block_run import BlockRun


def apply_forced_items(run: BlockRun, items: tuple[ForcedItem, ...]
                       ) -> list[SignedTransactionAPI]:
    """Apply ``items``; the forced transactions that executed, which lead the block's list."""
    included: list[SignedTransactionAPI] = []
    for item in items:
        if isinstance(item, ForcedDeposit):
            run.state.delta_balance(Address(item.recipient), item.amount)
            continue
        try:
            decoded = decode_transaction(item.raw)
        except RejectedTransaction:
            continue
        if run.apply(decoded.tx, decoded.sender) is None:
            included.append(decoded.tx)
    return included
