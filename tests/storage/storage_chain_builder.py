"""Realistic blocks for the storage tests, without the execution engine.

Transactions are signed with eth-account (legacy, EIP-2930 and EIP-1559 in turn) and decoded by
Ordo's own decoder; receipts come from py-evm's ``make_receipt`` and headers are Prague headers
with real transaction and receipt roots, so hashes and encodings are exactly what the node stores.
"""

from __future__ import annotations

from eth.abc import ReceiptAPI
from eth.db.trie import make_trie_root_and_nodes
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth_account import Account
from eth_hash.auto import keccak
from eth_typing import Address, BlockNumber, Hash32
from eth_utils import to_checksum_address

from ordo.core.block import Block, ExecutedBlock
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.storage.chain_store import ChainStore

CHAIN_ID = 77077
GAS_LIMIT = 30_000_000
KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
RECIPIENT = bytes.fromhex("70997970c51812dc3a010c7d01b50e0d17dc79c8")
RECIPIENT_CHECKSUM = to_checksum_address(RECIPIENT)
LOG_TOPIC = keccak(b"Transfer(address,address,uint256)")


def signed_transaction(nonce: int, key: bytes = KEY) -> DecodedTransaction:
    """Kinds rotate with the nonce so every block mixes legacy and typed encodings."""
    base = {"nonce": nonce, "gas": 60_000, "to": RECIPIENT_CHECKSUM, "value": 1000 + nonce,
            "data": nonce.to_bytes(4, "big"), "chainId": CHAIN_ID}
    kind = nonce % 3
    if kind == 0:
        fields = {**base, "gasPrice": 2_000_000_000}
    elif kind == 1:
        fields = {**base, "gasPrice": 2_000_000_000,
                  "accessList": [{"address": RECIPIENT_CHECKSUM,
                                  "storageKeys": ["0x" + "00" * 31 + "01"]}]}
    else:
        fields = {**base, "maxFeePerGas": 3_000_000_000, "maxPriorityFeePerGas": 1_000_000_000}
    signed = Account.sign_transaction(fields, key)
    return decode_transaction(bytes(signed.raw_transaction))


def receipt_for(decoded: DecodedTransaction, cumulative_gas: int, log_count: int) -> ReceiptAPI:
    logs = tuple(
        (RECIPIENT,
         (int.from_bytes(LOG_TOPIC, "big"), int.from_bytes(decoded.sender.rjust(32, b"\0"), "big")),
         decoded.nonce.to_bytes(32, "big") + bytes([index]))
        for index in range(log_count)
    )
    return decoded.tx.make_receipt(b"\x01", cumulative_gas, logs)


def build_block(
    number: int,
    parent_hash: bytes,
    transactions: list[DecodedTransaction],
    *,
    logs_per_tx: int = 2,
    timestamp: int | None = None,
) -> ExecutedBlock:
    receipts: list[ReceiptAPI] = []
    gas = 0
    for decoded in transactions:
        gas += 21_000 + 16 * 4
        receipts.append(receipt_for(decoded, gas, logs_per_tx))
    tx_root, _ = make_trie_root_and_nodes(tuple(d.tx for d in transactions))
    receipt_root, _ = make_trie_root_and_nodes(tuple(receipts))
    bloom = 0
    for receipt in receipts:
        bloom |= receipt.bloom
    header = PragueBlockHeader(
        difficulty=0,
        block_number=BlockNumber(number),
        gas_limit=GAS_LIMIT,
        timestamp=1_700_000_000 + number if timestamp is None else timestamp,
        parent_hash=Hash32(parent_hash),
        coinbase=Address(RECIPIENT),
        state_root=Hash32(keccak(b"state" + number.to_bytes(8, "big"))),
        transaction_root=tx_root,
        receipt_root=receipt_root,
        bloom=bloom,
        gas_used=gas,
        base_fee_per_gas=1_000_000_000,
    )
    block = Block(
        header=header,
        transactions=tuple(d.tx for d in transactions),
        senders=tuple(d.sender for d in transactions),
    )
    return ExecutedBlock(block=block, receipts=tuple(receipts))


def genesis_block() -> ExecutedBlock:
    return build_block(0, b"\0" * 32, [])


def state_writes_for(number: int, count: int = 8) -> dict[bytes, bytes]:
    """Trie-node-like writes (keccak(value) -> value) whose content is derivable from the number."""
    writes = {}
    for index in range(count):
        value = b"node" + number.to_bytes(8, "big") + index.to_bytes(4, "big") + b"\xaa" * 80
        writes[keccak(value)] = value
    return writes


def certificate_for(number: int) -> bytes:
    return b"cert" + number.to_bytes(8, "big")


def next_nonce(store: ChainStore) -> int:
    """The builder's single sender uses consecutive nonces: one past the newest included one."""
    number = store.head_number()
    while number is not None and number >= 0:
        block = store.get_block_by_number(number)
        assert block is not None
        if block.transactions:
            return int(block.transactions[-1].nonce) + 1
        number -= 1
    return 0


def extend_chain(store: ChainStore, blocks: int, txs_per_block: int = 3) -> list[ExecutedBlock]:
    """Commit genesis (if the store is empty) and ``blocks`` more; returns what was committed."""
    committed: list[ExecutedBlock] = []
    head = store.head()
    if head is None:
        genesis = genesis_block()
        store.commit_block(genesis, state_writes_for(0), certificate=certificate_for(0))
        committed.append(genesis)
        head = genesis.block
    nonce = next_nonce(store)
    for _ in range(blocks):
        number = head.number + 1
        txs = [signed_transaction(nonce + i) for i in range(txs_per_block)]
        nonce += txs_per_block
        executed = build_block(number, head.hash, txs)
        store.commit_block(executed, state_writes_for(number), certificate=certificate_for(number))
        committed.append(executed)
        head = executed.block
    return committed
