"""What can go wrong talking to an L1 node, as exceptions a caller can tell apart.

A JSON-RPC error is the node's answer (never retried: asking again gives the same answer); a
transport error is the way to the node failing (retried with backoff); a response error is a
node answering something that is not Ethereum JSON-RPC.
"""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


class L1Error(Exception):
    """Any failure of an L1 request."""


class L1TransportError(L1Error):
    """The node could not be reached or answered with an HTTP failure, after every retry."""


class L1ResponseError(L1Error):
    """The node answered, but not with a well-formed JSON-RPC response of the expected shape."""


class L1Timeout(L1Error):
    """A wait (for a receipt, for confirmations) ran out of time."""


class L1RpcError(L1Error):
    """A JSON-RPC error object returned by the node, with its revert data decoded if any."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        self.revert_data = revert_data_of(data)
        self.revert_reason = None if self.revert_data is None else \
            decode_revert_reason(self.revert_data)
        text = f"{method}: {message} (code {code})"
        if self.revert_reason is not None and self.revert_reason not in message:
            text += f": {self.revert_reason}"
        super().__init__(text)

    @property
    def is_revert(self) -> bool:
        return self.code == 3 or self.message.startswith("execution reverted")


def revert_data_of(data: Any) -> bytes | None:
    """The revert bytes in an error's ``data``: a hex string (geth, anvil, Ordo) or an object
    with a ``data`` field (some providers)."""
    if isinstance(data, dict):
        data = data.get("data")
    if not isinstance(data, str) or not data.startswith("0x"):
        return None
    try:
        return bytes.fromhex(data[2:])
    except ValueError:
        return None


def decode_revert_reason(revert_data: bytes) -> str | None:
    """Error(string) as its text, Panic(uint256) as "panic 0x..", anything else None."""
    selector, body = revert_data[:4], revert_data[4:]
    try:
        if selector == ERROR_SELECTOR:
            (reason,) = abi_decode(["string"], body)
            return str(reason)
        if selector == PANIC_SELECTOR:
            (code,) = abi_decode(["uint256"], body)
            return f"panic {code:#x}"
    except (DecodingError, ValueError, OverflowError):
        return None
    return None
