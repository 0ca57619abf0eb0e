"""JSON-RPC error objects, with the codes geth and EIP-1474 use, so clients can react to them."""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
LIMIT_EXCEEDED = -32005
EXECUTION_REVERTED = 3


class RpcError(Exception):
    """An error answered to the client as a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class InvalidParamsError(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(INVALID_PARAMS, message)


class LimitExceededError(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(LIMIT_EXCEEDED, message)


class ServerError(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(SERVER_ERROR, message)


def method_not_found(method: str) -> RpcError:
    return RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")


HEADER_NOT_FOUND = "header not found"
