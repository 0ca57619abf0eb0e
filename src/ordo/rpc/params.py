"""Decoding of positional JSON-RPC parameters into typed values, with precise errors.

Every problem becomes InvalidParamsError naming the argument index (as geth does: "invalid argument
1: ...") and, inside objects, the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ordo.core.call import CallRequest
from ordo.rpc.errors import InvalidParamsError
from ordo.rpc.hex_values import (
    decode_address,
    decode_data,
    decode_hash,
    decode_quantity,
    decode_uint64,
    json_type,
)
from ordo.rpc.limits import RpcLimits
from ordo.rpc.log_match import LogCriteria

T = TypeVar("T")

BLOCK_TAGS = ("latest", "pending", "safe", "finalized", "earliest")
MAX_TOPIC_POSITIONS = 4


class Arguments:
    """The positional parameters of one call, checked against the method's arity."""

    def __init__(self, params: list[Any], maximum: int) -> None:
        if len(params) > maximum:
            raise InvalidParamsError(f"too many arguments, want at most {maximum}")
        self._params = params

    def required(self, index: int, decoder: Callable[[Any], T]) -> T:
        if index >= len(self._params) or self._params[index] is None:
            raise InvalidParamsError(f"missing value for required argument {index}")
        return self._decode(index, decoder)

    def optional(self, index: int, decoder: Callable[[Any], T], default: T) -> T:
        if index >= len(self._params) or self._params[index] is None:
            return default
        return self._decode(index, decoder)

    def raw(self, index: int) -> Any:
        return self._params[index] if index < len(self._params) else None

    def _decode(self, index: int, decoder: Callable[[Any], T]) -> T:
        try:
            return decoder(self._params[index])
        except InvalidParamsError as error:
            raise InvalidParamsError(f"invalid argument {index}: {error.message}") from error
        except ValueError as error:
            raise InvalidParamsError(f"invalid argument {index}: {error}") from error


@dataclass(frozen=True)
class BlockId:
    """A block named by tag, number or hash (EIP-1898); exactly one of the three is set."""

    tag: str | None = None
    number: int | None = None
    block_hash: bytes | None = None


LATEST = BlockId(tag="latest")


def decode_block_number(value: Any) -> BlockId:
    """A tag or hex number (the only form eth_getBlockByNumber and friends accept)."""
    if isinstance(value, str) and value in BLOCK_TAGS:
        return BlockId(tag=value)
    if isinstance(value, str) and not value.startswith(("0x", "0X")):
        raise ValueError(
            f"invalid block tag {value!r}: want one of {', '.join(BLOCK_TAGS)} or a hex number"
        )
    return BlockId(number=decode_uint64(value))


def decode_block_id(value: Any) -> BlockId:
    """A tag, a hex number, or an EIP-1898 object {"blockHash": ..} / {"blockNumber": ..}."""
    if isinstance(value, str) and len(value) == 66:
        return BlockId(block_hash=decode_hash(value))
    if not isinstance(value, dict):
        return decode_block_number(value)
    unknown = set(value) - {"blockHash", "blockNumber", "requireCanonical"}
    if unknown:
        raise ValueError(f"unknown field {sorted(unknown)[0]!r} in block object")
    has_hash, has_number = "blockHash" in value, "blockNumber" in value
    if has_hash and has_number:
        raise ValueError("cannot specify both BlockHash and BlockNumber, choose one or the other")
    if has_hash:
        return BlockId(block_hash=_field(value, "blockHash", decode_hash))
    if has_number:
        return _field(value, "blockNumber", decode_block_number)
    raise ValueError("block object needs blockHash or blockNumber")


def _field(obj: dict[str, Any], name: str, decoder: Callable[[Any], T]) -> T:
    try:
        return decoder(obj[name])
    except ValueError as error:
        raise ValueError(f'field "{name}": {error}') from error


def _optional_field(obj: dict[str, Any], name: str, decoder: Callable[[Any], T]) -> T | None:
    if obj.get(name) is None:
        return None
    return _field(obj, name, decoder)


def _require_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object, got {json_type(value)}")
    return value


