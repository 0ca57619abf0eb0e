"""web3.py, unchanged, against the server on a real TCP port: HTTP (sync and async) and WS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from eth_account import Account
from hexbytes import HexBytes
from web3 import AsyncHTTPProvider, AsyncWeb3, HTTPProvider, Web3, WebSocketProvider
from web3.exceptions import BlockNotFound, ContractLogicError

from ordo.rpc import RpcServer, start_rpc_server
from tests.rpc.rpc_chain import (
    CHAIN_ID,
    GWEI,
    KEYS,
    NEXT_BASE_FEE,
    REVERTER,
    SENDERS,
    TIP,
    TOKEN,
    FakeBackend,
    created_address,
    to_checksum_address,
    token_transfer,
)


@pytest.fixture
async def server(backend: FakeBackend) -> AsyncIterator[RpcServer]:
    running = await start_rpc_server(backend, "127.0.0.1", 0)
    yield running
    await running.stop()


async def test_async_web3_reads_everything(server: RpcServer, backend: FakeBackend) -> None:
    w3 = AsyncWeb3(AsyncHTTPProvider(server.url))
    assert await w3.eth.chain_id == CHAIN_ID
    assert await w3.eth.block_number == 4
    assert await w3.is_connected()
    block = await w3.eth.get_block(1, full_transactions=True)
    assert block["number"] == 1 and block["hash"] == HexBytes(backend.blocks[1].hash)
    assert block["baseFeePerGas"] == GWEI and len(block["transactions"]) == 3
    legacy, access_list, creation = block["transactions"]
    assert legacy["type"] == 0 and access_list["type"] == 1 and creation["type"] == 2
    assert access_list["accessList"][0]["address"] == to_checksum_address(TOKEN)
    assert creation["to"] is None and creation["maxFeePerGas"] == 5 * GWEI
    set_code = (await w3.eth.get_block(3, full_transactions=True))["transactions"][1]
    assert set_code["type"] == 4 and len(set_code["authorizationList"]) == 1
    for tx in block["transactions"]:
        assert await w3.eth.get_transaction(tx["hash"]) == tx
    receipt = await w3.eth.get_transaction_receipt(creation["hash"])
    assert receipt["contractAddress"] == to_checksum_address(created_address())
    assert receipt["status"] == 1 and receipt["gasUsed"] == 100_000
    assert len(receipt["logs"]) == 1 and receipt["logs"][0]["logIndex"] == 2
    receipts = await w3.eth.get_block_receipts(1)
    assert [item["transactionIndex"] for item in receipts] == [0, 1, 2]
    logs = await w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest",
                                  "address": to_checksum_address(TOKEN)})
    assert [log["logIndex"] for log in logs] == [0, 1]
    assert await w3.eth.gas_price == NEXT_BASE_FEE + TIP
    assert await w3.eth.max_priority_fee == TIP
    history = await w3.eth.fee_history(3, "latest", [50])
    assert history["oldestBlock"] == 2 and history["baseFeePerGas"][-1] == NEXT_BASE_FEE
    sender = to_checksum_address(SENDERS[0])
    assert await w3.eth.get_balance(sender, "safe") == 10**21 + 2
    assert await w3.eth.get_transaction_count(sender, "pending") == 0
    assert await w3.eth.get_code(to_checksum_address(TOKEN)) == HexBytes("0x6000")
    assert await w3.eth.call({"to": to_checksum_address(TOKEN), "data": "0x0102"}) \
        == HexBytes("0x0201")
    assert await w3.eth.estimate_gas({"to": to_checksum_address(TOKEN), "data": "0x01"}) \
        == 21_016
    with pytest.raises(ContractLogicError, match="execution reverted: nope"):
        await w3.eth.call({"to": to_checksum_address(REVERTER)})
    with pytest.raises(BlockNotFound):
        await w3.eth.get_block(99)


async def test_sync_web3_sends_and_sees_pending(server: RpcServer) -> None:
    def session() -> None:
        w3 = Web3(HTTPProvider(server.url))
        account = Account.from_key(KEYS[0])
        signed = account.sign_transaction({
            "type": 2, "nonce": 0, "maxFeePerGas": 3 * GWEI, "maxPriorityFeePerGas": GWEI,
            "gas": 21_000, "to": to_checksum_address(SENDERS[1]), "value": 5,
            "chainId": CHAIN_ID})
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        pending = w3.eth.get_transaction(tx_hash)
        assert pending["blockNumber"] is None and pending["from"] == account.address
        block = w3.eth.get_block("latest")
        assert block["number"] == 4 and block["totalDifficulty"] == 0
        proof = w3.eth.get_proof(to_checksum_address(TOKEN), [1], "latest")
        assert int.from_bytes(proof["storageProof"][0]["value"], "big") == 2

    await asyncio.to_thread(session)


async def test_web3_websocket_subscription(server: RpcServer, backend: FakeBackend) -> None:
    async with AsyncWeb3(WebSocketProvider(server.ws_url)) as w3:
        assert await w3.eth.block_number == 4
        heads = await w3.eth.subscribe("newHeads")
        logs = await w3.eth.subscribe("logs", {"address": to_checksum_address(TOKEN)})
        committed = await backend.commit([token_transfer(0, 3)])
        seen = {}
        async for message in w3.socket.process_subscriptions():
            seen[message["subscription"]] = message["result"]
            if len(seen) == 2:
                break
        assert seen[heads]["hash"] == HexBytes(committed.hash)
        assert seen[heads]["number"] == 5
        assert seen[logs]["address"] == to_checksum_address(TOKEN)
        assert await w3.eth.unsubscribe(heads) is True
