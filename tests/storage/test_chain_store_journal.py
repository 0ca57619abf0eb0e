"""The mempool journal: durable, ordered, and emptied of included transactions by commits."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordo.storage.chain_store import ChainStore
from tests.storage.storage_chain_builder import (
    build_block,
    extend_chain,
    genesis_block,
    signed_transaction,
    state_writes_for,
)


def entry(nonce: int) -> tuple[bytes, bytes]:
    decoded = signed_transaction(nonce)
    return decoded.hash, decoded.raw


def test_journal_keeps_insertion_order_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "chain"
    # Nonces deliberately out of order: the journal must keep arrival order, not hash order.
    order = [7, 3, 9, 0, 5, 1]
    with ChainStore(path) as store:
        store.journal_add([entry(n) for n in order[:3]])
        store.journal_add([entry(n) for n in order[3:]])
    with ChainStore(path) as store:
        assert store.journal_entries() == [entry(n)[1] for n in order]
        store.journal_remove([entry(3)[0], entry(5)[0]])
        store.journal_add([entry(11)])
    with ChainStore(path) as store:
        assert store.journal_entries() == [entry(n)[1] for n in [7, 9, 0, 1, 11]]


def test_journal_order_continues_after_the_newest_entry_is_removed(store: ChainStore) -> None:
    store.journal_add([entry(1), entry(2)])
    store.journal_remove([entry(2)[0]])
    store.journal_add([entry(3)])
    store.journal_remove([entry(1)[0], entry(3)[0]])
    assert store.journal_entries() == []
    store.journal_add([entry(4), entry(5)])
    assert store.journal_entries() == [entry(4)[1], entry(5)[1]]


def test_journal_add_is_idempotent(store: ChainStore) -> None:
    store.journal_add([entry(1), entry(2), entry(1)])
    store.journal_add([entry(2)])
    assert store.journal_entries() == [entry(1)[1], entry(2)[1]]
    assert store.journal_contains(entry(1)[0])
    store.journal_remove([entry(1)[0], entry(1)[0], b"\x99" * 32])  # unknown hashes are no-ops
    assert store.journal_entries() == [entry(2)[1]]
    assert not store.journal_contains(entry(1)[0])


def test_commit_removes_included_and_listed_transactions(store: ChainStore) -> None:
    genesis = genesis_block()
    store.commit_block(genesis, state_writes_for(0))
    store.journal_add([entry(n) for n in range(6)])
    included = [signed_transaction(n) for n in (0, 1, 2)]
    block = build_block(1, genesis.block.hash, included)
    store.commit_block(block, state_writes_for(1), journal_removals=[entry(4)[0]])
    assert store.journal_entries() == [entry(3)[1], entry(5)[1]]


def test_already_included_transactions_are_not_journaled(store: ChainStore) -> None:
    extend_chain(store, blocks=1, txs_per_block=2)
    store.journal_add([entry(0), entry(1), entry(2)])
    assert store.journal_entries() == [entry(2)[1]]


def test_refused_commit_leaves_the_journal_alone(store: ChainStore) -> None:
    store.commit_block(genesis_block(), {})
    store.journal_add([entry(0)])
    wrong_parent = build_block(1, b"\x77" * 32, [signed_transaction(0)])
    with pytest.raises(ValueError, match="has parent"):
        store.commit_block(wrong_parent, {}, journal_removals=[entry(0)[0]])
    assert store.journal_entries() == [entry(0)[1]]


def test_journal_refuses_malformed_entries(store: ChainStore) -> None:
    with pytest.raises(ValueError, match="must be 32 bytes"):
        store.journal_add([(b"\x01", b"raw")])
    with pytest.raises(ValueError, match="non-empty bytes"):
        store.journal_add([(b"\x01" * 32, b"")])
    with pytest.raises(ValueError, match="pairs"):
        store.journal_add([b"\x01" * 32])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="must be 32 bytes"):
        store.journal_remove(["ab"])  # type: ignore[list-item]
    # A bad entry refuses the whole call: nothing of it is half-written.
    with pytest.raises(ValueError):
        store.journal_add([entry(1), (b"\x01", b"raw")])
    assert store.journal_entries() == []
