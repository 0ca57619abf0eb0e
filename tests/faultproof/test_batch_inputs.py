"""Batch inputs root: the bytes and hashes docs/fault_proofs.md section 5 fixes, and proofs of
one block and one transaction that lead to it, so the game can trust what the tracer reads."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from ordo.core.batch_blocks import BatchBlock
from ordo.faultproof.batch_inputs import (
    BLOCK_INPUTS_BYTES,
    BatchInputsError,
    block_inputs_encoding,
    block_inputs_hash,
    block_inputs_proof,
    inputs_root,
    transaction_proof,
    txs_root,
)
from ordo.faultproof.cells import EMPTY_ROOT, ZERO_HASHES, CellTreeError, list_root


def block(number: int, transactions: tuple[bytes, ...] = (), extra: bytes = b"\x07" * 20,
          timestamp: int = 1_700_000_000) -> BatchBlock:
    return BatchBlock(number=number, timestamp=timestamp, coinbase=b"\xc0" * 20,
                      gas_limit=30_000_000, extra_data=extra, mix_hash=b"\x3c" * 32,
                      transactions=transactions)


def test_block_inputs_encoding_by_hand() -> None:
    value = block(9, (b"\x02\xaa", b"\x02\xbb\xcc"))
    tx_root = list_root([keccak(b"\x02\xaa"), keccak(b"\x02\xbb\xcc")])
    expected = (
        (9).to_bytes(32, "big") + (1_700_000_000).to_bytes(32, "big")
        + bytes(12) + b"\xc0" * 20 + (30_000_000).to_bytes(32, "big")
        + keccak(b"\x07" * 20) + b"\x3c" * 32 + tx_root + (2).to_bytes(32, "big"))
    assert block_inputs_encoding(value) == expected
    assert len(expected) == BLOCK_INPUTS_BYTES == 256
    assert block_inputs_hash(value) == keccak(expected)
    assert txs_root(value.transactions) == tx_root


def test_empty_block_and_root_shape() -> None:
    empty = block(1)
    assert txs_root(()) == EMPTY_ROOT
    assert block_inputs_encoding(empty)[192:] == EMPTY_ROOT + bytes(32)
    # One block: its hash hashed up 32 levels against zero subtrees.
    node = block_inputs_hash(empty)
    for height in range(32):
        node = keccak(node + ZERO_HASHES[height])
    assert inputs_root([empty]) == node


def test_every_input_moves_the_root() -> None:
    blocks = [block(5, (b"\x01",)), block(6, (b"\x02", b"\x03"))]
    base = inputs_root(blocks)
    changed = [
        [block(5, (b"\x01",)), block(6, (b"\x03", b"\x02"))],  # transaction order
        [block(5, (b"\x01",)), block(6, (b"\x02",))],  # a transaction dropped
        [block(5, (b"\x01",)), block(6, (b"\x02", b"\x03"), extra=b"\x08" * 20)],
        [block(5, (b"\x01",)), block(6, (b"\x02", b"\x03"), timestamp=1_700_000_001)],
        [block(6, (b"\x02", b"\x03")), block(5, (b"\x01",))],  # block order
        blocks[:1],
    ]
    roots = {inputs_root(variant) for variant in changed}
    assert base not in roots and len(roots) == len(changed)


def test_block_and_transaction_proofs_lead_to_the_signed_root() -> None:
    blocks = [block(10 + i, tuple(bytes([2, i, t]) for t in range(i))) for i in range(5)]
    root = inputs_root(blocks)
    for position, value in enumerate(blocks):
        proof = block_inputs_proof(blocks, position)
        assert proof.inputs_hash == block_inputs_hash(value)
        assert proof.root() == root
        encoding = block_inputs_encoding(value)
        for tx_position in range(len(value.transactions)):
            tx_proof = transaction_proof(value, tx_position)
            assert tx_proof.transaction_hash == keccak(value.transactions[tx_position])
            # The txs root it leads to is the one inside the block's signed encoding.
            assert tx_proof.root() == encoding[192:224]
    # A proof for one position does not prove another block there.
    forged = block_inputs_proof(blocks, 1)
    assert type(forged)(1, block_inputs_hash(blocks[2]), forged.siblings).root() != root


def test_positions_outside_are_refused() -> None:
    blocks = [block(1, (b"\x01",))]
    with pytest.raises(BatchInputsError, match="block position 1 outside the batch's 1"):
        block_inputs_proof(blocks, 1)
    with pytest.raises(BatchInputsError, match="transaction position 1 outside block 1's 1"):
        transaction_proof(blocks[0], 1)
    bad = block_inputs_proof(blocks, 0)
    with pytest.raises(CellTreeError):
        type(bad)(0, bad.inputs_hash, bad.siblings[:31]).root()
