"""JSON-RPC 2.0 envelopes: parsing, validation, batches, and turning failures into error objects.

Transport-free: HTTP and WebSocket both hand raw text here and send back what comes out.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import re
from itertools import accumulate
from typing import Any

from ordo.core.errors import UnknownBlock
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import (
    HEADER_NOT_FOUND,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    SERVER_ERROR,
    RpcError,
    method_not_found,
)

logger = logging.getLogger(__name__)

_NO_ID = object()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


_STRING_LITERAL = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_text_depth(text: str, limit: int) -> int:
    """How deeply arrays/objects nest in JSON text, measured before parsing: the C parser
    recurses per level and a deep enough document crashes the interpreter, not just raises."""
    if text.count("[") + text.count("{") <= limit:
        return 0
    brackets = _NOT_BRACKET.sub("", _STRING_LITERAL.sub("", text))
    return max(accumulate(_BRACKET_STEP[char] for char in brackets))


def error_response(error: RpcError, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def encode(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


class Dispatcher:
    def __init__(self, context: RpcContext, methods: MethodTable) -> None:
        self._context = context
        self._methods = methods

    async def handle(self, text: str | bytes, session: Session | None) -> str | None:
        """The response text for a request body, or None when nothing is to be answered
        (only notifications were sent)."""
        limits = self._context.limits
        try:
            if isinstance(text, bytes):
                text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            return encode(error_response(RpcError(PARSE_ERROR, f"parse error: {error}")))
        if json_text_depth(text, limits.max_json_depth) > limits.max_json_depth:
            return encode(error_response(RpcError(
                INVALID_REQUEST, f"invalid request: JSON nested deeper than "
                f"{limits.max_json_depth} levels")))
        try:
            message = json.loads(text, parse_constant=_reject_constant,
                                 parse_float=_finite_float)
        except (ValueError, RecursionError) as error:
            return encode(error_response(RpcError(PARSE_ERROR, f"parse error: {error}")))
        if not isinstance(message, list):
            response = await self._handle_one(message, session)
            return None if response is None else encode(response)
        if not message:
            return encode(error_response(RpcError(INVALID_REQUEST, "empty batch")))
        if len(message) > limits.max_batch_length:
            first_id = next((item.get("id") for item in message
                             if isinstance(item, dict) and _valid_id(item.get("id"))), None)
            return encode([error_response(RpcError(
                INVALID_REQUEST,
                f"batch too large: {len(message)} requests, at most {limits.max_batch_length}"),
                first_id)])
        responses = []
        for item in message:
            response = await self._handle_one(item, session)
            if response is not None:
                responses.append(response)
        return encode(responses) if responses else None

    async def _handle_one(self, request: Any, session: Session | None) -> dict[str, Any] | None:
        if not isinstance(request, dict):
            return error_response(RpcError(INVALID_REQUEST,
                                           "invalid request: expected a JSON object"))
        request_id = request.get("id", _NO_ID)
        if request_id is not _NO_ID and not _valid_id(request_id):
            return error_response(RpcError(
                INVALID_REQUEST, "invalid request: id must be a string, a number or null"))
        reply_id = None if request_id is _NO_ID else request_id
        problem = _envelope_problem(request)
        if problem is not None:
            return error_response(RpcError(INVALID_REQUEST, f"invalid request: {problem}"),
                                  reply_id)
        params = request.get("params")
        try:
            if params is not None and not isinstance(params, list):
                raise RpcError(INVALID_PARAMS, "non-array args")
            result = await self._call(request["method"], params or [], session)
        except RpcError as error:
            response = error_response(error, reply_id)
        else:
            response = {"jsonrpc": "2.0", "id": reply_id, "result": result}
        return None if request_id is _NO_ID else response

    async def _call(self, method: str, params: list[Any], session: Session | None) -> Any:
        handler = self._methods.get(method)
        if handler is None:
            raise method_not_found(method)
        try:
            result = handler(self._context, params, session)
            if inspect.isawaitable(result):
                result = await result
            return result
        except RpcError:
            raise
        except UnknownBlock as error:
            raise RpcError(SERVER_ERROR, HEADER_NOT_FOUND) from error
        except Exception as error:
            logger.exception("RPC method %s failed", method)
            raise RpcError(INTERNAL_ERROR, "internal error") from error


def _valid_id(value: Any) -> bool:
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def _envelope_problem(request: dict[str, Any]) -> str | None:
    if request.get("jsonrpc") != "2.0":
        return 'the "jsonrpc" member must be exactly "2.0"'
    method = request.get("method")
    if not isinstance(method, str) or not method:
        return 'the "method" member must be a non-empty string'
    return None
