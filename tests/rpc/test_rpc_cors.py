"""Browser origins: a page the policy does not allow is refused before anything runs (a CORS
header alone would only hide the answer), and allowed pages get headers that let them read it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ordo.rpc import create_rpc_app
from ordo.rpc.cors import (
    CLOSED_TO_PAGES,
    OPEN_TO_ANY_PAGE,
    CorsConfigError,
    CorsPolicy,
    parse_origins,
)
from ordo.rpc.server import SERVICE
from tests.rpc.rpc_chain import FakeBackend

BLOCK_NUMBER = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
EVIL = "http://evil.example"

ClientFactory = Callable[[CorsPolicy], Awaitable[TestClient]]


@pytest.fixture
async def serve(backend: FakeBackend) -> AsyncIterator[ClientFactory]:
    clients: list[TestClient] = []

    async def factory(policy: CorsPolicy) -> TestClient:
        client = TestClient(TestServer(create_rpc_app(backend, cors=policy)))
        await client.start_server()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


async def test_a_closed_server_refuses_pages_and_serves_programs(serve: ClientFactory) -> None:
    client = await serve(CLOSED_TO_PAGES)
    refused = await client.post("/", json=BLOCK_NUMBER, headers={"Origin": EVIL})
    assert refused.status == 403
    answer = await refused.json()
    assert "origin http://evil.example is not allowed" in answer["error"]["message"]
    assert "Access-Control-Allow-Origin" not in refused.headers
    # A text/plain body needs no preflight in a browser: it must be refused all the same.
    simple = await client.post("/", data=b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}',
                               headers={"Origin": EVIL, "Content-Type": "text/plain"})
    assert simple.status == 403
    preflight = await client.options("/", headers={"Origin": EVIL})
    assert preflight.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as handshake:
        await client.ws_connect("/", headers={"Origin": EVIL})
    assert handshake.value.status == 403
    assert client.server.app[SERVICE].refused_origins == 4

    program = await client.post("/", json=BLOCK_NUMBER)
    assert program.status == 200 and "result" in await program.json()
    assert "Access-Control-Allow-Origin" not in program.headers
    socket = await client.ws_connect("/")
    await socket.send_json(BLOCK_NUMBER)
    assert "result" in await socket.receive_json()
    await socket.close()
    assert client.server.app[SERVICE].refused_origins == 4


async def test_its_own_pages_by_address_pass_but_a_rebinding_domain_does_not(
        serve: ClientFactory) -> None:
    client = await serve(CLOSED_TO_PAGES)
    host = f"127.0.0.1:{client.port}"
    own = await client.post("/", json=BLOCK_NUMBER,
                            headers={"Origin": f"http://{host}", "Host": host})
    assert own.status == 200
    assert own.headers["Access-Control-Allow-Origin"] == f"http://{host}"
    rebound = "evil.example:8545"
    refused = await client.post("/", json=BLOCK_NUMBER,
                                headers={"Origin": f"http://{rebound}", "Host": rebound})
    assert refused.status == 403


async def test_an_open_server_lets_any_page_read(serve: ClientFactory) -> None:
    client = await serve(OPEN_TO_ANY_PAGE)
    answer = await client.post("/", json=BLOCK_NUMBER, headers={"Origin": EVIL})
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    preflight = await client.options("/", headers={"Origin": EVIL})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST, GET, OPTIONS"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type"


async def test_a_listed_origin_is_echoed_and_others_refused(serve: ClientFactory) -> None:
    client = await serve(parse_origins("https://app.example, http://localhost:3000"))
    allowed = await client.post("/", json=BLOCK_NUMBER,
                                headers={"Origin": "http://localhost:3000"})
    assert allowed.status == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert allowed.headers["Vary"] == "Origin"
    other = await client.post("/", json=BLOCK_NUMBER, headers={"Origin": "https://app.example.evil"})
    assert other.status == 403


def test_policies_refuse_what_is_not_an_origin() -> None:
    assert parse_origins("") == CLOSED_TO_PAGES
    assert parse_origins(" * ") == OPEN_TO_ANY_PAGE
    for bad in ("app.example", "ftp://app.example", "https://app.example/path", "https://"):
        with pytest.raises(CorsConfigError, match="allowed is"):
            parse_origins(bad)
