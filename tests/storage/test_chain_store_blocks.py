"""Blocks, receipts, indexes, logs, certificates and finality through a real LMDB store."""

from __future__ import annotations

from pathlib import Path

import pytest
import rlp

from ordo.core.block import ExecutedBlock, TransactionLocation
from ordo.storage.chain_store import ChainStore, StoreClosedError, StoreFullError
from tests.storage.storage_chain_builder import (
    LOG_TOPIC,
    RECIPIENT,
    build_block,
    certificate_for,
    extend_chain,
    genesis_block,
    signed_transaction,
    state_writes_for,
)


def test_empty_store_has_no_head(store: ChainStore) -> None:
    assert store.head_number() is None
    assert store.head() is None
    assert store.finalized_number() is None
    assert store.get_block_by_number(0) is None
    assert store.get_header_by_number(0) is None
    assert store.get_receipts(b"\x11" * 32) == ()
    assert store.get_block_logs(0) == ()
    assert store.get_certificate(0) is None


def test_blocks_round_trip_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "chain"
    with ChainStore(path, map_size=64 * 2**20) as store:
        committed = extend_chain(store, blocks=4, txs_per_block=5)
    # A fresh process view: nothing comes from the decoded-block cache.
    with ChainStore(path, map_size=64 * 2**20, cache_size=0) as store:
        assert store.head_number() == 4
        for executed in committed:
            original = executed.block
            loaded = store.get_block_by_number(original.number)
            assert loaded is not None
            assert loaded.hash == original.hash
            assert rlp.encode(loaded.header) == rlp.encode(original.header)
            assert [tx.encode() for tx in loaded.transactions] == [
                tx.encode() for tx in original.transactions
            ]
            assert [bytes(tx.hash) for tx in loaded.transactions] == [
                bytes(tx.hash) for tx in original.transactions
            ]
            assert loaded.senders == original.senders
            assert store.get_block_by_hash(original.hash) == loaded
            header = store.get_header_by_number(original.number)
            assert header is not None and header.hash == original.hash
            receipts = store.get_receipts(original.hash)
            assert [r.encode() for r in receipts] == [r.encode() for r in executed.receipts]
            assert store.get_certificate(original.number) == certificate_for(original.number)
        head = store.head()
        assert head is not None and head.hash == committed[-1].block.hash


def test_mixed_transaction_kinds_survive_storage(store: ChainStore) -> None:
    committed = extend_chain(store, blocks=1, txs_per_block=3)
    loaded = store.get_block_by_number(1)
    assert loaded is not None
    kinds = [getattr(tx, "type_id", None) for tx in loaded.transactions]
    assert kinds == [None, 1, 2]  # legacy, EIP-2930, EIP-1559
    assert [int(tx.nonce) for tx in loaded.transactions] == [0, 1, 2]
    receipts = store.get_receipts(committed[1].block.hash)
    assert [int(r.gas_used) for r in receipts] == [21_064, 42_128, 63_192]


def test_transaction_index_points_at_block_and_position(store: ChainStore) -> None:
    committed = extend_chain(store, blocks=3, txs_per_block=4)
    for executed in committed:
        for index, tx in enumerate(executed.block.transactions):
            assert store.get_transaction_location(bytes(tx.hash)) == TransactionLocation(
                block_hash=executed.block.hash, block_number=executed.block.number, index=index
            )
    assert store.get_transaction_location(b"\x22" * 32) is None


def test_block_number_and_hash_indexes(store: ChainStore) -> None:
    committed = extend_chain(store, blocks=3)
    for executed in committed:
        assert store.get_block_hash(executed.block.number) == executed.block.hash
    assert store.get_block_hash(4) is None
    assert store.get_block_by_number(4) is None
    assert store.get_block_by_hash(b"\x33" * 32) is None
    assert store.get_block_by_number(2**64) is None


def test_logs_carry_block_wide_indexes(store: ChainStore) -> None:
    committed = extend_chain(store, blocks=2, txs_per_block=3)
    block = committed[2].block
    logs = store.get_block_logs(2)
    assert len(logs) == 3 * 2
    assert [log.log_index for log in logs] == list(range(6))
    assert [log.transaction_index for log in logs] == [0, 0, 1, 1, 2, 2]
    for log in logs:
        tx = block.transactions[log.transaction_index]
        assert log.transaction_hash == bytes(tx.hash)
        assert log.block_hash == block.hash
        assert log.block_number == 2
        assert log.address == RECIPIENT
        assert log.topics[0] == LOG_TOPIC
        assert log.topics[1] == b"\0" * 12 + block.senders[log.transaction_index]
        assert all(len(topic) == 32 for topic in log.topics)
        assert log.data[:32] == int(tx.nonce).to_bytes(32, "big")
    assert [log.data[32] for log in logs] == [0, 1, 0, 1, 0, 1]
    assert store.get_block_logs(0) == ()  # genesis has no transactions
    assert store.get_block_logs(99) == ()


