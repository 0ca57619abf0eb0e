"""A committed L2 block as every part of Ordo sees it.

Ordo keeps py-evm's header, transaction and receipt classes (so hashes and encodings are exactly
Ethereum's) and adds, beside them, what a node needs to serve a block without recomputation: the
senders recovered once at admission and the receipts produced by execution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth.abc import BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI


@dataclass(frozen=True)
class Block:
    """A block: its py-evm header and its transactions with their senders (same order)."""

    header: BlockHeaderAPI
    transactions: tuple[SignedTransactionAPI, ...]
    senders: tuple[bytes, ...]

    @property
    def hash(self) -> bytes:
        return bytes(self.header.hash)

    @property
    def number(self) -> int:
        return int(self.header.block_number)


@dataclass(frozen=True)
class ExecutedBlock:
    """A block together with the receipts its execution produced (one per transaction)."""

    block: Block
    receipts: Sequence[ReceiptAPI]
    """A tuple of py-evm receipts, or (native engine) ``LazyReceipts`` decoded from
    ``receipt_encodings`` only when something reads them."""
    # Each receipt's consensus encoding when the engine already made it (the native engine
    # encodes them to hash the receipts root): the store writes these instead of encoding the
    # py-evm receipts a second time. None: the store encodes ``receipts``.
    receipt_encodings: tuple[bytes, ...] | None = None


@dataclass(frozen=True)
class TransactionLocation:
    """Where a transaction landed: used by the tx-hash index."""

    block_hash: bytes
    block_number: int
    index: int


@dataclass(frozen=True)
class LogRecord:
    """One log as served by eth_getLogs and subscriptions; log_index counts within the block."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    transaction_index: int
    log_index: int