def decode_call_request(value: Any, limits: RpcLimits) -> CallRequest:
    """A transaction object as eth_call / eth_estimateGas take it; unknown fields are ignored."""
    obj = _require_object(value, "transaction")

    def data(item: Any) -> bytes:
        return decode_data(item, limits.max_data_bytes)

    input_bytes = _optional_field(obj, "input", data)
    data_bytes = _optional_field(obj, "data", data)
    if input_bytes is not None and data_bytes is not None and input_bytes != data_bytes:
        raise ValueError(
            'both "data" and "input" are set and not equal. Please use "input" to pass '
            "transaction call data"
        )
    gas_price = _optional_field(obj, "gasPrice", decode_quantity)
    max_fee = _optional_field(obj, "maxFeePerGas", decode_quantity)
    max_tip = _optional_field(obj, "maxPriorityFeePerGas", decode_quantity)
    if gas_price is not None and (max_fee is not None or max_tip is not None):
        raise ValueError("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
    if max_fee is not None and max_tip is not None and max_tip > max_fee:
        raise ValueError(f"maxFeePerGas ({max_fee}) < maxPriorityFeePerGas ({max_tip})")
    return CallRequest(
        sender=_optional_field(obj, "from", decode_address),
        to=_optional_field(obj, "to", decode_address),
        gas=_optional_field(obj, "gas", decode_uint64),
        gas_price=gas_price,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=max_tip,
        value=_optional_field(obj, "value", decode_quantity) or 0,
        data=input_bytes if input_bytes is not None else (data_bytes or b""),
        nonce=_optional_field(obj, "nonce", decode_uint64),
        access_list=_optional_field(obj, "accessList", decode_access_list) or (),
    )


def decode_access_list(value: Any) -> tuple[tuple[bytes, tuple[int, ...]], ...]:
    if not isinstance(value, list):
        raise ValueError(f"access list must be an array, got {json_type(value)}")
    entries = []
    for position, item in enumerate(value):
        try:
            entry = _require_object(item, "access list entry")
            address = _field(entry, "address", decode_address)
            keys = entry.get("storageKeys") or []
            if not isinstance(keys, list):
                raise ValueError(f"storageKeys must be an array, got {json_type(keys)}")
            slots = tuple(int.from_bytes(decode_hash(key), "big") for key in keys)
        except (ValueError, KeyError) as error:
            raise ValueError(f"access list entry {position}: {error}") from error
        entries.append((address, slots))
    return tuple(entries)


@dataclass(frozen=True)
class LogQuery:
    """A decoded eth_getLogs / eth_newFilter object: a block range or one block hash."""

    criteria: LogCriteria
    from_block: BlockId = LATEST
    to_block: BlockId = LATEST
    block_hash: bytes | None = None


def decode_log_query(value: Any, limits: RpcLimits) -> LogQuery:
    obj = _require_object(value, "filter")
    block_hash = _optional_field(obj, "blockHash", decode_hash)
    if block_hash is not None and (obj.get("fromBlock") is not None
                                   or obj.get("toBlock") is not None):
        raise ValueError(
            "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other"
        )
    criteria = LogCriteria(
        addresses=_field(obj, "address", lambda item: _decode_addresses(item, limits))
        if obj.get("address") is not None else frozenset(),
        topics=_field(obj, "topics", lambda item: _decode_topics(item, limits))
        if obj.get("topics") is not None else (),
    )
    return LogQuery(
        criteria=criteria,
        from_block=_optional_field(obj, "fromBlock", decode_block_number) or LATEST,
        to_block=_optional_field(obj, "toBlock", decode_block_number) or LATEST,
        block_hash=block_hash,
    )


def _decode_addresses(value: Any, limits: RpcLimits) -> frozenset[bytes]:
    if isinstance(value, str):
        return frozenset([decode_address(value)])
    if not isinstance(value, list):
        raise ValueError(f"expected an address or an array of addresses, got {json_type(value)}")
    if len(value) > limits.max_log_addresses:
        raise ValueError(f"exceed max addresses: {len(value)} > {limits.max_log_addresses}")
    return frozenset(decode_address(item) for item in value)


def _decode_topics(value: Any, limits: RpcLimits) -> tuple[frozenset[bytes], ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected an array of topics, got {json_type(value)}")
    if len(value) > MAX_TOPIC_POSITIONS:
        raise ValueError(f"exceed max topics: {len(value)} > {MAX_TOPIC_POSITIONS}")
    positions = []
    for position, item in enumerate(value):
        try:
            if item is None:
                positions.append(frozenset[bytes]())
            elif isinstance(item, str):
                positions.append(frozenset([decode_hash(item)]))
            elif isinstance(item, list):
                if len(item) > limits.max_topic_alternatives:
                    raise ValueError(
                        f"too many alternatives: {len(item)} > {limits.max_topic_alternatives}"
                    )
                alternatives = frozenset(decode_hash(topic) for topic in item
                                         if topic is not None)
                # A null among the alternatives matches anything, as in geth.
                positions.append(frozenset() if None in item else alternatives)
            else:
                raise ValueError(f"expected null, a hash or an array, got {json_type(item)}")
        except ValueError as error:
            raise ValueError(f"position {position}: {error}") from error
    return tuple(positions)
