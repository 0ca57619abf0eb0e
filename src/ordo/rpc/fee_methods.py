"""Fee suggestions and history (eth_gasPrice, eth_maxPriorityFeePerGas, eth_feeHistory)."""

from __future__ import annotations

from typing import Any

from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import ServerError
from ordo.rpc.fee_rewards import reward_percentiles, validate_percentiles
from ordo.rpc.formatting import base_fee_of, effective_gas_price
from ordo.rpc.hex_values import decode_uint64, encode_quantity, json_type
from ordo.rpc.params import Arguments, decode_block_number

# Blob transactions are refused on L2, so blob gas is never used and its fee stays at the minimum.
MIN_BLOB_BASE_FEE = 1


def eth_gas_price(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return encode_quantity(ctx.backend.next_base_fee() + ctx.backend.suggested_priority_fee())


def eth_max_priority_fee_per_gas(ctx: RpcContext, params: list[Any],
                                 session: Session | None) -> Any:
    Arguments(params, 0)
    return encode_quantity(ctx.backend.suggested_priority_fee())


def eth_blob_base_fee(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return encode_quantity(ctx.backend.blob_base_fee())


def _decode_block_count(value: Any) -> int:
    """geth takes the count as a JSON number, a decimal string or a hex string."""
    if isinstance(value, bool):
        raise ValueError("expected a block count, got boolean")
    if isinstance(value, int):
        if not 0 <= value <= 2**64 - 1:
            raise ValueError("block count out of range")
        return value
    if isinstance(value, str) and value.isdecimal():
        return _decode_block_count(int(value))
    if isinstance(value, str):
        return decode_uint64(value)
    raise ValueError(f"expected a block count, got {json_type(value)}")


def _decode_percentiles(value: Any, maximum: int) -> list[float]:
    if not isinstance(value, list):
        raise ValueError(f"expected an array of percentiles, got {json_type(value)}")
    if len(value) > maximum:
        raise ValueError(f"too many reward percentiles: {len(value)} > {maximum}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise ValueError(f"reward percentile must be a number, got {json_type(item)}")
    percentiles = [float(item) for item in value]
    validate_percentiles(percentiles)
    return percentiles


def eth_fee_history(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 3)
    count = args.required(0, _decode_block_count)
    newest_id = args.required(1, decode_block_number)
    percentiles = args.optional(
        2, lambda value: _decode_percentiles(value, ctx.limits.max_fee_history_percentiles), None
    )
    head = ctx.backend.head_number()
    newest = min(ctx.tag_number(newest_id), head)
    if newest_id.number is not None and newest_id.number > head:
        raise ServerError(f"request beyond head block: requested {newest_id.number}, head {head}")
    count = min(count, ctx.limits.max_fee_history_blocks, newest + 1)
    if count == 0:
        return {"oldestBlock": "0x0"}
    oldest = newest - count + 1
    base_fees: list[str] = []
    ratios: list[float] = []
    rewards: list[list[str]] = []
    for number in range(oldest, newest + 1):
        block = ctx.backend.get_block_by_number(number)
        if block is None:
            raise RuntimeError(f"block {number} at or below the head is missing")
        header = block.header
        base_fee = base_fee_of(header)
        base_fees.append(encode_quantity(base_fee))
        ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
        if percentiles:
            receipts = ctx.backend.get_receipts(block.hash)
            tips_and_gas = []
            previous = 0
            for tx, receipt in zip(block.transactions, receipts, strict=True):
                tips_and_gas.append((effective_gas_price(tx, base_fee) - base_fee,
                                     int(receipt.gas_used) - previous))
                previous = int(receipt.gas_used)
            rewards.append([encode_quantity(reward) for reward in reward_percentiles(
                int(header.gas_used), tips_and_gas, percentiles)])
    if newest == head:
        base_fees.append(encode_quantity(ctx.backend.next_base_fee()))
    else:
        following = ctx.backend.get_block_by_number(newest + 1)
        assert following is not None
        base_fees.append(encode_quantity(base_fee_of(following.header)))
    result: dict[str, Any] = {
        "oldestBlock": encode_quantity(oldest),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": ratios,
        "baseFeePerBlobGas": [encode_quantity(MIN_BLOB_BASE_FEE)] * (count + 1),
        "blobGasUsedRatio": [0.0] * count,
    }
    if percentiles:
        result["reward"] = rewards
    return result


FEE_METHODS: MethodTable = {
    "eth_gasPrice": eth_gas_price,
    "eth_maxPriorityFeePerGas": eth_max_priority_fee_per_gas,
    "eth_feeHistory": eth_fee_history,
    "eth_blobBaseFee": eth_blob_base_fee,
}
