"""eth_getRawTransaction*: the exact bytes that were signed and sent, mined or pending."""

from __future__ import annotations

from eth_account import Account
from eth_hash.auto import keccak

from tests.rpc.conftest import RpcClient
from tests.rpc.rpc_chain import (
    BLOB_BASE_FEE,
    CHAIN_ID,
    GWEI,
    KEYS,
    RECIPIENT,
    block_one_plan,
    block_three_plan,
    sign,
)

UNKNOWN = "0x" + "ab" * 32


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


async def test_raw_transaction_by_hash_is_the_signed_encoding(rpc: RpcClient) -> None:
    # legacy (RLP list), EIP-2930, EIP-1559 and EIP-7702 (typed envelopes)
    raws = [sign(p.fields, p.key) for p in block_one_plan() + block_three_plan()]
    assert {raw[0] for raw in raws} >= {0x01, 0x02, 0x04} and raws[0][0] >= 0xC0
    for raw in raws:
        assert await rpc.call("eth_getRawTransactionByHash", _hex(keccak(raw))) == _hex(raw)


async def test_raw_transaction_by_block_and_index(rpc: RpcClient) -> None:
    raws = [sign(p.fields, p.key) for p in block_one_plan()]
    block_hash = _hex(rpc.backend.blocks[1].hash)
    for index, raw in enumerate(raws):
        assert await rpc.call("eth_getRawTransactionByBlockNumberAndIndex", "0x1",
                              hex(index)) == _hex(raw)
        assert await rpc.call("eth_getRawTransactionByBlockHashAndIndex", block_hash,
                              hex(index)) == _hex(raw)


async def test_raw_transaction_not_found_is_empty_bytes_like_geth(rpc: RpcClient) -> None:
    assert await rpc.call("eth_getRawTransactionByHash", UNKNOWN) == "0x"
    assert await rpc.call("eth_getRawTransactionByBlockNumberAndIndex", "0x1", "0x3") == "0x"
    assert await rpc.call("eth_getRawTransactionByBlockNumberAndIndex", "0x99", "0x0") == "0x"
    assert await rpc.call("eth_getRawTransactionByBlockHashAndIndex", UNKNOWN, "0x0") == "0x"


async def test_raw_transaction_of_a_pending_transaction(rpc: RpcClient) -> None:
    fields = dict(type=2, nonce=0, maxFeePerGas=5 * GWEI, maxPriorityFeePerGas=GWEI, gas=21_000,
                  to="0x" + RECIPIENT.hex(), value=1, data=b"", chainId=CHAIN_ID)
    raw = bytes(Account.sign_transaction(fields, KEYS[3]).raw_transaction)
    tx_hash = await rpc.call("eth_sendRawTransaction", _hex(raw))
    assert await rpc.call("eth_getRawTransactionByHash", tx_hash) == _hex(raw)


async def test_raw_transaction_bad_params(rpc: RpcClient) -> None:
    assert (await rpc.error("eth_getRawTransactionByHash", "0x12"))["code"] == -32602
    error = await rpc.error("eth_getRawTransactionByBlockNumberAndIndex", "0x1")
    assert error["code"] == -32602 and "argument 1" in error["message"]


async def test_blob_base_fee(rpc: RpcClient) -> None:
    assert await rpc.call("eth_blobBaseFee") == hex(BLOB_BASE_FEE)
    assert (await rpc.error("eth_blobBaseFee", "0x1"))["code"] == -32602
