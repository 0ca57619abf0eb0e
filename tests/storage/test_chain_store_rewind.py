"""ChainStore.rewind_to: blocks above the target leave in one transaction, their transactions go
back to the mempool journal, and the store then extends from the target as if they never were."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordo.storage.chain_store import ChainStore
from tests.storage.storage_chain_builder import (
    build_block,
    certificate_for,
    extend_chain,
    signed_transaction,
    state_writes_for,
)


def test_rewind_drops_blocks_indexes_and_certificates_above_the_target(
        store: ChainStore) -> None:
    committed = extend_chain(store, 5, txs_per_block=2)
    store.set_finalized_number(5)
    dropped = [executed.block for executed in committed[4:]]  # blocks 4 and 5
    state_key = next(iter(state_writes_for(5)))

    rewound = store.rewind_to(3)

    assert [block.number for block in rewound.blocks] == [4, 5]
    assert store.head_number() == 3 and store.finalized_number() == 3
    assert store.head() == committed[3].block
    for block in dropped:
        assert store.get_block_by_number(block.number) is None
        assert store.get_block_by_hash(block.hash) is None
        assert store.get_header_by_number(block.number) is None
        assert store.get_block_hash(block.number) is None
        assert store.get_receipts(block.hash) == ()
        assert store.get_block_logs(block.number) == ()
        assert store.get_certificate(block.number) is None
        for tx in block.transactions:
            assert store.get_transaction_location(bytes(tx.hash)) is None
    kept = committed[3].block
    assert store.get_transaction_location(bytes(kept.transactions[0].hash)) is not None
    assert store.get_certificate(3) == certificate_for(3)
    assert store.state_reader().get(state_key) is not None  # content-addressed: kept


def test_dropped_transactions_go_back_to_the_journal_in_block_order(store: ChainStore) -> None:
    pending = signed_transaction(100)
    extend_chain(store, 4, txs_per_block=2)
    store.journal_add([(pending.hash, pending.raw)])
    dropped = [tx for number in (3, 4) for tx in store.get_block_by_number(number).transactions]

    rewound = store.rewind_to(2)

    assert rewound.journaled == tuple(bytes(tx.hash) for tx in dropped)
    assert store.journal_entries() == [pending.raw] + [bytes(tx.encode()) for tx in dropped]


def test_the_store_extends_from_the_target_with_another_block(store: ChainStore) -> None:
    committed = extend_chain(store, 3, txs_per_block=1)
    old_tx = committed[3].block.transactions[0]
    store.rewind_to(2)
    # Another block 3, holding the very transaction the dropped block 3 held.
    replacement = build_block(3, committed[2].block.hash, [signed_transaction(2)],
                              timestamp=1_800_000_000)
    assert replacement.block.hash != committed[3].block.hash
    store.commit_block(replacement, state_writes_for(3), finalized_number=3)
    assert store.get_block_by_number(3) == replacement.block
    assert store.get_certificate(3) is None
    location = store.get_transaction_location(bytes(old_tx.hash))
    assert location is not None and location.block_hash == replacement.block.hash
    assert store.journal_entries() == []  # the commit took it out of the journal again


def test_rewind_removes_the_named_metadata_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "chain"
    with ChainStore(path) as store:
        extend_chain(store, 3)
        store.put_meta("epoch_set/1", b"stale")
        store.put_meta("epoch_set/0", b"kept")
        store.rewind_to(1, meta_removals=["epoch_set/1", "absent"])
    with ChainStore(path) as store:
        assert store.head_number() == 1
        assert store.get_block_by_number(2) is None
        assert store.get_meta("epoch_set/1") is None
        assert store.get_meta("epoch_set/0") == b"kept"


def test_rewind_to_the_head_is_a_no_op_and_above_it_is_refused(store: ChainStore) -> None:
    extend_chain(store, 2)
    assert store.rewind_to(2).blocks == ()
    assert store.head_number() == 2
    with pytest.raises(ValueError, match="head is 2"):
        store.rewind_to(3)
    with pytest.raises(ValueError):
        store.rewind_to(-1)
