"""A small asynchronous JSON-RPC client that turns every way a node can fail to answer into one
exception, because under chaos a refused connection, a timeout and a garbled answer all mean the
same thing to the harness: try later or elsewhere."""

from __future__ import annotations

from typing import Any

import aiohttp


class RpcUnavailable(Exception):
    """The node did not answer (refused, timed out, or answered something that is not JSON-RPC)."""


class RpcError(Exception):
    """The node answered with a JSON-RPC error; ``message`` is the node's text."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class RpcClient:
    def __init__(self, session: aiohttp.ClientSession, timeout: float = 3.0) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ids = 0

    async def call(self, url: str, method: str, *params: Any) -> Any:
        self._ids += 1
        body = {"jsonrpc": "2.0", "id": self._ids, "method": method, "params": list(params)}
        try:
            async with self._session.post(url, json=body, timeout=self._timeout) as response:
                answer = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as error:
            raise RpcUnavailable(f"{method} at {url}: {type(error).__name__} {error}") from error
        if not isinstance(answer, dict):
            raise RpcUnavailable(f"{method} at {url}: answer is not a JSON object")
        if "error" in answer:
            error_body = answer["error"]
            if not isinstance(error_body, dict):
                raise RpcUnavailable(f"{method} at {url}: malformed error {error_body!r}")
            code = error_body.get("code")
            raise RpcError(str(error_body.get("message", "")),
                           code if isinstance(code, int) else None)
        if "result" not in answer:
            raise RpcUnavailable(f"{method} at {url}: answer has neither result nor error")
        return answer["result"]

    async def final_block(self, url: str) -> tuple[int, str]:
        """(number, hash) of the node's latest final block."""
        block = await self.call(url, "eth_getBlockByNumber", "finalized", False)
        if not isinstance(block, dict):
            raise RpcUnavailable(f"finalized block at {url}: not a block: {block!r}")
        return _number(block.get("number")), str(block.get("hash"))

    async def block_hash(self, url: str, number: int) -> str | None:
        block = await self.call(url, "eth_getBlockByNumber", hex(number), False)
        if block is None:
            return None
        if not isinstance(block, dict):
            raise RpcUnavailable(f"block {number} at {url}: not a block: {block!r}")
        return str(block.get("hash"))

    async def head(self, url: str) -> int:
        return _number(await self.call(url, "eth_blockNumber"))


def _number(value: Any) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise RpcUnavailable(f"not a hex quantity: {value!r}")
    try:
        return int(value, 16)
    except ValueError as error:
        raise RpcUnavailable(f"not a hex quantity: {value!r}") from error
