"""Ethereum's JSON hex encodings, decoded as strictly as geth decodes them.

Decoders raise ValueError with geth's wording; the parameter layer prefixes which argument and
field was wrong. Quantities are "0x"-prefixed hex without leading zeros; data is "0x"-prefixed
hex with an even number of digits.
"""

from __future__ import annotations

from typing import Any

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
UINT64_MAX = 2**64 - 1


def encode_quantity(value: int) -> str:
    return hex(value)


def encode_data(value: bytes) -> str:
    return "0x" + value.hex()


def encode_word(value: int) -> str:
    """A 256-bit value as a 32-byte data string (storage values, topics as ints)."""
    return "0x" + value.to_bytes(32, "big").hex()


def _require_hex_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a hex string, got {json_type(value)}")
    if value == "":
        raise ValueError("empty hex string")
    if not value.startswith(("0x", "0X")):
        raise ValueError("hex string without 0x prefix")
    digits = value[2:]
    if not _HEX_DIGITS.issuperset(digits):
        raise ValueError("invalid hex string")
    return digits


def decode_quantity(value: Any, bits: int = 256) -> int:
    """A JSON quantity: "0x0", "0x1f"; no leading zeros, at most ``bits`` bits."""
    digits = _require_hex_string(value)
    if digits == "":
        raise ValueError('hex string "0x"')
    if len(digits) > 1 and digits[0] == "0":
        raise ValueError("hex number with leading zero digits")
    if len(digits) > bits // 4:
        raise ValueError(f"hex number > {bits} bits")
    return int(digits, 16)


def decode_uint64(value: Any) -> int:
    return decode_quantity(value, bits=64)


def decode_data(value: Any, max_bytes: int) -> bytes:
    """Arbitrary bytes: "0x" followed by an even number of hex digits."""
    if isinstance(value, str) and len(value) > 2 + 2 * max_bytes:
        raise ValueError(f"hex data longer than {max_bytes} bytes")
    digits = _require_hex_string(value)
    if len(digits) % 2:
        raise ValueError("hex string of odd length")
    return bytes.fromhex(digits)


def decode_fixed(value: Any, size: int, kind: str) -> bytes:
    """Exactly ``size`` bytes (an address or a hash); any letter case is accepted, like geth."""
    digits = _require_hex_string(value)
    if len(digits) != 2 * size:
        raise ValueError(f"hex string has length {len(digits)}, want {2 * size} for {kind}")
    return bytes.fromhex(digits)


def decode_address(value: Any) -> bytes:
    return decode_fixed(value, 20, "common.Address")


def decode_hash(value: Any) -> bytes:
    return decode_fixed(value, 32, "common.Hash")


def decode_storage_key(value: Any) -> int:
    """A storage slot: up to 32 bytes of hex, shorter forms left-padded (geth accepts "0x0")."""
    digits = _require_hex_string(value)
    if len(digits) > 64:
        raise ValueError("hex string too long, want at most 32 bytes")
    return int(digits or "0", 16)


def decode_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected a boolean, got {json_type(value)}")
    return value


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__

