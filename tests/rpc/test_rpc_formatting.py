"""Every read method's answer, checked field by field against geth's JSON shape."""

from __future__ import annotations

import rlp
from eth.vm.forks.prague.blocks import PragueBlock
from eth_account import Account
from eth_hash.auto import keccak

from ordo.core.block import Block
from ordo.core.transaction import decode_transaction
from ordo.rpc.formatting import block_size
from tests.rpc.conftest import RpcClient
from tests.rpc.rpc_chain import (
    BASE_FEE,
    CHAIN_ID,
    GWEI,
    KEYS,
    NEXT_BASE_FEE,
    RECIPIENT,
    SENDERS,
    TIP,
    TOKEN,
    created_address,
    sign,
)

HEADER_FIELDS = {
    "number", "hash", "parentHash", "nonce", "mixHash", "sha3Uncles", "logsBloom", "stateRoot",
    "miner", "difficulty", "extraData", "gasLimit", "gasUsed", "timestamp", "transactionsRoot",
    "receiptsRoot", "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas",
    "parentBeaconBlockRoot", "requestsHash",
}
BLOCK_FIELDS = HEADER_FIELDS | {"totalDifficulty", "size", "transactions", "uncles",
                                "withdrawals"}
COMMON_TX_FIELDS = {"blockHash", "blockNumber", "blockTimestamp", "from", "gas", "gasPrice",
                    "hash", "input", "nonce", "to", "transactionIndex", "value", "type", "v", "r",
                    "s"}
RECEIPT_FIELDS = {"transactionHash", "transactionIndex", "blockHash", "blockNumber",
                  "blockTimestamp", "from", "to",
                  "cumulativeGasUsed", "gasUsed", "contractAddress", "logs", "logsBloom",
                  "status", "effectiveGasPrice", "type"}
LOG_FIELDS = {"address", "topics", "data", "blockNumber", "transactionHash", "transactionIndex",
              "blockHash", "blockTimestamp", "logIndex", "removed"}


def hx(data: bytes) -> str:
    return "0x" + data.hex()


async def test_block_header_fields(rpc: RpcClient) -> None:
    block = rpc.backend.blocks[1]
    answer = await rpc.call("eth_getBlockByNumber", "0x1", False)
    assert set(answer) == BLOCK_FIELDS
    header = block.header
    assert answer["number"] == "0x1"
    assert answer["hash"] == hx(block.hash)
    assert answer["parentHash"] == hx(rpc.backend.blocks[0].hash)
    assert answer["nonce"] == "0x0000000000000000"
    assert answer["miner"] == "0x" + "c0" * 20
    assert answer["logsBloom"] == hx(header.bloom.to_bytes(256, "big"))
    assert len(answer["logsBloom"]) == 2 + 512
    assert answer["transactionsRoot"] == hx(header.transaction_root)
    assert answer["receiptsRoot"] == hx(header.receipt_root)
    assert answer["stateRoot"] == hx(header.state_root)
    assert answer["gasLimit"] == "0x1c9c380"
    assert answer["gasUsed"] == hex(21_000 + 45_000 + 100_000)
    assert answer["timestamp"] == hex(1002)
    assert answer["extraData"] == hx(b"ordo")
    assert answer["baseFeePerGas"] == hex(BASE_FEE)
    assert answer["difficulty"] == "0x0" and answer["totalDifficulty"] == "0x0"
    assert answer["withdrawals"] == [] and answer["uncles"] == []
    assert answer["blobGasUsed"] == "0x0" and answer["excessBlobGas"] == "0x0"
    assert answer["requestsHash"] == hx(header.requests_hash)
    expected_size = len(rlp.encode(PragueBlock(header, list(block.transactions), [], [])))
    assert answer["size"] == hex(expected_size)
    assert answer["transactions"] == [hx(tx.hash) for tx in block.transactions]
    by_hash = await rpc.call("eth_getBlockByHash", hx(block.hash), False)
    assert by_hash == answer


