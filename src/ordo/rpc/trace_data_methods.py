"""What a standalone challenger needs to trace a block without trusting the node it asks:
``ordo_getRawBlock``, ``ordo_getRawHeader`` and ``ordo_getStateNodes``.

Every answer can be checked by the asker alone: a block's transactions and fields against the
batch's ``inputs_root`` on L1, a header by its hash (the parent hash chain, the output root's
block hash), and a state trie node or contract code by its key, which is the keccak of its
bytes (geth's ``debug_getRawHeader`` and ``debug_dbGet`` are the precedents). So a node that
lies is caught by the challenger, and a node that answers only these methods cannot make a
challenger play a wrong move (docs/challenger.md, docs/fault_proofs.md 6.6).
"""

from __future__ import annotations

from typing import Any

import rlp
from eth_hash.auto import keccak

from ordo.core.block_codec import encode_block
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import InvalidParamsError, LimitExceededError
from ordo.rpc.hex_values import decode_hash, encode_data, json_type
from ordo.rpc.params import Arguments, decode_block_number


def ordo_get_raw_block(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    """The block's canonical bytes (``core.block_codec``: ``rlp([header_rlp, [tx, ...]])``, what
    peers sync), or null for a block this node does not hold."""
    block = ctx.find_block(Arguments(params, 1).required(0, decode_block_number))
    return None if block is None else encode_data(encode_block(block))


def ordo_get_raw_header(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    """The block's RLP header (its keccak is the block hash), or null."""
    block = ctx.find_block(Arguments(params, 1).required(0, decode_block_number))
    return None if block is None else encode_data(rlp.encode(block.header))


def _decode_keys(value: Any, limit: int) -> list[bytes]:
    if not isinstance(value, list):
        raise InvalidParamsError(f"expected an array of 32-byte hashes, got {json_type(value)}")
    if len(value) > limit:
        raise LimitExceededError(f"at most {limit} state nodes per request, got {len(value)}")
    return [decode_hash(item) for item in value]


def ordo_get_state_nodes(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    """The state trie nodes (account and storage tries) and contract codes whose keccak is each
    key, in order; null for a key this node does not hold. At most ``max_state_nodes`` keys per
    call. A stored value whose keccak is not its key is never served (the store keys state by
    content hash, so there is none; the check keeps the method exactly "bytes by hash")."""
    args = Arguments(params, 1)
    keys = args.required(0, lambda value: _decode_keys(value, ctx.limits.max_state_nodes))
    answers: list[str | None] = []
    for key in keys:
        value = ctx.backend.get_state_node(key)
        answers.append(None if value is None or keccak(value) != key else encode_data(value))
    return answers


TRACE_DATA_METHODS: MethodTable = {
    "ordo_getRawBlock": ordo_get_raw_block,
    "ordo_getRawHeader": ordo_get_raw_header,
    "ordo_getStateNodes": ordo_get_state_nodes,
}
