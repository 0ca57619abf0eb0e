"""Byte layouts of the chain store's records.

Headers, transactions and receipts keep Ethereum's own encodings so that a stored block hashes
exactly as it did when it was committed; what Ordo adds around them (senders, index entries, keys)
uses fixed-width big-endian integers, whose byte order is their numeric order in LMDB's sorted
keyspace -- that is what makes "last block" and "oldest journal entry" cursor seeks.
"""

from __future__ import annotations

from collections.abc import Sequence

import rlp
from eth.abc import BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth.vm.forks.prague.transactions import PragueTransactionBuilder

from ordo.core.block import TransactionLocation
from ordo.core.lazy_receipts import decode_receipt

NUMBER_WIDTH = 8
INDEX_WIDTH = 4
HASH_WIDTH = 32
ADDRESS_WIDTH = 20
MAX_NUMBER = 2 ** (8 * NUMBER_WIDTH) - 1


class CorruptRecordError(Exception):
    """A stored record does not decode: the store was written by something else or damaged."""


def number_key(number: int) -> bytes:
    if not 0 <= number <= MAX_NUMBER:
        raise ValueError(f"block number {number} out of range 0..{MAX_NUMBER}")
    return number.to_bytes(NUMBER_WIDTH, "big")


def decode_number(raw: bytes) -> int:
    if len(raw) != NUMBER_WIDTH:
        raise CorruptRecordError(f"number record has {len(raw)} bytes, expected {NUMBER_WIDTH}")
    return int.from_bytes(raw, "big")


def encode_header(header: BlockHeaderAPI) -> bytes:
    return rlp.encode(header)


def decode_header(raw: bytes) -> BlockHeaderAPI:
    try:
        header: BlockHeaderAPI = rlp.decode(raw, sedes=PragueBlockHeader)
    except (rlp.DecodingError, rlp.DeserializationError) as error:
        raise CorruptRecordError(f"header: {error}") from error
    return header


def encode_body(
    transactions: tuple[SignedTransactionAPI, ...], senders: tuple[bytes, ...]
) -> bytes:
    """Senders travel with the transactions so a load never repeats signature recovery."""
    return rlp.encode([[tx.encode() for tx in transactions], list(senders)])


def decode_body(raw: bytes) -> tuple[tuple[SignedTransactionAPI, ...], tuple[bytes, ...]]:
    try:
        encoded_transactions, senders = rlp.decode(raw)
        transactions = tuple(PragueTransactionBuilder.decode(item) for item in encoded_transactions)
    except Exception as error:  # rlp and py-evm raise several unrelated types for bad bytes
        raise CorruptRecordError(f"body: {error}") from error
    if len(senders) != len(transactions):
        raise CorruptRecordError("body: sender count differs from transaction count")
    return transactions, tuple(bytes(sender) for sender in senders)


def encode_receipts(
    receipts: Sequence[ReceiptAPI], encodings: tuple[bytes, ...] | None = None
) -> bytes:
    """The block's receipts record; ``encodings`` (each receipt's consensus encoding, already
    made by the native engine for the receipts root) spares encoding the py-evm objects again."""
    if encodings is None:
        encodings = tuple(receipt.encode() for receipt in receipts)
    return rlp.encode(list(encodings))


def decode_receipts(raw: bytes) -> tuple[ReceiptAPI, ...]:
    try:
        return tuple(decode_receipt(item) for item in rlp.decode(raw))
    except Exception as error:  # rlp and py-evm raise several unrelated types for bad bytes
        raise CorruptRecordError(f"receipts: {error}") from error


def encode_location(location: TransactionLocation) -> bytes:
    return (
        location.block_hash
        + number_key(location.block_number)
        + location.index.to_bytes(INDEX_WIDTH, "big")
    )


def decode_location(raw: bytes) -> TransactionLocation:
    if len(raw) != HASH_WIDTH + NUMBER_WIDTH + INDEX_WIDTH:
        raise CorruptRecordError(f"transaction location has {len(raw)} bytes")
    return TransactionLocation(
        block_hash=raw[:HASH_WIDTH],
        block_number=int.from_bytes(raw[HASH_WIDTH : HASH_WIDTH + NUMBER_WIDTH], "big"),
        index=int.from_bytes(raw[HASH_WIDTH + NUMBER_WIDTH :], "big"),
    )