async def test_legacy_transaction_fields(rpc: RpcClient) -> None:
    block = rpc.backend.blocks[1]
    tx = (await rpc.call("eth_getBlockByNumber", "0x1", True))["transactions"][0]
    assert set(tx) == COMMON_TX_FIELDS | {"chainId"}
    assert tx["type"] == "0x0"
    assert tx["from"] == hx(SENDERS[0])
    assert tx["to"] == hx(RECIPIENT)
    assert tx["gasPrice"] == hex(2 * GWEI)
    assert tx["value"] == hex(10**18)
    assert tx["input"] == "0x"
    assert tx["chainId"] == hex(CHAIN_ID)
    assert int(tx["v"], 16) in (CHAIN_ID * 2 + 35, CHAIN_ID * 2 + 36)
    assert tx["blockHash"] == hx(block.hash) and tx["blockNumber"] == "0x1"
    assert tx["transactionIndex"] == "0x0"
    assert tx["blockTimestamp"] == hex(block.header.timestamp)
    assert tx["hash"] == hx(block.transactions[0].hash)
    assert tx["r"] == hex(block.transactions[0].r) and tx["s"] == hex(block.transactions[0].s)


async def test_access_list_transaction_fields(rpc: RpcClient) -> None:
    tx = (await rpc.call("eth_getBlockByNumber", "0x1", True))["transactions"][1]
    assert set(tx) == COMMON_TX_FIELDS | {"chainId", "accessList", "yParity"}
    assert tx["type"] == "0x1"
    assert tx["gasPrice"] == hex(3 * GWEI)
    assert tx["accessList"] == [{
        "address": hx(TOKEN),
        "storageKeys": ["0x" + "00" * 31 + "01", "0x" + "00" * 31 + "02"],
    }]
    assert tx["v"] == tx["yParity"] and tx["yParity"] in ("0x0", "0x1")


async def test_dynamic_fee_transaction_fields(rpc: RpcClient) -> None:
    tx = (await rpc.call("eth_getBlockByNumber", "0x1", True))["transactions"][2]
    assert set(tx) == COMMON_TX_FIELDS | {"chainId", "accessList", "yParity", "maxFeePerGas",
                                          "maxPriorityFeePerGas"}
    assert tx["to"] is None
    assert tx["maxFeePerGas"] == hex(5 * GWEI)
    assert tx["maxPriorityFeePerGas"] == hex(GWEI)
    # Mined: the effective price min(feeCap, baseFee + tip).
    assert tx["gasPrice"] == hex(BASE_FEE + GWEI)
    assert tx["accessList"] == []


async def test_set_code_transaction_fields(rpc: RpcClient) -> None:
    tx = (await rpc.call("eth_getBlockByNumber", "0x3", True))["transactions"][1]
    assert tx["type"] == "0x4"
    assert set(tx) == COMMON_TX_FIELDS | {"chainId", "accessList", "yParity", "maxFeePerGas",
                                          "maxPriorityFeePerGas", "authorizationList"}
    [authorization] = tx["authorizationList"]
    assert set(authorization) == {"chainId", "address", "nonce", "yParity", "r", "s"}
    assert authorization["address"] == "0x" + "44" * 20 and authorization["nonce"] == "0x1"


async def test_receipts(rpc: RpcClient) -> None:
    block = rpc.backend.blocks[1]
    receipts = await rpc.call("eth_getBlockReceipts", "0x1")
    assert len(receipts) == 3
    for index, receipt in enumerate(receipts):
        assert set(receipt) == RECEIPT_FIELDS
        assert receipt["transactionIndex"] == hex(index)
        assert receipt["transactionHash"] == hx(block.transactions[index].hash)
        assert receipt["blockHash"] == hx(block.hash)
        assert receipt["blockTimestamp"] == hex(block.header.timestamp) == hex(1002)
        assert receipt == await rpc.call("eth_getTransactionReceipt",
                                         hx(block.transactions[index].hash))
    legacy, access_list, creation = receipts
    assert legacy["gasUsed"] == hex(21_000) and legacy["cumulativeGasUsed"] == hex(21_000)
    assert access_list["gasUsed"] == hex(45_000)
    assert access_list["cumulativeGasUsed"] == hex(66_000)
    assert creation["gasUsed"] == hex(100_000)
    assert legacy["type"] == "0x0" and access_list["type"] == "0x1" and creation["type"] == "0x2"
    assert legacy["effectiveGasPrice"] == hex(2 * GWEI)
    assert creation["effectiveGasPrice"] == hex(BASE_FEE + GWEI)
    assert legacy["contractAddress"] is None
    assert creation["to"] is None and creation["contractAddress"] == hx(created_address())
    assert all(receipt["status"] == "0x1" for receipt in receipts)
    assert legacy["logs"] == []
    logs = access_list["logs"] + creation["logs"]
    assert [log["logIndex"] for log in logs] == ["0x0", "0x1", "0x2"]
    for log in logs:
        assert set(log) == LOG_FIELDS
        assert log["removed"] is False and log["blockTimestamp"] == hex(1002)
    assert access_list["logs"][0]["topics"][0] == hx(keccak(b"Transfer(address,address,uint256)"))
    failed = (await rpc.call("eth_getBlockReceipts", "0x3"))[1]
    assert failed["status"] == "0x0" and failed["type"] == "0x4"


