"""The canonical bytes of a block, as proposed in consensus and served to syncing peers.

Layout: ``rlp([header_rlp, [tx_encoding, ...]])`` with Ethereum's own header and transaction
encodings, so the block hash of the decoded header is the hash peers voted on. Senders are not
sent: a peer could lie about them, so the receiver recovers each one from its signature.
Decoding accepts exactly one encoding per block (it re-encodes and compares), which lets the
bytes themselves be compared and deduplicated.
"""

from __future__ import annotations

import rlp
from eth.abc import BlockHeaderAPI
from eth.vm.forks.prague.blocks import PragueBlockHeader

from ordo.core.block import Block
from ordo.core.errors import RejectedTransaction
from ordo.core.transaction import decode_transaction

MAX_BLOCK_BYTES = 16 * 1024 * 1024
MAX_BLOCK_TRANSACTIONS = 100_000


class BlockCodecError(ValueError):
    """Bytes that are not the canonical encoding of a well-formed block; says what is wrong."""


def encode_block(block: Block) -> bytes:
    header_raw = rlp.encode(block.header)
    return bytes(rlp.encode([header_raw, [tx.encode() for tx in block.transactions]]))


def decode_block(data: bytes) -> Block:
    """Parse canonical block bytes and recover every sender; raises BlockCodecError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BlockCodecError("block: expected bytes")
    data = bytes(data)
    if len(data) > MAX_BLOCK_BYTES:
        raise BlockCodecError(f"block: {len(data)} bytes, at most {MAX_BLOCK_BYTES} allowed")
    try:
        outer = rlp.decode(data, strict=True)
    except Exception as error:  # rlp raises several unrelated types for junk
        raise BlockCodecError(f"block: malformed RLP: {error}") from error
    if not isinstance(outer, list) or len(outer) != 2:
        raise BlockCodecError("block: expected a list of [header, transactions]")
    header_raw, encoded_transactions = outer
    if not isinstance(header_raw, bytes):
        raise BlockCodecError("block: header must be a byte string")
    if not isinstance(encoded_transactions, list):
        raise BlockCodecError("block: transactions must be a list")
    if len(encoded_transactions) > MAX_BLOCK_TRANSACTIONS:
        raise BlockCodecError(f"block: more than {MAX_BLOCK_TRANSACTIONS} transactions")
    header = _decode_header(header_raw)
    transactions = []
    senders = []
    for index, encoded in enumerate(encoded_transactions):
        if not isinstance(encoded, bytes):
            raise BlockCodecError(f"block: transaction {index} must be a byte string")
        try:
            decoded = decode_transaction(encoded)
        except RejectedTransaction as error:
            raise BlockCodecError(f"block: transaction {index}: {error.message}") from error
        transactions.append(decoded.tx)
        senders.append(decoded.sender)
    block = Block(header=header, transactions=tuple(transactions), senders=tuple(senders))
    if encode_block(block) != data:
        raise BlockCodecError("block: not the canonical encoding")
    return block


def _decode_header(raw: bytes) -> BlockHeaderAPI:
    try:
        header: BlockHeaderAPI = rlp.decode(raw, sedes=PragueBlockHeader, strict=True)
    except Exception as error:  # rlp and py-evm raise several unrelated types for bad fields
        raise BlockCodecError(f"block: header: {error}") from error
    return header
