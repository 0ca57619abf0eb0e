"""eth_getLogs selection rules, bloom skipping and limits."""

from __future__ import annotations

from typing import Any

from ordo.rpc import RpcLimits
from tests.rpc.conftest import RpcClient, RpcFactory
from tests.rpc.rpc_chain import (
    APPROVAL,
    CREATED,
    OTHER,
    RECIPIENT,
    SENDERS,
    TOKEN,
    TRANSFER,
    created_address,
    word,
)

EVERYTHING = {"fromBlock": "earliest", "toBlock": "latest"}


def hx(data: bytes) -> str:
    return "0x" + data.hex()


async def logs(rpc: RpcClient, **criteria: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await rpc.call("eth_getLogs", {**EVERYTHING, **criteria})
    return result


def positions(found: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(int(log["blockNumber"], 16), int(log["logIndex"], 16)) for log in found]


async def test_all_logs_in_order(rpc: RpcClient) -> None:
    found = await logs(rpc)
    assert positions(found) == [(1, 0), (1, 1), (1, 2), (3, 0)]
    receipts = await rpc.call("eth_getBlockReceipts", "0x1")
    assert found[:3] == receipts[1]["logs"] + receipts[2]["logs"]


async def test_default_range_is_latest_block(rpc: RpcClient) -> None:
    assert await rpc.call("eth_getLogs", {}) == []
    assert positions(await rpc.call("eth_getLogs", {"fromBlock": "0x3"})) == [(3, 0)]
    block_one = hx(rpc.backend.blocks[1].hash)
    assert positions(await rpc.call("eth_getLogs", {"blockHash": block_one})) \
        == [(1, 0), (1, 1), (1, 2)]
    assert await rpc.error("eth_getLogs", {"blockHash": "0x" + "ab" * 32}) == {
        "code": -32000, "message": "unknown block"}


async def test_address_filters(rpc: RpcClient) -> None:
    assert positions(await logs(rpc, address=hx(TOKEN))) == [(1, 0), (1, 1)]
    assert positions(await logs(rpc, address=[hx(OTHER), hx(created_address())])) \
        == [(1, 2), (3, 0)]
    assert await logs(rpc, address=hx(RECIPIENT)) == []


async def test_topic_filters(rpc: RpcClient) -> None:
    assert positions(await logs(rpc, topics=[hx(TRANSFER)])) == [(1, 0), (3, 0)]
    assert positions(await logs(rpc, topics=[[hx(TRANSFER), hx(APPROVAL)]])) \
        == [(1, 0), (1, 1), (3, 0)]
    assert positions(await logs(rpc, topics=[None, hx(word(SENDERS[1]))])) == [(1, 0), (1, 1)]
    assert positions(await logs(rpc, topics=[[], hx(word(SENDERS[1]))])) == [(1, 0), (1, 1)]
    assert positions(await logs(rpc, topics=[hx(TRANSFER), None, hx(word(RECIPIENT))])) \
        == [(1, 0)]
    assert positions(await logs(rpc, topics=[[hx(TRANSFER), None]])) \
        == [(1, 0), (1, 1), (1, 2), (3, 0)]
    # A log with fewer topics than the filter has positions never matches (as in geth).
    assert positions(await logs(rpc, topics=[hx(CREATED)])) == [(1, 2)]
    assert await logs(rpc, topics=[hx(CREATED), None]) == []
    assert positions(await logs(rpc, address=hx(TOKEN), topics=[hx(APPROVAL)])) == [(1, 1)]


async def test_bloom_skips_blocks(rpc: RpcClient) -> None:
    rpc.backend.block_log_reads.clear()
    assert positions(await logs(rpc, address=hx(OTHER))) == [(3, 0)]
    assert rpc.backend.block_log_reads == [3]
    rpc.backend.block_log_reads.clear()
    await logs(rpc, topics=[hx(APPROVAL)])
    assert rpc.backend.block_log_reads == [1]


async def test_block_range_limit(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_logs_block_range=2))
    assert positions(await rpc.call("eth_getLogs", {"fromBlock": "0x2", "toBlock": "0x3"})) \
        == [(3, 0)]
    assert await rpc.error("eth_getLogs", EVERYTHING) == {
        "code": -32005, "message": "query exceeds max block range 2"}


async def test_result_count_limit(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_logs_results=3))
    assert len(await rpc.call("eth_getLogs", {**EVERYTHING, "toBlock": "0x2"})) == 3
    assert await rpc.error("eth_getLogs", EVERYTHING) == {
        "code": -32005, "message": "query returned more than 3 results"}


async def test_address_count_limit(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_log_addresses=2))
    answer = await rpc.error("eth_getLogs", {"address": [hx(TOKEN), hx(OTHER), hx(RECIPIENT)]})
    assert answer == {"code": -32602,
                      "message": 'invalid argument 0: field "address": exceed max addresses: '
                                 "3 > 2"}
