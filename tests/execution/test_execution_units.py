"""Small pure pieces: revert reasons, the state overlay, ancestry, intrinsic gas."""

from __future__ import annotations

import itertools

import pytest
from eth_abi import encode

from ordo.execution.ancestry import RememberedAncestry
from ordo.execution.revert_reason import ERROR_SELECTOR, PANIC_SELECTOR, decode_revert_reason
from ordo.execution.state_source import MemoryKeyValueStore, open_overlay
from ordo.execution.transaction_rules import floor_data_gas, intrinsic_gas


def test_revert_reason_decoding() -> None:
    assert decode_revert_reason(ERROR_SELECTOR + encode(["string"], ["no way"])) == "no way"
    assert decode_revert_reason(PANIC_SELECTOR + encode(["uint256"], [0x11])) == (
        "arithmetic underflow or overflow"
    )
    assert decode_revert_reason(PANIC_SELECTOR + encode(["uint256"], [0x99])) == (
        "unknown panic code: 0x99"
    )
    assert decode_revert_reason(b"") is None
    assert decode_revert_reason(b"\xde\xad\xbe\xef") is None  # custom error: raw data only
    truncated = ERROR_SELECTOR + encode(["string"], ["long enough text"])[:70]
    assert decode_revert_reason(truncated) is None
    lying_length = ERROR_SELECTOR + (32).to_bytes(32, "big") + (10**6).to_bytes(32, "big")
    assert decode_revert_reason(lying_length) is None
    not_utf8 = ERROR_SELECTOR + encode(["bytes"], [b"\xff\xfe"])
    assert decode_revert_reason(not_utf8) is None


def test_overlay_reads_through_records_writes_and_never_deletes() -> None:
    committed = MemoryKeyValueStore({b"a": b"1"})
    database, overlay = open_overlay(committed)
    assert database[b"a"] == b"1"
    with database.atomic_batch() as batch:
        batch[b"b"] = b"2"
        del batch[b"a"]
    assert overlay.writes == {b"b": b"2"}
    assert database[b"a"] == b"1"  # deletions are ignored: old state stays readable
    assert committed.get(b"b") is None  # nothing reaches the store until the node commits
    with pytest.raises(KeyError):
        database[b"zz"]
    committed.apply(overlay.writes)
    assert committed.get(b"b") == b"2" and len(committed) == 2


def test_remembered_ancestry_walks_back_and_forgets_old() -> None:
    ancestry = RememberedAncestry(capacity=300)
    hashes = [bytes([(n + 1) % 256, (n + 1) // 256]) * 16 for n in range(400)]
    ancestry.remember(hashes[0], b"\x00" * 32)
    for parent, child in itertools.pairwise(hashes):
        ancestry.remember(child, parent)
    assert ancestry(hashes[50]) == [hashes[50]]  # evicted: only the 300 newest are kept
    assert ancestry(hashes[399])[:3] == [hashes[399], hashes[398], hashes[397]]
    assert len(ancestry(hashes[399])) == 256
    assert ancestry(b"\x07" * 32) == [b"\x07" * 32]

    young = RememberedAncestry()
    young.remember(hashes[0], b"\x00" * 32)  # genesis: its zero parent is not a block
    young.remember(hashes[1], hashes[0])
    assert young(hashes[1]) == [hashes[1], hashes[0]]
    with pytest.raises(ValueError):
        RememberedAncestry(capacity=10)


def test_intrinsic_and_floor_gas() -> None:
    assert intrinsic_gas(b"", False, ()) == 21_000
    assert intrinsic_gas(b"\x00\x01", False, ()) == 21_000 + 4 + 16
    assert intrinsic_gas(b"\x01" * 33, True, ()) == 21_000 + 32_000 + 33 * 16 + 2 * 2
    assert intrinsic_gas(b"\x01" * 33, True, (), include_initcode=False) == (
        21_000 + 32_000 + 33 * 16
    )
    assert intrinsic_gas(b"", False, ((b"\x01" * 20, (1, 2)),)) == 21_000 + 2_400 + 2 * 1_900
    assert floor_data_gas(b"\x00\x01") == 21_000 + 10 * (1 + 4)