def test_state_writes_are_readable_through_the_state_reader(store: ChainStore) -> None:
    extend_chain(store, blocks=2)
    reader = store.state_reader()
    for number in range(3):
        for key, value in state_writes_for(number).items():
            assert reader.get(key) == value
    assert reader.get(b"\x44" * 32) is None
    assert reader.get(b"") is None
    assert reader.get(b"\x01" * 4096) is None


def test_refuses_a_block_that_does_not_extend_the_head(store: ChainStore) -> None:
    committed = extend_chain(store, blocks=1)
    head = committed[-1].block
    wrong_number = build_block(3, head.hash, [signed_transaction(10)])
    with pytest.raises(ValueError, match="does not follow the head 1"):
        store.commit_block(wrong_number, {})
    repeated_number = build_block(1, head.hash, [signed_transaction(10)])
    with pytest.raises(ValueError, match="does not follow the head 1"):
        store.commit_block(repeated_number, {})
    wrong_parent = build_block(2, b"\x55" * 32, [signed_transaction(10)])
    with pytest.raises(ValueError, match="has parent 0x5555"):
        store.commit_block(wrong_parent, {b"\x66" * 32: b"must not be written"})
    # Nothing of the refused blocks was written.
    assert store.head_number() == 1
    assert store.get_block_by_number(2) is None
    assert store.state_reader().get(b"\x66" * 32) is None
    assert store.get_transaction_location(bytes(wrong_parent.block.transactions[0].hash)) is None


def test_first_block_of_an_empty_store_must_be_genesis(store: ChainStore) -> None:
    with pytest.raises(ValueError, match="must be genesis"):
        store.commit_block(build_block(1, b"\0" * 32, []), {})
    assert store.head_number() is None


def test_refuses_a_transaction_included_twice(store: ChainStore) -> None:
    committed = extend_chain(store, blocks=1, txs_per_block=2)
    head = committed[-1].block
    again = build_block(2, head.hash, [signed_transaction(1)])
    with pytest.raises(ValueError, match="already included in block 1"):
        store.commit_block(again, {})
    duplicated = build_block(2, head.hash, [signed_transaction(5), signed_transaction(5)])
    with pytest.raises(ValueError, match="appears twice"):
        store.commit_block(duplicated, {})
    assert store.head_number() == 1
    assert store.get_transaction_location(bytes(signed_transaction(5).hash)) is None


def test_refuses_malformed_commits(store: ChainStore) -> None:
    genesis = genesis_block()
    with pytest.raises(ValueError, match="state key"):
        store.commit_block(genesis, {b"": b"x"})
    with pytest.raises(ValueError, match="state key"):
        store.commit_block(genesis, {b"k" * 600: b"x"})
    with pytest.raises(ValueError, match="must be bytes"):
        store.commit_block(genesis, {b"k": "text"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="certificate must be bytes"):
        store.commit_block(genesis, {}, certificate="cert")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="journal removal"):
        store.commit_block(genesis, {}, journal_removals=[b"short"])
    with pytest.raises(ValueError, match="expected an ExecutedBlock"):
        store.commit_block(genesis.block, {})  # type: ignore[arg-type]
    block = build_block(0, b"\0" * 32, [signed_transaction(0)])
    with pytest.raises(ValueError, match="1 transactions but 0 receipts"):
        store.commit_block(ExecutedBlock(block.block, ()), {})
    with pytest.raises(ValueError, match="one receipt encoding"):
        store.commit_block(ExecutedBlock(block.block, block.receipts, receipt_encodings=()), {})
    with pytest.raises(ValueError, match="above the block"):
        store.commit_block(genesis, {}, finalized_number=1)
    assert store.head_number() is None


def test_finality_pointer_moves_forward_only(store: ChainStore) -> None:
    committed = extend_chain(store, blocks=3)
    assert store.finalized_number() is None
    store.set_finalized_number(1)
    assert store.finalized_number() == 1
    store.set_finalized_number(1)
    with pytest.raises(ValueError, match="below the current 1"):
        store.set_finalized_number(0)
    with pytest.raises(ValueError, match="above the head 3"):
        store.set_finalized_number(4)
    with pytest.raises(ValueError, match="finalized number"):
        store.set_finalized_number(-1)
    head = committed[-1].block
    store.commit_block(build_block(4, head.hash, []), {}, finalized_number=4)
    assert store.finalized_number() == 4
    assert store.head_number() == 4


def test_commit_with_finality_below_current_is_refused_whole(store: ChainStore) -> None:
    committed = extend_chain(store, blocks=2)
    store.set_finalized_number(2)
    with pytest.raises(ValueError, match="below the current 2"):
        store.commit_block(build_block(3, committed[-1].block.hash, []), {}, finalized_number=1)
    assert store.head_number() == 2


