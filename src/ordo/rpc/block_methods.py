"""Methods that read committed blocks, their transactions and receipts (null when unknown)."""

from __future__ import annotations

from typing import Any

from ordo.core.block import Block
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.formatting import format_block, format_block_receipts, format_transaction
from ordo.rpc.hex_values import decode_bool, decode_hash, decode_uint64, encode_quantity
from ordo.rpc.params import Arguments, BlockId, decode_block_id, decode_block_number


def eth_block_number(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return encode_quantity(ctx.backend.head_number())


def _block_by_hash_arg(ctx: RpcContext, args: Arguments) -> Block | None:
    return ctx.find_block(BlockId(block_hash=args.required(0, decode_hash)))


def _block_by_number_arg(ctx: RpcContext, args: Arguments) -> Block | None:
    return ctx.find_block(args.required(0, decode_block_number))


def eth_get_block_by_number(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 2)
    block_id = args.required(0, decode_block_number)
    block = ctx.find_block(block_id)
    full = args.required(1, decode_bool)
    if block is None:
        return None
    answer = format_block(block, full)
    if block_id.tag == "pending":
        # geth: a pending block has no identity yet (it is rebuilt as the mempool changes)
        answer.update({"hash": None, "nonce": None, "miner": None})
    return answer


def eth_get_block_by_hash(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 2)
    block = _block_by_hash_arg(ctx, args)
    full = args.required(1, decode_bool)
    return None if block is None else format_block(block, full)


def eth_get_block_receipts(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    block_id = Arguments(params, 1).required(0, decode_block_id)
    if block_id.tag == "pending":
        pending = ctx.backend.pending_block()
        return format_block_receipts(pending.block, pending.receipts, ctx.backend.l1_fee_rules)
    block = ctx.find_block(block_id)
    if block is None:
        return None
    return format_block_receipts(block, ctx.backend.get_receipts(block.hash),
                                 ctx.backend.l1_fee_rules)


def _count(block: Block | None) -> Any:
    return None if block is None else encode_quantity(len(block.transactions))


def eth_get_block_transaction_count_by_number(ctx: RpcContext, params: list[Any],
                                              session: Session | None) -> Any:
    return _count(_block_by_number_arg(ctx, Arguments(params, 1)))


def eth_get_block_transaction_count_by_hash(ctx: RpcContext, params: list[Any],
                                            session: Session | None) -> Any:
    return _count(_block_by_hash_arg(ctx, Arguments(params, 1)))


def _uncle_count(block: Block | None) -> Any:
    return None if block is None else "0x0"


def eth_get_uncle_count_by_block_number(ctx: RpcContext, params: list[Any],
                                        session: Session | None) -> Any:
    return _uncle_count(_block_by_number_arg(ctx, Arguments(params, 1)))


def eth_get_uncle_count_by_block_hash(ctx: RpcContext, params: list[Any],
                                      session: Session | None) -> Any:
    return _uncle_count(_block_by_hash_arg(ctx, Arguments(params, 1)))


def _transaction_at(block: Block | None, index: int) -> Any:
    if block is None or index >= len(block.transactions):
        return None
    return format_transaction(block.transactions[index], block.senders[index], block.header,
                              index)


def eth_get_transaction_by_block_number_and_index(ctx: RpcContext, params: list[Any],
                                                  session: Session | None) -> Any:
    args = Arguments(params, 2)
    block = _block_by_number_arg(ctx, args)
    return _transaction_at(block, args.required(1, decode_uint64))


def eth_get_transaction_by_block_hash_and_index(ctx: RpcContext, params: list[Any],
                                                session: Session | None) -> Any:
    args = Arguments(params, 2)
    block = _block_by_hash_arg(ctx, args)
    return _transaction_at(block, args.required(1, decode_uint64))


def eth_get_transaction_by_hash(ctx: RpcContext, params: list[Any],
                                session: Session | None) -> Any:
    tx_hash = Arguments(params, 1).required(0, decode_hash)
    location = ctx.backend.get_transaction_location(tx_hash)
    if location is not None:
        block = ctx.backend.get_block_by_hash(location.block_hash)
        if block is not None:
            return _transaction_at(block, location.index)
    pending = ctx.backend.get_pending_transaction(tx_hash)
    if pending is None:
        return None
    tx, sender = pending
    return format_transaction(tx, sender, None, None)


def eth_get_transaction_receipt(ctx: RpcContext, params: list[Any],
                                session: Session | None) -> Any:
    tx_hash = Arguments(params, 1).required(0, decode_hash)
    location = ctx.backend.get_transaction_location(tx_hash)
    if location is None:
        return None
    block = ctx.backend.get_block_by_hash(location.block_hash)
    if block is None or location.index >= len(block.transactions):
        return None
    return format_block_receipts(block, ctx.backend.get_receipts(block.hash),
                                 ctx.backend.l1_fee_rules)[location.index]


BLOCK_METHODS: MethodTable = {
    "eth_blockNumber": eth_block_number,
    "eth_getBlockByNumber": eth_get_block_by_number,
    "eth_getBlockByHash": eth_get_block_by_hash,
    "eth_getBlockReceipts": eth_get_block_receipts,
    "eth_getBlockTransactionCountByNumber": eth_get_block_transaction_count_by_number,
    "eth_getBlockTransactionCountByHash": eth_get_block_transaction_count_by_hash,
    "eth_getUncleCountByBlockNumber": eth_get_uncle_count_by_block_number,
    "eth_getUncleCountByBlockHash": eth_get_uncle_count_by_block_hash,
    "eth_getTransactionByBlockNumberAndIndex": eth_get_transaction_by_block_number_and_index,
    "eth_getTransactionByBlockHashAndIndex": eth_get_transaction_by_block_hash_and_index,
    "eth_getTransactionByHash": eth_get_transaction_by_hash,
    "eth_getTransactionReceipt": eth_get_transaction_receipt,
}
