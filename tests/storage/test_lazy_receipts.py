"""Receipts kept as encodings (the native engine's ``LazyReceipts``): committing a block does not
build py-evm receipt objects; the first read decodes them, equal to the receipts they encode."""

from __future__ import annotations

from pathlib import Path

from ordo.core.block import ExecutedBlock
from ordo.core.lazy_receipts import LazyReceipts, decode_receipt
from ordo.storage.chain_store import ChainStore
from tests.storage.storage_chain_builder import (
    build_block,
    genesis_block,
    signed_transaction,
    state_writes_for,
)


def test_lazy_receipts_decode_on_the_first_read_only() -> None:
    block = build_block(1, b"\x00" * 32, [signed_transaction(0), signed_transaction(1)])
    encodings = tuple(receipt.encode() for receipt in block.receipts)
    lazy = LazyReceipts(encodings)
    assert len(lazy) == 2 and not lazy.is_decoded
    first = lazy[0]
    assert lazy.is_decoded
    assert first is lazy[0]  # decoded once, kept
    assert [r.encode() for r in lazy] == [r.encode() for r in block.receipts]
    assert [r.encode() for r in lazy[1:]] == [encodings[1]]
    assert decode_receipt(encodings[1]).encode() == encodings[1]
    assert "2 receipts, decoded" in repr(lazy)


def test_a_block_committed_with_lazy_receipts_is_served_from_its_encodings(
        tmp_path: Path) -> None:
    genesis = genesis_block()
    block = build_block(1, genesis.block.hash, [signed_transaction(0), signed_transaction(1)])
    encodings = tuple(receipt.encode() for receipt in block.receipts)
    lazy = LazyReceipts(encodings)
    with ChainStore(tmp_path / "chain", map_size=64 * 2**20) as store:
        store.commit_block(genesis, state_writes_for(0))
        store.commit_block(ExecutedBlock(block.block, lazy, receipt_encodings=encodings),
                           state_writes_for(1))
        assert not lazy.is_decoded  # the commit wrote the encodings and built no receipt
        receipts = store.get_receipts(block.block.hash)
        assert isinstance(receipts, tuple) and lazy.is_decoded
        assert [r.encode() for r in receipts] == list(encodings)
        assert [len(log.topics) for log in store.get_block_logs(1)] == \
            [len(log.topics) for r in block.receipts for log in r.logs]
