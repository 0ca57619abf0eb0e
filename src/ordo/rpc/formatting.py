"""Blocks, transactions, receipts and logs in exactly geth's JSON shape.

Field names, presence rules and encodings follow geth's ethapi marshalling: quantities as
minimal hex, hashes as 32-byte data, addresses in lowercase hex.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import rlp
from eth.abc import BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI
from eth_hash.auto import keccak

from ordo.core.block import Block, LogRecord
from ordo.core.l1_fee import L1FeeRules, L1Prices, header_l1_prices, l1_fee, l1_gas_used
from ordo.rpc.hex_values import encode_data, encode_quantity, encode_word

LEGACY_TYPE = 0
ACCESS_LIST_TYPE = 1
DYNAMIC_FEE_TYPE = 2
SET_CODE_TYPE = 4
STATUS_SUCCESS = b"\x01"


def format_header(header: BlockHeaderAPI) -> dict[str, Any]:
    """The header part of a block (also the newHeads notification)."""
    result: dict[str, Any] = {
        "number": encode_quantity(header.block_number),
        "hash": encode_data(header.hash),
        "parentHash": encode_data(header.parent_hash),
        "nonce": encode_data(header.nonce),
        "mixHash": encode_data(header.mix_hash),
        "sha3Uncles": encode_data(header.uncles_hash),
        "logsBloom": encode_data(header.bloom.to_bytes(256, "big")),
        "stateRoot": encode_data(header.state_root),
        "miner": encode_data(header.coinbase),
        "difficulty": encode_quantity(header.difficulty),
        "extraData": encode_data(header.extra_data),
        "gasLimit": encode_quantity(header.gas_limit),
        "gasUsed": encode_quantity(header.gas_used),
        "timestamp": encode_quantity(header.timestamp),
        "transactionsRoot": encode_data(header.transaction_root),
        "receiptsRoot": encode_data(header.receipt_root),
    }
    optional = (
        ("baseFeePerGas", "base_fee_per_gas", encode_quantity),
        ("withdrawalsRoot", "withdrawals_root", encode_data),
        ("blobGasUsed", "blob_gas_used", encode_quantity),
        ("excessBlobGas", "excess_blob_gas", encode_quantity),
        ("parentBeaconBlockRoot", "parent_beacon_block_root", encode_data),
        ("requestsHash", "requests_hash", encode_data),
    )
    for name, attribute, encode in optional:
        value = getattr(header, attribute, None)
        if value is not None:
            result[name] = encode(value)
    return result


def _rlp_length(payload: int) -> int:
    """Length of an RLP item (string or list) whose payload is ``payload`` bytes long."""
    return payload + (1 if payload < 56 else 1 + (payload.bit_length() + 7) // 8)


def block_size(block: Block) -> int:
    """Length of the block's RLP encoding ``[header, transactions, uncles, withdrawals]``, which
    is what geth reports as "size". Counted from the header's and transactions' cached encodings
    rather than by encoding the block again: building and encoding a py-evm block cost about 1 ms
    per thousand transactions on every eth_getBlockByNumber, 9% of a loaded node's GIL time
    under a client polling the newest block."""
    transactions = 0
    for tx in block.transactions:
        encoded = tx.encode()
        # a legacy transaction is the RLP list itself; a typed one is a string holding its bytes
        transactions += len(encoded) if encoded[0] >= 0xC0 else _rlp_length(len(encoded))
    payload = len(rlp.encode(block.header)) + _rlp_length(transactions) + 2  # two empty lists
    return _rlp_length(payload)


def format_block(block: Block, full_transactions: bool) -> dict[str, Any]:
    result = format_header(block.header)
    result["totalDifficulty"] = "0x0"
    result["size"] = encode_quantity(block_size(block))
    result["uncles"] = []
    result["withdrawals"] = []
    if full_transactions:
        result["transactions"] = [
            format_transaction(tx, sender, block.header, index)
            for index, (tx, sender) in enumerate(zip(block.transactions, block.senders,
                                                     strict=True))
        ]
    else:
        result["transactions"] = [encode_data(tx.hash) for tx in block.transactions]
    return result


def base_fee_of(header: BlockHeaderAPI) -> int:
    return int(header.base_fee_per_gas or 0)


def transaction_type(tx: SignedTransactionAPI) -> int:
    type_id = getattr(tx, "type_id", None)
    return LEGACY_TYPE if type_id is None else int(type_id)


def effective_gas_price(tx: SignedTransactionAPI, base_fee: int) -> int:
    if transaction_type(tx) in (LEGACY_TYPE, ACCESS_LIST_TYPE):
        return int(tx.gas_price)
    return min(int(tx.max_fee_per_gas), base_fee + int(tx.max_priority_fee_per_gas))


def format_transaction(
    tx: SignedTransactionAPI,
    sender: bytes,
    header: BlockHeaderAPI | None,
    index: int | None,
) -> dict[str, Any]:
    """A transaction; ``header`` and ``index`` are None while it waits in the mempool."""
    kind = transaction_type(tx)
    if kind in (LEGACY_TYPE, ACCESS_LIST_TYPE):
        gas_price = int(tx.gas_price)
    elif header is None:
        gas_price = int(tx.max_fee_per_gas)
    else:
        gas_price = effective_gas_price(tx, base_fee_of(header))
    result: dict[str, Any] = {
        "blockHash": None if header is None else encode_data(header.hash),
        "blockNumber": None if header is None else encode_quantity(header.block_number),
        "from": encode_data(sender),
        "gas": encode_quantity(tx.gas),
        "gasPrice": encode_quantity(gas_price),
    }
    if kind in (DYNAMIC_FEE_TYPE, SET_CODE_TYPE):
        result["maxFeePerGas"] = encode_quantity(tx.max_fee_per_gas)
        result["maxPriorityFeePerGas"] = encode_quantity(tx.max_priority_fee_per_gas)
    result.update({
        "hash": encode_data(tx.hash),
        "input": encode_data(tx.data),
        "nonce": encode_quantity(tx.nonce),
        "to": encode_data(tx.to) if tx.to else None,
        "transactionIndex": None if index is None else encode_quantity(index),
        "value": encode_quantity(tx.value),
        "type": encode_quantity(kind),
    })
    if header is not None:
        # As geth (1.16+) and anvil do: a mined transaction says when its block was made, so
        # a client needs no second eth_getBlockByNumber; a pending one has no block yet.
        result["blockTimestamp"] = encode_quantity(header.timestamp)
    if kind != LEGACY_TYPE:
        result["accessList"] = [
            {"address": encode_data(account), "storageKeys": [encode_word(key) for key in keys]}
            for account, keys in tx.access_list
        ]
    if tx.chain_id is not None:
        result["chainId"] = encode_quantity(tx.chain_id)
    if kind == SET_CODE_TYPE:
        result["authorizationList"] = [
            {"chainId": encode_quantity(auth.chain_id), "address": encode_data(auth.address),
             "nonce": encode_quantity(auth.nonce), "yParity": encode_quantity(auth.y_parity),
             "r": encode_quantity(auth.r), "s": encode_quantity(auth.s)}
            for auth in tx.authorization_list
        ]
    result["v"] = encode_quantity(_legacy_v(tx) if kind == LEGACY_TYPE else tx.y_parity)
    result["r"] = encode_quantity(tx.r)
    result["s"] = encode_quantity(tx.s)
    if kind != LEGACY_TYPE:
        result["yParity"] = encode_quantity(tx.y_parity)
    return result


def _legacy_v(tx: SignedTransactionAPI) -> int:
    """The v a legacy transaction was signed with (EIP-155 folds the chain id into it)."""
    if tx.chain_id is None:
        return 27 + int(tx.y_parity)
    return 35 + 2 * int(tx.chain_id) + int(tx.y_parity)


def format_log(log: LogRecord, timestamp: int) -> dict[str, Any]:
    return {
        "address": encode_data(log.address),
        "topics": [encode_data(topic) for topic in log.topics],
        "data": encode_data(log.data),
        "blockNumber": encode_quantity(log.block_number),
        "transactionHash": encode_data(log.transaction_hash),
        "transactionIndex": encode_quantity(log.transaction_index),
        "blockHash": encode_data(log.block_hash),
        "blockTimestamp": encode_quantity(timestamp),
        "logIndex": encode_quantity(log.log_index),
        "removed": False,
    }


def block_log_records(block: Block, receipts: Sequence[ReceiptAPI]) -> list[list[LogRecord]]:
    """The logs of each transaction of a block, with block-wide log indexes."""
    per_transaction: list[list[LogRecord]] = []
    log_index = 0
    for index, (tx, receipt) in enumerate(zip(block.transactions, receipts, strict=True)):
        records = []
        for log in receipt.logs:
            records.append(LogRecord(
                address=bytes(log.address),
                topics=tuple(topic.to_bytes(32, "big") for topic in log.topics),
                data=bytes(log.data),
                block_number=block.number,
                block_hash=block.hash,
                transaction_hash=bytes(tx.hash),
                transaction_index=index,
                log_index=log_index,
            ))
            log_index += 1
        per_transaction.append(records)
    return per_transaction


def contract_address(sender: bytes, nonce: int) -> bytes:
    return keccak(rlp.encode([sender, nonce]))[12:]


def format_block_receipts(block: Block, receipts: Sequence[ReceiptAPI],
                          l1_fee_rules: L1FeeRules | None = None) -> list[dict[str, Any]]:
    """The receipts as eth_getTransactionReceipt shows them; with ``l1_fee_rules`` (a chain with
    the L1 data fee) each also carries OP's fields: ``l1Fee`` (wei the sender paid for its bytes
    on L1), ``l1GasUsed`` (the calldata gas of its signed encoding), ``l1GasPrice`` and
    ``l1BlobBaseFee`` (the block's L1 prices), ``l1BaseFeeScalar`` and ``l1BlobBaseFeeScalar``
    (docs/state_transition.md 6.4)."""
    logs = block_log_records(block, receipts)
    base_fee = base_fee_of(block.header)
    results = []
    previous_cumulative = 0
    for index, (tx, sender, receipt) in enumerate(
        zip(block.transactions, block.senders, receipts, strict=True)
    ):
        cumulative = int(receipt.gas_used)
        formatted = _format_receipt(
            block, tx, sender, receipt, index, cumulative - previous_cumulative, logs[index],
            base_fee,
        )
        if l1_fee_rules is not None:
            formatted.update(l1_fee_fields(tx.encode(), header_l1_prices(block.header),
                                           l1_fee_rules))
        results.append(formatted)
        previous_cumulative = cumulative
    return results


def l1_fee_fields(raw: bytes, prices: L1Prices, rules: L1FeeRules) -> dict[str, str]:
    """OP's receipt fields of the L1 data fee, as quantities."""
    return {
        "l1Fee": encode_quantity(l1_fee(raw, prices, rules)),
        "l1GasUsed": encode_quantity(l1_gas_used(raw)),
        "l1GasPrice": encode_quantity(prices.base_fee),
        "l1BlobBaseFee": encode_quantity(prices.blob_base_fee),
        "l1BaseFeeScalar": encode_quantity(rules.base_fee_scalar),
        "l1BlobBaseFeeScalar": encode_quantity(rules.blob_base_fee_scalar),
    }


def _format_receipt(
    block: Block,
    tx: SignedTransactionAPI,
    sender: bytes,
    receipt: ReceiptAPI,
    index: int,
    gas_used: int,
    logs: list[LogRecord],
    base_fee: int,
) -> dict[str, Any]:
    timestamp = int(block.header.timestamp)
    return {
        "blockHash": encode_data(block.hash),
        "blockNumber": encode_quantity(block.number),
        "blockTimestamp": encode_quantity(timestamp),
        "transactionHash": encode_data(tx.hash),
        "transactionIndex": encode_quantity(index),
        "from": encode_data(sender),
        "to": encode_data(tx.to) if tx.to else None,
        "gasUsed": encode_quantity(gas_used),
        "cumulativeGasUsed": encode_quantity(receipt.gas_used),
        "contractAddress": None if tx.to else encode_data(contract_address(sender, tx.nonce)),
        "logs": [format_log(log, timestamp) for log in logs],
        "logsBloom": encode_data(int(receipt.bloom).to_bytes(256, "big")),
        "type": encode_quantity(transaction_type(tx)),
        "effectiveGasPrice": encode_quantity(effective_gas_price(tx, base_fee)),
        "status": "0x1" if receipt.state_root == STATUS_SUCCESS else "0x0",
    }
