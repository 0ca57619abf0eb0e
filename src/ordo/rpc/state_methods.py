"""Methods that read account state at a block, simulate calls, or submit transactions."""

from __future__ import annotations

from typing import Any

from ordo.core.call import CallRequest
from ordo.core.errors import CallFailed, ExecutionReverted, RejectedTransaction
from ordo.execution.call_overrides import NO_OVERRIDES, CallOverrides
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import EXECUTION_REVERTED, RpcError, ServerError
from ordo.rpc.hex_values import (
    decode_address,
    decode_data,
    decode_storage_key,
    encode_data,
    encode_quantity,
    encode_word,
    json_type,
)
from ordo.rpc.override_params import decode_block_overrides, decode_state_overrides
from ordo.rpc.params import LATEST, Arguments, decode_block_id, decode_call_request


def eth_get_balance(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 2)
    address = args.required(0, decode_address)
    number = ctx.state_number(args.optional(1, decode_block_id, LATEST))
    return encode_quantity(ctx.backend.get_balance(address, number))


def eth_get_transaction_count(ctx: RpcContext, params: list[Any],
                              session: Session | None) -> Any:
    args = Arguments(params, 2)
    address = args.required(0, decode_address)
    block_id = args.optional(1, decode_block_id, LATEST)
    if block_id.tag == "pending":
        return encode_quantity(ctx.backend.pending_nonce(address))
    return encode_quantity(ctx.backend.get_nonce(address, ctx.state_number(block_id)))


def eth_get_code(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 2)
    address = args.required(0, decode_address)
    number = ctx.state_number(args.optional(1, decode_block_id, LATEST))
    return encode_data(ctx.backend.get_code(address, number))


def eth_get_storage_at(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 3)
    address = args.required(0, decode_address)
    slot = args.required(1, decode_storage_key)
    number = ctx.state_number(args.optional(2, decode_block_id, LATEST))
    return encode_word(ctx.backend.get_storage_at(address, slot, number))


def _simulation_error(error: Exception) -> RpcError:
    if isinstance(error, ExecutionReverted):
        return RpcError(EXECUTION_REVERTED, error.message, encode_data(error.revert_data))
    assert isinstance(error, CallFailed)
    return ServerError(error.message)


def decode_call_overrides(ctx: RpcContext, args: Arguments, first: int) -> CallOverrides:
    """State overrides at ``first`` and block overrides right after it (both optional)."""
    state = args.optional(
        first, lambda value: decode_state_overrides(value, ctx.limits.max_data_bytes), None)
    block = args.optional(first + 1, decode_block_overrides, None)
    if state is None and block is None:
        return NO_OVERRIDES
    return CallOverrides(state=state or {}, block=block)


def decode_call_inputs(
    ctx: RpcContext, args: Arguments
) -> tuple[CallRequest, int, CallOverrides]:
    """The (message, block, overrides) parameters that eth_call, eth_estimateGas and
    eth_createAccessList share, decoded the same way for all three."""
    request = args.required(0, lambda value: decode_call_request(value, ctx.limits))
    number = ctx.state_number(args.optional(1, decode_block_id, LATEST))
    return request, number, decode_call_overrides(ctx, args, 2)


def eth_call(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 4)
    request, number, overrides = decode_call_inputs(ctx, args)
    try:
        return encode_data(ctx.backend.call(request, number, overrides))
    except (ExecutionReverted, CallFailed) as error:
        raise _simulation_error(error) from error


def eth_estimate_gas(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 4)
    request, number, overrides = decode_call_inputs(ctx, args)
    try:
        return encode_quantity(ctx.backend.estimate_gas(request, number, overrides))
    except (ExecutionReverted, CallFailed) as error:
        raise _simulation_error(error) from error


def eth_create_access_list(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 3)
    request, number, overrides = decode_call_inputs(ctx, args)
    try:
        result = ctx.backend.create_access_list(request, number, overrides)
    except (ExecutionReverted, CallFailed) as error:
        raise _simulation_error(error) from error
    answer: dict[str, Any] = {
        "accessList": [
            {"address": encode_data(address), "storageKeys": [encode_word(key) for key in keys]}
            for address, keys in result.access_list
        ],
        "gasUsed": encode_quantity(result.gas_used),
    }
    if result.error is not None:
        answer["error"] = result.error
    return answer


def eth_get_proof(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 3)
    address = args.required(0, decode_address)
    keys = args.required(1, lambda value: _decode_proof_keys(value, ctx.limits.max_proof_slots))
    number = ctx.state_number(args.optional(2, decode_block_id, LATEST))
    proof = ctx.backend.get_proof(address, [slot for _, slot in keys], number)
    return {
        "address": encode_data(proof.address),
        "accountProof": [encode_data(node) for node in proof.account_proof],
        "balance": encode_quantity(proof.balance),
        "codeHash": encode_data(proof.code_hash),
        "nonce": encode_quantity(proof.nonce),
        "storageHash": encode_data(proof.storage_hash),
        "storageProof": [
            {"key": text, "value": encode_quantity(item.value),
             "proof": [encode_data(node) for node in item.proof]}
            for (text, _), item in zip(keys, proof.storage_proofs, strict=True)
        ],
    }


def _decode_proof_keys(value: Any, maximum: int) -> list[tuple[str, int]]:
    """Storage keys with their spelling, which geth echoes back in the proof."""
    if not isinstance(value, list):
        raise ValueError(f"expected an array of storage keys, got {json_type(value)}")
    if len(value) > maximum:
        raise ValueError(f"too many storage keys: {len(value)} > {maximum}")
    return [(item, decode_storage_key(item)) for item in value]


async def eth_send_raw_transaction(ctx: RpcContext, params: list[Any],
                                   session: Session | None) -> Any:
    raw = Arguments(params, 1).required(0, lambda v: decode_data(v, ctx.limits.max_data_bytes))
    try:
        tx_hash = await ctx.backend.submit_raw_transaction(raw)
    except RejectedTransaction as error:
        raise RpcError(error.code, error.message) from error
    return encode_data(tx_hash)


STATE_METHODS: MethodTable = {
    "eth_getBalance": eth_get_balance,
    "eth_getTransactionCount": eth_get_transaction_count,
    "eth_getCode": eth_get_code,
    "eth_getStorageAt": eth_get_storage_at,
    "eth_call": eth_call,
    "eth_estimateGas": eth_estimate_gas,
    "eth_createAccessList": eth_create_access_list,
    "eth_getProof": eth_get_proof,
    "eth_sendRawTransaction": eth_send_raw_transaction,
}
