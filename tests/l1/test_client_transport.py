"""Retries, timeouts and malformed answers, against a scripted HTTP server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from eth_hash.auto import keccak

from ordo.devnet.ports import free_port
from ordo.l1.chain_records import LogFilter
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.rpc_errors import L1ResponseError, L1RpcError, L1Timeout, L1TransportError

FAST = ClientConfig(request_timeout=0.5, max_attempts=3, backoff_initial=0.01,
                    backoff_max=0.02)

Script = Callable[[dict[str, Any], int], web.StreamResponse | Any]


class ScriptedNode:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.request: web.Request | None = None
        self.script: Script = lambda request, attempt: web.json_response(
            {"jsonrpc": "2.0", "id": request["id"], "result": "0x1"})

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.text())
        self.calls.append(body)
        self.request = request
        answer = self.script(body, len(self.calls))
        if asyncio.iscoroutine(answer):
            answer = await answer
        assert isinstance(answer, web.StreamResponse)
        return answer


@pytest.fixture
async def node() -> AsyncIterator[tuple[ScriptedNode, str]]:
    scripted = ScriptedNode()
    app = web.Application()
    app.router.add_post("/", scripted.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield scripted, f"http://127.0.0.1:{port}/"
    await runner.cleanup()


def result(request: dict[str, Any], value: Any) -> web.Response:
    return web.json_response({"jsonrpc": "2.0", "id": request["id"], "result": value})


async def test_http_failures_are_retried_then_succeed(node: tuple[ScriptedNode, str]) -> None:
    scripted, url = node
    scripted.script = lambda request, attempt: web.Response(status=503) if attempt < 3 \
        else result(request, "0x2a")
    async with L1Client(url, FAST) as client:
        assert await client.block_number() == 42
    assert len(scripted.calls) == 3


async def test_retries_give_up_with_a_transport_error(node: tuple[ScriptedNode, str]) -> None:
    scripted, url = node
    scripted.script = lambda request, attempt: web.Response(status=502)
    async with L1Client(url, FAST) as client:
        with pytest.raises(L1TransportError, match="HTTP 502"):
            await client.block_number()
    assert len(scripted.calls) == 3


async def test_a_slow_node_times_out_and_is_retried(node: tuple[ScriptedNode, str]) -> None:
    scripted, url = node

    async def slow_then_fast(request: dict[str, Any], attempt: int) -> web.Response:
        if attempt == 1:
            await asyncio.sleep(2)
        return result(request, "0x7")

    scripted.script = slow_then_fast
    async with L1Client(url, FAST) as client:
        assert await client.block_number() == 7
    assert len(scripted.calls) == 2


async def test_refused_connection_is_a_transport_error() -> None:
    async with L1Client(f"http://127.0.0.1:{free_port()}/", FAST) as client:
        with pytest.raises(L1TransportError, match="eth_chainId"):
            await client.chain_id()


async def test_rpc_errors_are_raised_once_with_code_and_data(
        node: tuple[ScriptedNode, str]) -> None:
    scripted, url = node
    scripted.script = lambda request, attempt: web.json_response(
        {"jsonrpc": "2.0", "id": request["id"],
         "error": {"code": -32000, "message": "nonce too low", "data": {"x": 1}}})
    async with L1Client(url, FAST) as client:
        with pytest.raises(L1RpcError) as raised:
            await client.block_number()
    assert (raised.value.code, raised.value.message, raised.value.data) == \
        (-32000, "nonce too low", {"x": 1})
    assert raised.value.revert_data is None and len(scripted.calls) == 1


@pytest.mark.parametrize("answer", [
    web.Response(text="<html>gateway</html>"),
    web.Response(text="[1, 2]", content_type="application/json"),
    web.json_response({"jsonrpc": "2.0", "id": 1}),
    web.json_response({"jsonrpc": "2.0", "id": 1, "error": "bad"}),
    web.json_response({"jsonrpc": "2.0", "id": 1, "result": "forty-two"}),
    web.json_response({"jsonrpc": "2.0", "id": 1, "result": 42}),
])
async def test_malformed_answers_are_response_errors(node: tuple[ScriptedNode, str],
                                                     answer: web.Response) -> None:
    scripted, url = node
    scripted.script = lambda request, attempt: answer
    async with L1Client(url, FAST) as client:
        with pytest.raises(L1ResponseError):
            await client.block_number()


async def test_get_logs_halves_ranges_the_node_refuses(node: tuple[ScriptedNode, str]) -> None:
    scripted, url = node
    log = {"address": "0x" + "01" * 20, "topics": [], "data": "0x", "blockHash": "0x" + "00" * 32,
           "transactionHash": "0x" + "00" * 32, "transactionIndex": "0x0", "logIndex": "0x0"}

    def answer(request: dict[str, Any], attempt: int) -> web.Response:
        query = request["params"][0]
        first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        if last - first >= 4:
            return web.json_response({"jsonrpc": "2.0", "id": request["id"], "error": {
                "code": -32005, "message": "query returned more than 10000 results"}})
        return result(request, [dict(log, blockNumber=hex(n)) for n in range(first, last + 1)])

    scripted.script = answer
    async with L1Client(url, ClientConfig(log_range=10)) as client:
        logs = await client.get_logs(LogFilter(0, 24))
    assert [entry.block_number for entry in logs] == list(range(25))


async def test_wait_for_receipt_times_out(node: tuple[ScriptedNode, str]) -> None:
    scripted, url = node
    scripted.script = lambda request, attempt: result(request, None)
    async with L1Client(url, FAST) as client:
        with pytest.raises(L1Timeout, match="not included"):
            await client.wait_for_receipt(b"\x01" * 32, timeout=0.2, poll_interval=0.05)
        with pytest.raises(ValueError):
            await client.wait_for_receipt(b"\x01" * 32, confirmations=0)


async def test_send_raw_transaction_already_known_is_success(
        node: tuple[ScriptedNode, str]) -> None:
    scripted, url = node
    scripted.script = lambda request, attempt: web.json_response(
        {"jsonrpc": "2.0", "id": request["id"],
         "error": {"code": -32000, "message": "already known"}})
    async with L1Client(url, FAST) as client:
        assert await client.send_raw_transaction(b"\x02abc") == keccak(b"\x02abc")


def test_client_refuses_bad_configuration() -> None:
    with pytest.raises(ValueError, match="http"):
        L1Client("ws://127.0.0.1:1")
    for bad in ({"request_timeout": 0}, {"max_attempts": 0}, {"log_range": 0},
                {"backoff_initial": 3.0, "backoff_max": 1.0}):
        with pytest.raises(ValueError):
            ClientConfig(**bad)  # type: ignore[arg-type]


async def test_an_oversized_answer_is_refused_not_read(node: tuple[ScriptedNode, str]) -> None:
    """A hostile or broken L1 endpoint cannot make the node hold an unbounded body."""
    scripted, url = node
    capped = ClientConfig(request_timeout=2, max_attempts=3, backoff_initial=0.01,
                          backoff_max=0.02, max_response_bytes=100_000)
    scripted.script = lambda request, attempt: result(request, "0x" + "00" * 60_000)
    async with L1Client(url, capped) as client:
        with pytest.raises(L1ResponseError, match=r"eth_blockNumber from .*: response of "
                                                  r"\d+ bytes exceeds the 100000-byte cap"):
            await client.block_number()

    async def streamed(request: dict[str, Any], attempt: int) -> web.StreamResponse:
        # No Content-Length: chunked, so the cap must cut it off while reading.
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        assert scripted.request is not None
        await response.prepare(scripted.request)
        await response.write(b'{"jsonrpc":"2.0","id":1,"result":"0x' + b"00" * 60_000)
        await response.write(b'"}')
        return response

    scripted.script = streamed
    async with L1Client(url, capped) as client:
        with pytest.raises(L1ResponseError, match="response exceeds the 100000-byte cap"):
            await client.block_number()
    assert len(scripted.calls) == 2  # refused at once, never retried
    assert ClientConfig().max_response_bytes == 64 * 1024 * 1024
