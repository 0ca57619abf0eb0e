"""WebSocket: JSON-RPC on the same path, the three subscription kinds, caps and slow clients."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType

from ordo.rpc import RpcLimits
from ordo.rpc.server import SERVICE
from tests.rpc.conftest import RpcClient, RpcFactory
from tests.rpc.rpc_chain import (
    CHAIN_ID,
    GWEI,
    KEYS,
    OTHER,
    RECIPIENT,
    TOKEN,
    TRANSFER,
    PlannedTx,
    sign,
    to_checksum_address,
    token_transfer,
    word,
)
from tests.rpc.test_rpc_formatting import HEADER_FIELDS


def hx(data: bytes) -> str:
    return "0x" + data.hex()


class WsClient:
    def __init__(self, socket: ClientWebSocketResponse) -> None:
        self.socket = socket
        self.next_id = 0

    async def send(self, method: str, *params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.socket.send_json({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                     "params": list(params)})
        answer = await self.receive()
        assert answer["id"] == self.next_id, answer
        return answer

    async def call(self, method: str, *params: Any) -> Any:
        answer = await self.send(method, *params)
        assert "error" not in answer, answer
        return answer["result"]

    async def receive(self, timeout: float = 5.0) -> Any:
        return json.loads(await self.socket.receive_str(timeout=timeout))

    async def notification(self, subscription_id: str) -> Any:
        message = await self.receive()
        assert message["method"] == "eth_subscription"
        assert message["params"]["subscription"] == subscription_id
        return message["params"]["result"]

    async def nothing_pending(self) -> None:
        """The next message is the answer to a fresh request, so no notification was queued."""
        assert await self.call("eth_chainId") == hex(CHAIN_ID)


async def connect(rpc: RpcClient) -> WsClient:
    return WsClient(await rpc.http.ws_connect("/"))


async def test_plain_calls_and_batches_over_websocket(rpc: RpcClient) -> None:
    ws = await connect(rpc)
    assert await ws.call("eth_blockNumber") == "0x4"
    assert (await ws.send("eth_getBalance", "0x12"))["error"]["code"] == -32602
    await ws.socket.send_str(json.dumps([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 2, "method": "net_version"},
    ]))
    assert [item["result"] for item in await ws.receive()] == [hex(CHAIN_ID), str(CHAIN_ID)]
    await ws.socket.send_str("{oops")
    assert (await ws.receive())["error"]["code"] == -32700
    await ws.nothing_pending()


async def test_new_heads(rpc: RpcClient) -> None:
    ws = await connect(rpc)
    subscription = await ws.call("eth_subscribe", "newHeads")
    assert subscription.startswith("0x") and len(subscription) == 34
    block = await rpc.backend.commit([token_transfer(0, 1)])
    head = await ws.notification(subscription)
    assert set(head) == HEADER_FIELDS
    assert head["hash"] == hx(block.hash) and head["number"] == "0x5"
    assert head == {key: value for key, value in
                    (await rpc.call("eth_getBlockByNumber", "0x5", False)).items()
                    if key in HEADER_FIELDS}
    assert await ws.call("eth_unsubscribe", subscription) is True
    await rpc.backend.commit([])
    await ws.nothing_pending()
    assert await ws.send("eth_unsubscribe", subscription) == {
        "jsonrpc": "2.0", "id": ws.next_id,
        "error": {"code": -32000, "message": "subscription not found"}}


async def test_logs_with_address_and_topic_filters(rpc: RpcClient) -> None:
    ws = await connect(rpc)
    by_address = await ws.call("eth_subscribe", "logs", {"address": hx(TOKEN)})
    by_topic = await ws.call("eth_subscribe", "logs",
                             {"topics": [hx(TRANSFER), None, hx(word(RECIPIENT))]})
    everything = await ws.call("eth_subscribe", "logs")
    other_log = PlannedTx(
        fields=dict(type=2, nonce=0, maxFeePerGas=4 * GWEI, maxPriorityFeePerGas=GWEI,
                    gas=60_000, to=to_checksum_address(OTHER), value=0, data=b"",
                    chainId=CHAIN_ID),
        key=KEYS[3], gas_used=30_000, logs=[(OTHER, [TRANSFER, word(1), word(2)], b"")],
    )
    await rpc.backend.commit([other_log, token_transfer(0, 42)])
    received: dict[str, list[Any]] = {by_address: [], by_topic: [], everything: []}
    for _ in range(4):
        message = await ws.receive()
        received[message["params"]["subscription"]].append(message["params"]["result"])
    await ws.nothing_pending()
    assert [log["address"] for log in received[everything]] == [hx(OTHER), hx(TOKEN)]
    assert [log["data"] for log in received[by_address]] == [hx(word(42))]
    assert received[by_topic] == received[by_address]
    expected = await rpc.call("eth_getLogs", {"fromBlock": "0x5", "address": hx(TOKEN)})
    assert received[by_address] == expected


async def test_new_pending_transactions(rpc: RpcClient) -> None:
    ws = await connect(rpc)
    hashes_only = await ws.call("eth_subscribe", "newPendingTransactions")
    full = await ws.call("eth_subscribe", "newPendingTransactions", True)
    raw = sign(dict(nonce=0, gasPrice=2 * GWEI, gas=21_000, to=to_checksum_address(RECIPIENT),
                    value=1, chainId=CHAIN_ID), KEYS[2])
    tx_hash = await rpc.call("eth_sendRawTransaction", hx(raw))
    results = {}
    for _ in range(2):
        message = await ws.receive()
        results[message["params"]["subscription"]] = message["params"]["result"]
    assert results[hashes_only] == tx_hash
    assert results[full] == await rpc.call("eth_getTransactionByHash", tx_hash)
    assert results[full]["blockHash"] is None


async def test_bad_subscriptions(rpc: RpcClient) -> None:
    ws = await connect(rpc)
    unknown = await ws.send("eth_subscribe", "syncing")
    assert unknown["error"]["code"] == -32602
    assert 'no "syncing" subscription' in unknown["error"]["message"]
    ranged = await ws.send("eth_subscribe", "logs", {"fromBlock": "0x1"})
    assert ranged["error"]["code"] == -32602
    bad_topic = await ws.send("eth_subscribe", "logs", {"topics": ["0x12"]})
    assert bad_topic["error"]["code"] == -32602


async def test_subscription_cap_per_connection(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_subscriptions_per_connection=2))
    first, second = await connect(rpc), await connect(rpc)
    one = await first.call("eth_subscribe", "newHeads")
    await first.call("eth_subscribe", "logs")
    assert (await first.send("eth_subscribe", "newPendingTransactions"))["error"] == {
        "code": -32005, "message": "too many subscriptions: at most 2 per connection"}
    assert await second.call("eth_subscribe", "newHeads")
    await first.call("eth_unsubscribe", one)
    assert await first.call("eth_subscribe", "newPendingTransactions")


async def test_closed_connection_drops_its_subscriptions(rpc: RpcClient) -> None:
    feed = rpc.http.server.app[SERVICE].feed
    ws = await connect(rpc)
    await ws.call("eth_subscribe", "newHeads")
    await ws.call("eth_subscribe", "logs")
    assert feed.subscription_count() == 2
    await ws.socket.close()
    for _ in range(100):
        if feed.subscription_count() == 0:
            break
        await asyncio.sleep(0.01)
    assert feed.subscription_count() == 0
    await rpc.backend.commit([])  # publishing to nobody is fine
    assert await rpc.call("eth_blockNumber") == "0x5"


async def test_slow_client_is_dropped_without_holding_up_others(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(ws_send_queue=4))
    slow, fast = await connect(rpc), await connect(rpc)
    await slow.call("eth_subscribe", "newPendingTransactions")
    heads = await fast.call("eth_subscribe", "newHeads")
    # Ten notifications arrive before the slow client's writer gets a chance to run.
    for index in range(10):
        for listener in rpc.backend.pending_listeners:
            listener(index.to_bytes(32, "big"))
    block = await rpc.backend.commit([])
    assert (await fast.notification(heads))["hash"] == hx(block.hash)
    closing = None
    for _ in range(10):
        message = await slow.socket.receive(timeout=5)
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            closing = message
            break
    assert closing is not None and slow.socket.close_code == 1008
    await fast.nothing_pending()


async def test_oversized_websocket_message_closes_connection(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_body_bytes=1000))
    ws = await connect(rpc)
    await ws.socket.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "web3_sha3",
                                         "params": ["0x" + "00" * 1000]}))
    message = await ws.socket.receive(timeout=5)
    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert ws.socket.close_code == 1009
    assert await rpc.call("eth_blockNumber") == "0x4"


async def test_websocket_connections_are_bounded_per_address_and_in_all(
        make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_ws_connections=3, max_ws_connections_per_ip=2))
    service = rpc.http.server.app[SERVICE]
    first, second = await connect(rpc), await connect(rpc)
    with pytest.raises(aiohttp.WSServerHandshakeError) as per_address:
        await rpc.http.ws_connect("/")
    assert per_address.value.status == 503
    assert service.refused_websockets == 1
    # The refusal says which bound, so a client knows to wait or to use HTTP.
    answer = await rpc.http.get("/", headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                              "Sec-WebSocket-Version": "13",
                                              "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert answer.status == 503
    assert "too many WebSocket connections from 127.0.0.1: at most 2 per address" in \
        await answer.text()
    assert await first.call("eth_blockNumber") == "0x4"  # the held ones keep working
    await second.socket.close()
    for _ in range(100):
        if len(service.connections) == 1:
            break
        await asyncio.sleep(0.01)
    again = await connect(rpc)
    assert await again.call("eth_blockNumber") == "0x4"
    assert service.refused_websockets == 2

    whole = await make_rpc(RpcLimits(max_ws_connections=1, max_ws_connections_per_ip=5))
    await connect(whole)
    with pytest.raises(aiohttp.WSServerHandshakeError) as server_full:
        await whole.http.ws_connect("/")
    assert server_full.value.status == 503
