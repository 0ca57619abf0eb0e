"""The same hostile JSON-RPC over a live node's WebSocket, where a session also holds
subscriptions: every message gets its answer (never -32603) and the socket stays usable."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from hypothesis import given
from hypothesis import strategies as st

from ordo.rpc.limits import RpcLimits
from tests.fuzz.fuzz_settings import fuzz
from tests.fuzz.live_node import RpcClient
from tests.fuzz.test_fuzz_rpc import JSON_VALUES, assert_no_internal_error

SUBSCRIPTION_PARAMS = st.lists(
    st.sampled_from(["newHeads", "logs", "newPendingTransactions", "syncing", "nope", ""])
    | JSON_VALUES, max_size=3)
MESSAGES = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60),
    st.builds(lambda params: json.dumps({"jsonrpc": "2.0", "id": 5, "method": "eth_subscribe",
                                         "params": params}), SUBSCRIPTION_PARAMS),
    st.builds(lambda params: json.dumps({"jsonrpc": "2.0", "id": 6,
                                         "method": "eth_unsubscribe", "params": params}),
              st.lists(JSON_VALUES | st.sampled_from(["0x1", "0x" + "f" * 64]), max_size=2)),
    st.builds(lambda items: json.dumps(items), st.lists(JSON_VALUES, min_size=1, max_size=5)),
)
PROBE = {"jsonrpc": "2.0", "id": "probe", "method": "eth_chainId", "params": []}


async def converse(url: str, messages: list[str | bytes]) -> list[Any]:
    """Send everything, then a probe; collect answers (skipping subscription notifications)
    until the probe's answer comes back."""
    answers: list[Any] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket:
        for message in messages:
            if isinstance(message, bytes):
                await socket.send_bytes(message)
            else:
                await socket.send_str(message)
        await socket.send_str(json.dumps(PROBE))
        async with asyncio.timeout(20):
            while True:
                received = await socket.receive()
                assert received.type == aiohttp.WSMsgType.TEXT, received
                answer = json.loads(received.data)
                if isinstance(answer, dict) and answer.get("method") == "eth_subscription":
                    continue
                if isinstance(answer, dict) and answer.get("id") == "probe":
                    assert "result" in answer, answer
                    return answers
                answers.append(answer)


@fuzz(150)
@given(messages=st.lists(MESSAGES, min_size=1, max_size=8))
def test_hostile_websocket_messages_are_answered_and_the_socket_stays_usable(
        node: RpcClient, messages: list[str | bytes]) -> None:
    answers = asyncio.run(converse(f"ws://127.0.0.1:{node.port}/", messages))
    assert len(answers) <= len(messages)
    for answer in answers:
        assert_no_internal_error(answer)


async def oversized_then_normal(url: str, limit: int) -> tuple[aiohttp.WSMsgType | None, Any]:
    """What the oversized socket received (None: the node reset it mid-send), and the answer
    on a fresh socket afterwards."""
    async with aiohttp.ClientSession() as session:
        closing: aiohttp.WSMsgType | None = None
        async with session.ws_connect(url) as socket:
            try:
                await socket.send_str(" " * (limit + 1))
                closing = (await socket.receive(timeout=20)).type
            except (ConnectionError, aiohttp.ClientError):
                closing = None
        async with session.ws_connect(url) as socket:
            await socket.send_str(json.dumps(PROBE))
            answer = json.loads((await socket.receive(timeout=20)).data)
    return closing, answer


def test_an_oversized_websocket_message_closes_only_that_socket(node: RpcClient) -> None:
    kind, answer = asyncio.run(oversized_then_normal(f"ws://127.0.0.1:{node.port}/",
                                                     RpcLimits().max_body_bytes))
    assert kind in (None, aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR)
    assert answer["result"] == node.call("eth_chainId")