async def test_unknown_blocks_and_transactions_are_null(rpc: RpcClient) -> None:
    unknown_hash = "0x" + "ab" * 32
    assert await rpc.call("eth_getBlockByNumber", "0x99", False) is None
    assert await rpc.call("eth_getBlockByHash", unknown_hash, True) is None
    assert await rpc.call("eth_getBlockReceipts", "0x99") is None
    assert await rpc.call("eth_getTransactionByHash", unknown_hash) is None
    assert await rpc.call("eth_getTransactionReceipt", unknown_hash) is None
    assert await rpc.call("eth_getBlockTransactionCountByNumber", "0x99") is None
    assert await rpc.call("eth_getBlockTransactionCountByHash", unknown_hash) is None
    assert await rpc.call("eth_getUncleCountByBlockNumber", "0x99") is None
    assert await rpc.call("eth_getTransactionByBlockNumberAndIndex", "0x1", "0x3") is None


async def test_counts_and_index_lookups(rpc: RpcClient) -> None:
    block = rpc.backend.blocks[1]
    assert await rpc.call("eth_getBlockTransactionCountByNumber", "0x1") == "0x3"
    assert await rpc.call("eth_getBlockTransactionCountByHash", hx(block.hash)) == "0x3"
    assert await rpc.call("eth_getUncleCountByBlockNumber", "0x1") == "0x0"
    assert await rpc.call("eth_getUncleCountByBlockHash", hx(block.hash)) == "0x0"
    full = (await rpc.call("eth_getBlockByNumber", "0x1", True))["transactions"]
    assert await rpc.call("eth_getTransactionByBlockNumberAndIndex", "0x1", "0x2") == full[2]
    assert await rpc.call("eth_getTransactionByBlockHashAndIndex", hx(block.hash), "0x1") \
        == full[1]
    assert await rpc.call("eth_getTransactionByHash", full[0]["hash"]) == full[0]


async def test_block_tags(rpc: RpcClient) -> None:
    head = rpc.backend.blocks[4]
    assert await rpc.call("eth_blockNumber") == "0x4"
    for tag, number in (("latest", 4), ("pending", 5), ("safe", 2), ("finalized", 2),
                        ("earliest", 0)):
        block = await rpc.call("eth_getBlockByNumber", tag, False)
        assert block["number"] == hex(number), tag
    assert (await rpc.call("eth_getBlockByNumber", "latest", False))["hash"] == hx(head.hash)


async def test_state_queries_and_block_identifiers(rpc: RpcClient) -> None:
    address = hx(SENDERS[0])
    block_two = hx(rpc.backend.blocks[2].hash)
    assert await rpc.call("eth_getBalance", address) == hex(10**21 + 4)
    assert await rpc.call("eth_getBalance", address, "0x1") == hex(10**21 + 1)
    assert await rpc.call("eth_getBalance", address, "safe") == hex(10**21 + 2)
    assert await rpc.call("eth_getBalance", address, {"blockHash": block_two}) == hex(10**21 + 2)
    assert await rpc.call("eth_getBalance", address, {"blockNumber": "0x3"}) == hex(10**21 + 3)
    assert await rpc.call("eth_getBalance", address, block_two) == hex(10**21 + 2)
    assert await rpc.call("eth_getTransactionCount", address, "earliest") == "0x0"
    assert await rpc.call("eth_getTransactionCount", address, "pending") == "0x0"
    assert await rpc.call("eth_getCode", hx(TOKEN), "latest") == "0x6000"
    assert await rpc.call("eth_getCode", address) == "0x"
    assert await rpc.call("eth_getStorageAt", hx(TOKEN), "0x5", "0x1") == "0x" + "00" * 31 + "0b"
    assert await rpc.call("eth_getStorageAt", hx(TOKEN), "0x" + "00" * 31 + "05") \
        == "0x" + "00" * 31 + "0e"
    for answer in (await rpc.error("eth_getBalance", address, "0x5"),
                   await rpc.error("eth_getBalance", address, {"blockHash": "0x" + "ab" * 32})):
        assert answer == {"code": -32000, "message": "header not found"}


