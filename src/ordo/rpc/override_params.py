"""Decoding of geth's state-override and block-override objects (eth_call's third and fourth
parameters, eth_estimateGas's, and each block of eth_simulateV1).

Unknown fields are refused rather than ignored: a misspelt override that silently does nothing
gives a wrong answer that looks right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ordo.execution.call_overrides import AccountOverride, BlockOverrides, StateOverrides
from ordo.rpc.hex_values import (
    decode_address,
    decode_data,
    decode_hash,
    decode_quantity,
    decode_uint64,
    json_type,
)

T = TypeVar("T")

ACCOUNT_FIELDS = frozenset({"balance", "nonce", "code", "state", "stateDiff",
                            "movePrecompileToAddress"})
BLOCK_FIELDS = frozenset({"number", "difficulty", "time", "gasLimit", "feeRecipient",
                          "prevRandao", "baseFeePerGas", "blobBaseFee", "beaconRoot",
                          "withdrawals"})
UNSUPPORTED_BLOCK_FIELDS = ("beaconRoot", "withdrawals")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object, got {json_type(value)}")
    return value


def _check_fields(obj: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} in {what}")


def _get(obj: dict[str, Any], name: str, decoder: Callable[[Any], T]) -> T | None:
    if obj.get(name) is None:
        return None
    try:
        return decoder(obj[name])
    except ValueError as error:
        raise ValueError(f'field "{name}": {error}') from error


def _storage(value: Any) -> dict[int, int]:
    slots = _object(value, "storage override")
    decoded: dict[int, int] = {}
    for key, word in slots.items():
        try:
            decoded[int.from_bytes(decode_hash(key), "big")] = int.from_bytes(
                decode_hash(word), "big")
        except ValueError as error:
            raise ValueError(f"slot {key!r}: {error}") from error
    return decoded


def decode_account_override(value: Any, max_code_bytes: int) -> AccountOverride:
    obj = _object(value, "account override")
    _check_fields(obj, ACCOUNT_FIELDS, "account override")
    if obj.get("movePrecompileToAddress") is not None:
        raise ValueError("movePrecompileToAddress is not supported")
    return AccountOverride(
        balance=_get(obj, "balance", decode_quantity),
        nonce=_get(obj, "nonce", decode_uint64),
        code=_get(obj, "code", lambda item: decode_data(item, max_code_bytes)),
        state=_get(obj, "state", _storage),
        state_diff=_get(obj, "stateDiff", _storage),
    )


def decode_state_overrides(value: Any, max_code_bytes: int) -> StateOverrides:
    """{address: {balance, nonce, code, state | stateDiff}}."""
    obj = _object(value, "state override")
    overrides: dict[bytes, AccountOverride] = {}
    for key, account in obj.items():
        try:
            overrides[decode_address(key)] = decode_account_override(account, max_code_bytes)
        except ValueError as error:
            raise ValueError(f"account {key}: {error}") from error
    return overrides


def decode_block_overrides(value: Any) -> BlockOverrides:
    obj = _object(value, "block override")
    _check_fields(obj, BLOCK_FIELDS, "block override")
    for name in UNSUPPORTED_BLOCK_FIELDS:
        if obj.get(name) is not None:
            raise ValueError(f'block override "{name}" is not supported for this RPC method')
    return BlockOverrides(
        number=_get(obj, "number", decode_uint64),
        time=_get(obj, "time", decode_uint64),
        gas_limit=_get(obj, "gasLimit", decode_uint64),
        fee_recipient=_get(obj, "feeRecipient", decode_address),
        prev_randao=_get(obj, "prevRandao", decode_hash),
        base_fee_per_gas=_get(obj, "baseFeePerGas", decode_quantity),
        blob_base_fee=_get(obj, "blobBaseFee", decode_quantity),
    )
