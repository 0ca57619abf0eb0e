"""Polling filters: what each kind collects, draining, uninstalling, expiry and the total cap."""

from __future__ import annotations

from ordo.rpc import RpcLimits
from ordo.rpc.filters import FilterKind, FilterRegistry
from tests.rpc.conftest import RpcClient, RpcFactory
from tests.rpc.rpc_chain import (
    CHAIN_ID,
    GWEI,
    KEYS,
    RECIPIENT,
    TOKEN,
    sign,
    to_checksum_address,
    token_transfer,
)


def hx(data: bytes) -> str:
    return "0x" + data.hex()


async def test_block_filter(rpc: RpcClient) -> None:
    filter_id = await rpc.call("eth_newBlockFilter")
    assert filter_id.startswith("0x") and len(filter_id) == 34
    assert await rpc.call("eth_getFilterChanges", filter_id) == []
    first = await rpc.backend.commit([])
    second = await rpc.backend.commit([])
    assert await rpc.call("eth_getFilterChanges", filter_id) == [hx(first.hash), hx(second.hash)]
    assert await rpc.call("eth_getFilterChanges", filter_id) == []


async def test_pending_transaction_filter(rpc: RpcClient) -> None:
    filter_id = await rpc.call("eth_newPendingTransactionFilter")
    raw = sign(dict(nonce=0, gasPrice=2 * GWEI, gas=21_000, to=to_checksum_address(RECIPIENT),
                    value=1, chainId=CHAIN_ID), KEYS[2])
    tx_hash = await rpc.call("eth_sendRawTransaction", hx(raw))
    assert await rpc.call("eth_getFilterChanges", filter_id) == [tx_hash]
    assert await rpc.call("eth_getFilterChanges", filter_id) == []


async def test_log_filter(rpc: RpcClient) -> None:
    token_filter = await rpc.call("eth_newFilter", {"address": hx(TOKEN)})
    other_filter = await rpc.call("eth_newFilter", {"address": "0x" + "99" * 20})
    ranged_filter = await rpc.call("eth_newFilter", {"fromBlock": "0x0", "toBlock": "0x5"})
    await rpc.backend.commit([token_transfer(0, 11)])  # block 5
    await rpc.backend.commit([token_transfer(1, 12)])  # block 6
    changes = await rpc.call("eth_getFilterChanges", token_filter)
    assert [int(log["data"], 16) for log in changes] == [11, 12]
    assert changes == (await rpc.call("eth_getLogs", {"fromBlock": "0x5", "toBlock": "0x6"}))
    assert await rpc.call("eth_getFilterChanges", token_filter) == []
    assert await rpc.call("eth_getFilterChanges", other_filter) == []
    assert [log["blockNumber"] for log in
            await rpc.call("eth_getFilterChanges", ranged_filter)] == ["0x5"]
    # getFilterLogs re-runs the whole query against the chain.
    historic = await rpc.call("eth_getFilterLogs", ranged_filter)
    assert [log["blockNumber"] for log in historic] == ["0x1", "0x1", "0x1", "0x3", "0x5"]
    block_filter = await rpc.call("eth_newBlockFilter")
    assert await rpc.error("eth_getFilterLogs", block_filter) == {
        "code": -32000, "message": "filter not found"}


async def test_uninstall(rpc: RpcClient) -> None:
    filter_id = await rpc.call("eth_newBlockFilter")
    assert await rpc.call("eth_uninstallFilter", filter_id) is True
    assert await rpc.call("eth_uninstallFilter", filter_id) is False
    assert await rpc.error("eth_getFilterChanges", filter_id) == {
        "code": -32000, "message": "filter not found"}
    assert (await rpc.error("eth_getFilterChanges", 5))["code"] == -32602


async def test_idle_filters_expire(rpc: RpcClient) -> None:
    kept = await rpc.call("eth_newBlockFilter")
    dropped = await rpc.call("eth_newPendingTransactionFilter")
    for _ in range(3):
        rpc.clock.advance(200)
        assert await rpc.call("eth_getFilterChanges", kept) == []
    assert await rpc.error("eth_getFilterChanges", dropped) == {
        "code": -32000, "message": "filter not found"}
    rpc.clock.advance(301)
    assert (await rpc.error("eth_getFilterChanges", kept))["message"] == "filter not found"


async def test_total_filter_cap(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_filters=2))
    await rpc.call("eth_newBlockFilter")
    await rpc.call("eth_newFilter", {})
    assert await rpc.error("eth_newPendingTransactionFilter") == {
        "code": -32005, "message": "too many filters: at most 2 may be installed"}
    rpc.clock.advance(301)
    assert await rpc.call("eth_newPendingTransactionFilter")


def test_registry_sweep_and_buffer_bound() -> None:
    now = [0.0]
    registry = FilterRegistry(lambda: now[0], max_filters=10, idle_seconds=60,
                              buffer_capacity=3)
    first = registry.install(FilterKind.BLOCKS)
    registry.install(FilterKind.BLOCKS)
    for item in registry.of_kind(FilterKind.BLOCKS):
        for value in range(5):
            item.push(value)
    assert registry.drain(first) == [2, 3, 4]
    now[0] = 61
    assert registry.expire() == 2
    assert len(registry) == 0