async def test_call_estimate_and_proof(rpc: RpcClient) -> None:
    request = {"from": hx(SENDERS[0]), "to": hx(TOKEN), "input": "0x0102"}
    assert await rpc.call("eth_call", request, "latest") == "0x0201"
    assert await rpc.call("eth_call", {"to": hx(TOKEN), "data": "0x0a0b"}) == "0x0b0a"
    assert await rpc.call("eth_estimateGas", request) == hex(21_000 + 32)
    proof = await rpc.call("eth_getProof", hx(TOKEN), ["0x1", "0x" + "00" * 31 + "02"], "0x2")
    assert set(proof) == {"address", "accountProof", "balance", "codeHash", "nonce",
                          "storageHash", "storageProof"}
    assert proof["accountProof"] == ["0xf801", "0xf802"]
    assert proof["balance"] == "0x5" and proof["nonce"] == "0x1"
    assert proof["codeHash"] == hx(keccak(b""))
    assert proof["storageProof"] == [
        {"key": "0x1", "value": "0x2", "proof": ["0xe2"]},
        {"key": "0x" + "00" * 31 + "02", "value": "0x3", "proof": ["0xe2"]},
    ]


async def test_node_and_fee_methods(rpc: RpcClient) -> None:
    assert await rpc.call("web3_clientVersion") == "ordo/test"
    assert await rpc.call("web3_sha3", "0x68656c6c6f") == hx(keccak(b"hello"))
    assert await rpc.call("net_version") == str(CHAIN_ID)
    assert await rpc.call("net_listening") is True
    assert await rpc.call("net_peerCount") == "0x3"
    assert await rpc.call("eth_chainId") == hex(CHAIN_ID)
    assert await rpc.call("eth_syncing") is False
    assert await rpc.call("eth_accounts") == []
    assert await rpc.call("ordo_status") == {"head": 4, "role": "test"}
    assert await rpc.call("eth_gasPrice") == hex(NEXT_BASE_FEE + TIP)
    assert await rpc.call("eth_maxPriorityFeePerGas") == hex(TIP)


async def test_send_raw_and_pending_transaction(rpc: RpcClient) -> None:
    raw = sign(dict(type=2, nonce=0, maxFeePerGas=7 * GWEI, maxPriorityFeePerGas=GWEI,
                    gas=21_000, to=Account.from_key(KEYS[1]).address, value=3,
                    chainId=CHAIN_ID), KEYS[0])
    tx_hash = await rpc.call("eth_sendRawTransaction", hx(raw))
    assert tx_hash == hx(keccak(raw))
    pending = await rpc.call("eth_getTransactionByHash", tx_hash)
    assert pending["blockHash"] is None and pending["blockNumber"] is None
    assert pending["transactionIndex"] is None
    assert "blockTimestamp" not in pending
    assert pending["gasPrice"] == hex(7 * GWEI)
    assert pending["from"] == hx(SENDERS[0])
    assert await rpc.call("eth_getTransactionReceipt", tx_hash) is None
    assert await rpc.call("eth_getTransactionCount", hx(SENDERS[0]), "pending") == "0x1"
    again = await rpc.error("eth_sendRawTransaction", hx(raw))
    assert again == {"code": -32000, "message": "nonce too low"}


def test_block_size_is_the_length_of_the_block_encoding(rpc: RpcClient) -> None:
    """block_size counts the encoding without building it: equal to py-evm's encoding of the
    whole block for every block of the chain and for one with many and large transactions
    (two- and three-byte length prefixes), legacy and typed."""
    def encoded_size(block: Block) -> int:
        return len(rlp.encode(PragueBlock(block.header, list(block.transactions), [], [])))

    for block in rpc.backend.blocks:
        assert block_size(block) == encoded_size(block)
    legacy = {"gasPrice": 10 * GWEI, "chainId": CHAIN_ID}
    typed = {"maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": TIP, "chainId": CHAIN_ID}
    decoded = [decode_transaction(sign(
        {**(legacy if nonce % 2 else typed), "nonce": nonce, "gas": 2_000_000,
         "to": "0x" + RECIPIENT.hex(), "value": nonce, "data": b"\x5a" * (nonce * 37)}, KEYS[0]))
        for nonce in range(300)]
    big = Block(rpc.backend.blocks[1].header, tuple(d.tx for d in decoded),
                tuple(d.sender for d in decoded))
    assert encoded_size(big) > 2**16
    assert block_size(big) == encoded_size(big)
