"""Human-readable reasons from revert data, the way geth prints them after "execution reverted: ".

Solidity and Vyper encode ``require``/``assert`` failures as ``Error(string)``; Solidity's checked
arithmetic and ``assert`` use ``Panic(uint256)``. Anything else (custom errors, raw bytes) has no
reason text: the client gets the raw data.
"""

from __future__ import annotations

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # keccak("Error(string)")[:4]
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # keccak("Panic(uint256)")[:4]

PANIC_REASONS = {
    0x00: "generic panic",
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "out-of-bounds array access; popping on an empty array",
    0x32: "out-of-bounds access of an array or bytesN",
    0x41: "out of memory",
    0x51: "uninitialized function",
}

_WORD = 32


def decode_revert_reason(revert_data: bytes) -> str | None:
    """The reason carried by ``revert_data``, or None when it is not a standard encoding."""
    if revert_data[:4] == ERROR_SELECTOR:
        return _decode_error_string(revert_data[4:])
    if revert_data[:4] == PANIC_SELECTOR and len(revert_data) == 4 + _WORD:
        code = int.from_bytes(revert_data[4:], "big")
        return PANIC_REASONS.get(code, f"unknown panic code: {code:#x}")
    return None


def _decode_error_string(payload: bytes) -> str | None:
    if len(payload) < 2 * _WORD:
        return None
    offset = int.from_bytes(payload[:_WORD], "big")
    if offset + _WORD > len(payload):
        return None
    length = int.from_bytes(payload[offset : offset + _WORD], "big")
    start = offset + _WORD
    if start + length > len(payload):
        return None
    try:
        return payload[start : start + length].decode("utf-8")
    except UnicodeDecodeError:
        return None
