from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ordo.rpc import RpcLimits, create_rpc_app
from tests.rpc.rpc_chain import FakeBackend, build_chain


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RpcClient:
    """Posts JSON-RPC requests to the app under test."""

    def __init__(self, client: TestClient, backend: FakeBackend, clock: FakeClock) -> None:
        self.http = client
        self.backend = backend
        self.clock = clock
        self._ids = itertools.count(1)

    async def request(self, method: str, *params: Any) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        response = await self.http.post("/", json=body)
        assert response.status == 200
        answer: dict[str, Any] = await response.json()
        assert answer["id"] == body["id"] and answer["jsonrpc"] == "2.0"
        return answer

    async def call(self, method: str, *params: Any) -> Any:
        answer = await self.request(method, *params)
        assert "error" not in answer, answer
        return answer["result"]

    async def error(self, method: str, *params: Any) -> dict[str, Any]:
        answer = await self.request(method, *params)
        assert "result" not in answer, answer
        error: dict[str, Any] = answer["error"]
        return error

    async def post_raw(self, body: str | bytes) -> tuple[int, Any]:
        response = await self.http.post("/", data=body,
                                        headers={"Content-Type": "application/json"})
        text = await response.text()
        return response.status, json.loads(text) if text else None


RpcFactory = Callable[..., Awaitable[RpcClient]]


@pytest.fixture
def backend() -> FakeBackend:
    return build_chain()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_rpc(backend: FakeBackend, clock: FakeClock) -> AsyncIterator[RpcFactory]:
    clients: list[TestClient] = []

    async def factory(limits: RpcLimits | None = None) -> RpcClient:
        client = TestClient(TestServer(create_rpc_app(backend, limits, clock=clock)))
        await client.start_server()
        clients.append(client)
        return RpcClient(client, backend, clock)

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture
async def rpc(make_rpc: RpcFactory) -> RpcClient:
    return await make_rpc()
