"""Errors that cross part boundaries and must reach a JSON-RPC client with a precise reason."""

from __future__ import annotations


class RejectedTransaction(Exception):
    """A transaction refused at admission. ``message`` uses geth's wording where geth has one.

    ``code`` is the JSON-RPC error code to answer with (geth uses -32000 for admission errors).
    """

    def __init__(self, message: str, code: int = -32000) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ExecutionReverted(Exception):
    """eth_call / eth_estimateGas reverted: answered with code 3 and the revert data, like geth."""

    def __init__(self, revert_data: bytes, reason: str | None = None) -> None:
        self.revert_data = revert_data
        self.reason = reason
        message = "execution reverted" + (f": {reason}" if reason else "")
        super().__init__(message)
        self.message = message


class CallFailed(Exception):
    """eth_call / eth_estimateGas failed for a reason other than a revert (out of gas, bad opcode,
    insufficient funds): answered with -32000 and this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownBlock(Exception):
    """A block tag, number or hash that this node does not have."""
