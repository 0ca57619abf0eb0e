"""The "pending" block tag: the block the mempool would make next, without an identity yet."""

from __future__ import annotations

from eth_account import Account

from tests.rpc.conftest import RpcClient
from tests.rpc.rpc_chain import CHAIN_ID, GWEI, KEYS, NEXT_BASE_FEE, RECIPIENT


async def send_one(rpc: RpcClient, nonce: int = 0) -> str:
    fields = dict(type=2, nonce=nonce, maxFeePerGas=5 * GWEI, maxPriorityFeePerGas=GWEI,
                  gas=21_000, to="0x" + RECIPIENT.hex(), value=1, data=b"", chainId=CHAIN_ID)
    raw = bytes(Account.sign_transaction(fields, KEYS[3]).raw_transaction)
    tx_hash: str = await rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
    return tx_hash


async def test_pending_block_is_the_next_number_without_identity(rpc: RpcClient) -> None:
    tx_hash = await send_one(rpc)
    block = await rpc.call("eth_getBlockByNumber", "pending", False)
    assert block["number"] == hex(rpc.backend.head_number() + 1)
    assert block["hash"] is None and block["nonce"] is None and block["miner"] is None
    assert block["parentHash"] == "0x" + rpc.backend.blocks[-1].hash.hex()
    assert block["transactions"] == [tx_hash]
    assert block["baseFeePerGas"] == hex(NEXT_BASE_FEE)
    full = await rpc.call("eth_getBlockByNumber", "pending", True)
    assert full["transactions"][0]["hash"] == tx_hash
    assert full["transactions"][0]["transactionIndex"] == "0x0"


async def test_pending_tag_in_the_other_block_methods(rpc: RpcClient) -> None:
    tx_hash = await send_one(rpc)
    assert await rpc.call("eth_getBlockTransactionCountByNumber", "pending") == "0x1"
    by_index = await rpc.call("eth_getTransactionByBlockNumberAndIndex", "pending", "0x0")
    assert by_index["hash"] == tx_hash
    raw = await rpc.call("eth_getRawTransactionByBlockNumberAndIndex", "pending", "0x0")
    assert raw == await rpc.call("eth_getRawTransactionByHash", tx_hash)
    receipts = await rpc.call("eth_getBlockReceipts", "pending")
    assert [r["transactionHash"] for r in receipts] == [tx_hash]
    assert receipts[0]["gasUsed"] == hex(21_000)
    # latest is still the committed head
    latest = await rpc.call("eth_getBlockByNumber", "latest", False)
    assert latest["number"] == hex(rpc.backend.head_number()) and latest["hash"] is not None


async def test_empty_mempool_gives_an_empty_pending_block(rpc: RpcClient) -> None:
    block = await rpc.call("eth_getBlockByNumber", "pending", True)
    assert block["transactions"] == [] and block["gasUsed"] == "0x0"
