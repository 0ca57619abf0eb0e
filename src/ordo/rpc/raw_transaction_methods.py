"""Transactions in their canonical binary encoding (typed envelope, or RLP for legacy).

geth answers "0x" (an empty byte string), not null, when there is no such transaction; clients
such as web3.py treat both as "not found".
"""

from __future__ import annotations

from typing import Any

from ordo.core.block import Block
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.hex_values import decode_hash, decode_uint64, encode_data
from ordo.rpc.params import Arguments, BlockId, decode_block_number

NOT_FOUND = "0x"


def _raw_at(block: Block | None, index: int) -> str:
    if block is None or index >= len(block.transactions):
        return NOT_FOUND
    return encode_data(block.transactions[index].encode())


def eth_get_raw_transaction_by_hash(ctx: RpcContext, params: list[Any],
                                    session: Session | None) -> Any:
    tx_hash = Arguments(params, 1).required(0, decode_hash)
    location = ctx.backend.get_transaction_location(tx_hash)
    if location is not None:
        return _raw_at(ctx.backend.get_block_by_hash(location.block_hash), location.index)
    pending = ctx.backend.get_pending_transaction(tx_hash)
    if pending is None:
        return NOT_FOUND
    tx, _sender = pending
    return encode_data(tx.encode())


def eth_get_raw_transaction_by_block_number_and_index(ctx: RpcContext, params: list[Any],
                                                      session: Session | None) -> Any:
    args = Arguments(params, 2)
    block = ctx.find_block(args.required(0, decode_block_number))
    return _raw_at(block, args.required(1, decode_uint64))


def eth_get_raw_transaction_by_block_hash_and_index(ctx: RpcContext, params: list[Any],
                                                    session: Session | None) -> Any:
    args = Arguments(params, 2)
    block = ctx.find_block(BlockId(block_hash=args.required(0, decode_hash)))
    return _raw_at(block, args.required(1, decode_uint64))


RAW_TRANSACTION_METHODS: MethodTable = {
    "eth_getRawTransactionByHash": eth_get_raw_transaction_by_hash,
    "eth_getRawTransactionByBlockNumberAndIndex":
        eth_get_raw_transaction_by_block_number_and_index,
    "eth_getRawTransactionByBlockHashAndIndex": eth_get_raw_transaction_by_block_hash_and_index,
}
