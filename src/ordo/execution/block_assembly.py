"""Turning an executed block body into a Prague header, and the genesis block.

Headers are py-evm's ``PragueBlockHeader`` so that a block hash is Ethereum's keccak(rlp(header))
and every Ethereum tool can decode it. Fields with no meaning on Ordo get their post-merge neutral
values: no uncles, difficulty 0, zero nonce and mix hash, no withdrawals, no blobs, no beacon root
and the EIP-7685 hash of an empty request list.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth.abc import BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA256, EMPTY_UNCLE_HASH
from eth.db.trie import make_trie_root_and_nodes
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth_typing import Address, BlockNumber, Hash32

from ordo.execution.evm_state import ZERO_ADDRESS, ZERO_HASH

ZERO_NONCE = b"\x00" * 8
MAX_EXTRA_DATA = 32


def transactions_root(transactions: Sequence[SignedTransactionAPI]) -> bytes:
    root, _nodes = make_trie_root_and_nodes(tuple(transactions))
    return bytes(root)


def receipts_root(receipts: Sequence[ReceiptAPI]) -> bytes:
    root, _nodes = make_trie_root_and_nodes(tuple(receipts))
    return bytes(root)


def make_header(
    *,
    parent_hash: bytes,
    block_number: int,
    coinbase: bytes,
    timestamp: int,
    gas_limit: int,
    extra_data: bytes,
    base_fee: int,
    state_root: bytes,
    transaction_root: bytes = BLANK_ROOT_HASH,
    receipt_root: bytes = BLANK_ROOT_HASH,
    bloom: int = 0,
    gas_used: int = 0,
    mix_hash: bytes = ZERO_HASH,
    l1_fee_word: bytes = ZERO_HASH,
) -> BlockHeaderAPI:
    """``l1_fee_word`` goes where Ethereum puts the parent beacon block root: the block's L1
    prices (``ordo.core.l1_fee.L1Prices.word``), zero on a chain without the L1 fee."""
    return PragueBlockHeader(
        parent_hash=Hash32(parent_hash),
        uncles_hash=EMPTY_UNCLE_HASH,
        coinbase=Address(coinbase),
        state_root=Hash32(state_root),
        transaction_root=Hash32(transaction_root),
        receipt_root=Hash32(receipt_root),
        bloom=bloom,
        difficulty=0,
        block_number=BlockNumber(block_number),
        gas_limit=gas_limit,
        gas_used=gas_used,
        timestamp=timestamp,
        extra_data=extra_data,
        mix_hash=Hash32(mix_hash),
        nonce=ZERO_NONCE,
        base_fee_per_gas=base_fee,
        withdrawals_root=BLANK_ROOT_HASH,
        blob_gas_used=0,
        excess_blob_gas=0,
        parent_beacon_block_root=Hash32(l1_fee_word),
        requests_hash=EMPTY_SHA256,
    )


def genesis_header(
    *, gas_limit: int, timestamp: int, extra_data: bytes, base_fee: int, state_root: bytes,
    mix_hash: bytes = ZERO_HASH,
) -> BlockHeaderAPI:
    return make_header(
        parent_hash=ZERO_HASH,
        block_number=0,
        coinbase=ZERO_ADDRESS,
        timestamp=timestamp,
        gas_limit=gas_limit,
        extra_data=extra_data,
        base_fee=base_fee,
        state_root=state_root,
        mix_hash=mix_hash,
    )
