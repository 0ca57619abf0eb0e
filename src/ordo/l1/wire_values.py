"""Strict decoding of the hex values in an L1 node's answers, with errors naming the field."""

from __future__ import annotations

from typing import Any

from ordo.l1.rpc_errors import L1ResponseError


def quantity(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")) or len(value) < 3:
        raise L1ResponseError(f"{what}: expected a hex quantity, got {value!r:.80}")
    try:
        return int(value[2:], 16)
    except ValueError as error:
        raise L1ResponseError(f"{what}: {value!r:.80} is not hex") from error


def optional_quantity(value: Any, what: str) -> int | None:
    return None if value is None else quantity(value, what)


def data(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise L1ResponseError(f"{what}: expected hex data, got {value!r:.80}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as error:
        raise L1ResponseError(f"{what}: {value!r:.80} is not even-length hex") from error


def fixed(value: Any, size: int, what: str) -> bytes:
    decoded = data(value, what)
    if len(decoded) != size:
        raise L1ResponseError(f"{what}: expected {size} bytes, got {len(decoded)}")
    return decoded


def optional_fixed(value: Any, size: int, what: str) -> bytes | None:
    return None if value is None else fixed(value, size, what)


def object_of(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise L1ResponseError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def field(obj: dict[str, Any], name: str, what: str) -> Any:
    if name not in obj:
        raise L1ResponseError(f"{what}: missing field {name!r}")
    return obj[name]
