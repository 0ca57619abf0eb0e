"""Transaction gossip in batches: the TX_BATCH payload, its bounds, and the per-peer buffers that
cut outgoing transactions into batches.

One sealed frame per transaction per peer cost a seal, a frame, a rate-limit check, a queue
entry and a socket write each, on both ends, for every transaction on every link. A batch pays
them once for up to ``MAX_TX_BATCH_COUNT`` transactions. The payload is

    count (2 bytes, big endian, 1..MAX_TX_BATCH_COUNT) ‖ count * (length (4 bytes) ‖ raw)

with every raw transaction at most the TX payload cap and nothing after the last one; the frame
cap of TX_BATCH bounds the whole payload before it is read (docs/formats.md §12).
"""

from __future__ import annotations

import struct
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

MAX_TX_BATCH_COUNT = 1024
"""Most transactions one TX_BATCH may carry; a batch with more is refused whole."""
COUNT_SIZE = 2
LENGTH_SIZE = 4
_COUNT = struct.Struct(">H")
_LENGTH = struct.Struct(">I")

P = TypeVar("P", bound=Hashable)


class TxBatchError(Exception):
    """A TX_BATCH payload that breaks the format or a bound. ``reason`` is a countable label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def encoded_size(raw_sizes: int, count: int) -> int:
    """Payload bytes of a batch of ``count`` transactions of ``raw_sizes`` bytes in all."""
    return COUNT_SIZE + count * LENGTH_SIZE + raw_sizes


def encode_tx_batch(transactions: list[bytes]) -> bytes:
    if not 1 <= len(transactions) <= MAX_TX_BATCH_COUNT:
        raise ValueError(f"a batch holds 1 to {MAX_TX_BATCH_COUNT} transactions, "
                         f"not {len(transactions)}")
    parts = [_COUNT.pack(len(transactions))]
    for raw in transactions:
        parts.append(_LENGTH.pack(len(raw)))
        parts.append(raw)
    return b"".join(parts)


def decode_tx_batch(payload: bytes, max_transaction_bytes: int) -> list[bytes]:
    """The raw transactions of a TX_BATCH payload, or TxBatchError naming the broken rule:
    ``tx_batch_empty``, ``tx_batch_too_many``, ``tx_batch_truncated``,
    ``tx_batch_transaction_too_large``, ``tx_batch_trailing_bytes``."""
    if len(payload) < COUNT_SIZE:
        raise TxBatchError("tx_batch_truncated", f"{len(payload)} bytes hold no count")
    (count,) = _COUNT.unpack_from(payload, 0)
    if count == 0:
        raise TxBatchError("tx_batch_empty", "a batch carries at least one transaction")
    if count > MAX_TX_BATCH_COUNT:
        raise TxBatchError("tx_batch_too_many", f"{count} transactions, at most "
                                                f"{MAX_TX_BATCH_COUNT}")
    transactions: list[bytes] = []
    offset = COUNT_SIZE
    end = len(payload)
    for index in range(count):
        if offset + LENGTH_SIZE > end:
            raise TxBatchError("tx_batch_truncated", f"transaction {index} of {count} has no "
                                                     f"length")
        (length,) = _LENGTH.unpack_from(payload, offset)
        offset += LENGTH_SIZE
        if length > max_transaction_bytes:
            raise TxBatchError("tx_batch_transaction_too_large",
                               f"transaction {index} has {length} bytes, at most "
                               f"{max_transaction_bytes}")
        if offset + length > end:
            raise TxBatchError("tx_batch_truncated", f"transaction {index} of {count} claims "
                                                     f"{length} bytes, {end - offset} are left")
        transactions.append(payload[offset:offset + length])
        offset += length
    if offset != end:
        raise TxBatchError("tx_batch_trailing_bytes", f"{end - offset} bytes after the last "
                                                      f"transaction")
    return transactions


@dataclass
class _Pending:
    transactions: list[bytes] = field(default_factory=list)
    size: int = COUNT_SIZE


class OutgoingBatches(Generic[P]):
    """Transactions waiting to go to each peer. A peer's batch is cut when the next transaction
    would take it past ``max_bytes`` of payload or when it holds ``max_count``; the rest waits
    for ``drain`` (the network's short flush timer)."""

    def __init__(self, max_count: int, max_bytes: int) -> None:
        if not 1 <= max_count <= MAX_TX_BATCH_COUNT:
            raise ValueError(f"max_count: {max_count!r} must be from 1 to {MAX_TX_BATCH_COUNT}")
        if max_bytes < encoded_size(1, 1):
            raise ValueError(f"max_bytes: {max_bytes!r} cannot hold one transaction")
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._pending: dict[P, _Pending] = {}

    def add(self, peer: P, raw: bytes) -> list[bytes]:
        """Queue ``raw`` for ``peer``; returns the batch payloads this cut (none, one or two)."""
        pending = self._pending.get(peer)
        if pending is None:
            pending = self._pending[peer] = _Pending()
        cut: list[bytes] = []
        added = LENGTH_SIZE + len(raw)
        if pending.transactions and pending.size + added > self.max_bytes:
            cut.append(encode_tx_batch(pending.transactions))
            pending.transactions, pending.size = [], COUNT_SIZE
        pending.transactions.append(raw)
        pending.size += added
        if len(pending.transactions) >= self.max_count or pending.size >= self.max_bytes:
            cut.append(encode_tx_batch(pending.transactions))
            del self._pending[peer]
        return cut

    def drain(self) -> list[tuple[P, bytes]]:
        """Every peer's waiting transactions as one batch each; the buffers are emptied."""
        batches = [(peer, encode_tx_batch(pending.transactions))
                   for peer, pending in self._pending.items() if pending.transactions]
        self._pending.clear()
        return batches

    def forget(self, peer: P) -> None:
        """The peer is gone: what waited for it is dropped (its next session is re-announced)."""
        self._pending.pop(peer, None)

    def waiting(self) -> int:
        return sum(len(pending.transactions) for pending in self._pending.values())