def test_metadata_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "chain"
    with ChainStore(path) as store:
        assert store.get_meta("genesis_hash") is None
        store.put_meta("genesis_hash", b"\x01" * 32)
        store.put_meta("node_identity", b"key")
        store.put_meta("node_identity", b"key2")
        with pytest.raises(ValueError, match="non-empty str"):
            store.put_meta("", b"x")
        with pytest.raises(ValueError, match="must be bytes"):
            store.put_meta("x", "text")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="exceeds"):
            store.get_meta("k" * 1000)
    with ChainStore(path) as store:
        assert store.get_meta("genesis_hash") == b"\x01" * 32
        assert store.get_meta("node_identity") == b"key2"


def test_bad_lookups_get_precise_errors(store: ChainStore) -> None:
    with pytest.raises(ValueError, match="block hash must be 32 bytes"):
        store.get_block_by_hash(b"\x01")
    with pytest.raises(ValueError, match="transaction hash must be 32 bytes"):
        store.get_transaction_location("0x00")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative int"):
        store.get_block_by_number(-1)
    with pytest.raises(ValueError, match="non-negative int"):
        store.get_header_by_number(True)
    with pytest.raises(TypeError, match="state key must be bytes"):
        store.state_reader().get("key")  # type: ignore[arg-type]


def test_one_store_per_path_per_process_and_closed_use(tmp_path: Path) -> None:
    path = tmp_path / "chain"
    store = ChainStore(path)
    with pytest.raises(ValueError, match="already open in this process"):
        ChainStore(path)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreClosedError):
        store.head_number()
    with pytest.raises(StoreClosedError):
        store.commit_block(genesis_block(), {})
    ChainStore(path).close()  # the path is free again


def test_refuses_invalid_map_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="map_size"):
        ChainStore(tmp_path / "chain", map_size=0)


def test_full_map_is_reported_and_leaves_the_store_usable(tmp_path: Path) -> None:
    with ChainStore(tmp_path / "chain", map_size=2**20) as store:
        extend_chain(store, blocks=1)
        head = store.head()
        assert head is not None
        oversized = {index.to_bytes(32, "big"): b"\xee" * 1000 for index in range(2000)}
        with pytest.raises(StoreFullError, match="larger map_size"):
            store.commit_block(build_block(2, head.hash, []), oversized)
        assert store.head_number() == 1
        assert store.state_reader().get((0).to_bytes(32, "big")) is None
        store.commit_block(build_block(2, head.hash, []), state_writes_for(2))
        assert store.head_number() == 2


def test_a_full_disk_refuses_the_write_whole_precisely_and_counted(tmp_path: Path) -> None:
    """On a full file system a block commit raises StoreDiskFullError (not lmdb's DiskError,
    which the node could only log as a crash), counts it, stores nothing of the block, and the
    same commit succeeds once space is freed (a small tmpfs: root only)."""
    from ordo.chaos.small_disk import (
        DiskUnavailable,
        fill_disk,
        free_disk,
        mount_small_disk,
        unmount,
    )
    from ordo.storage.chain_store import StoreDiskFullError

    disk = tmp_path / "disk"
    try:
        mount_small_disk(disk, "16m")
    except DiskUnavailable as reason:
        pytest.skip(str(reason))
    try:
        with ChainStore(disk / "chain", map_size=64 * 2**20) as store:
            committed = extend_chain(store, blocks=2, txs_per_block=3)
            parent = committed[-1].block
            number = parent.number + 1
            following = build_block(number, parent.hash,
                                    [signed_transaction(6 + index) for index in range(40)])
            fill_disk(disk)
            for attempt in (1, 2):
                with pytest.raises(StoreDiskFullError, match="no space left"):
                    store.commit_block(following, state_writes_for(number, 400),
                                       certificate=certificate_for(number))
                assert store.write_refusals == attempt
                assert store.head_number() == parent.number
                assert store.get_block_by_number(number) is None
            free_disk(disk)
            store.commit_block(following, state_writes_for(number, 400),
                               certificate=certificate_for(number))
            assert store.head_number() == number
    finally:
        unmount(disk)



def test_handed_receipt_encodings_are_the_stored_record(tmp_path: Path) -> None:
    """A block committed with the engine's receipt encodings (the native engine's path: no
    second encoding in Python) reads back, in a fresh process view, with the same receipts."""
    path = tmp_path / "chain"
    genesis = genesis_block()
    block = build_block(1, genesis.block.hash, [signed_transaction(0), signed_transaction(1)])
    encodings = tuple(receipt.encode() for receipt in block.receipts)
    with ChainStore(path, map_size=64 * 2**20) as store:
        store.commit_block(genesis, state_writes_for(0))
        store.commit_block(
            ExecutedBlock(block.block, block.receipts, receipt_encodings=encodings),
            state_writes_for(1),
        )
    with ChainStore(path, map_size=64 * 2**20, cache_size=0) as store:
        receipts = store.get_receipts(block.block.hash)
        assert [r.encode() for r in receipts] == list(encodings)
        assert [len(r.logs) for r in receipts] == [2, 2]
