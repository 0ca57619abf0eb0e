"""Cell trees: roots, proofs and writes agree with each other and with the empty-tree
constants, so the tracer and the verifier can rely on them."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from ordo.faultproof.cells import (
    CELL_DEPTH,
    EMPTY_ROOT,
    ZERO_HASHES,
    CellTreeError,
    cell_proof,
    cell_root,
    list_proof,
    list_root,
    root_from_proof,
    split_cells,
)


def test_empty_string_root_is_the_zero_subtree_of_full_height() -> None:
    assert cell_root(b"") == EMPTY_ROOT == ZERO_HASHES[CELL_DEPTH]
    assert ZERO_HASHES[1] == keccak(bytes(64))
    # Zero bytes are indistinguishable from absent cells: the size is committed beside the root.
    assert cell_root(bytes(96)) == EMPTY_ROOT


def test_one_cell_root_by_hand() -> None:
    cell = bytes(range(32))
    node = cell
    for height in range(CELL_DEPTH):
        node = keccak(node + ZERO_HASHES[height])
    assert cell_root(cell) == node
    assert cell_root(bytes(range(31))) == cell_root(bytes(range(31)) + b"\x00")


@pytest.mark.parametrize("size", [1, 32, 33, 64, 95, 1000, 4097])
def test_every_cell_proves_against_the_root_and_a_write_moves_it(size: int) -> None:
    data = bytes((7 * i + 3) % 256 for i in range(size))
    root = cell_root(data)
    cells = split_cells(data)
    for index in {0, len(cells) // 2, len(cells) - 1, len(cells), 5000}:
        leaf = cells[index] if index < len(cells) else bytes(32)
        proof = cell_proof(data, index)
        assert root_from_proof(index, leaf, proof) == root
        assert root_from_proof(index, b"\x01" * 32, proof) != root
        written = bytearray(data + bytes(max(0, 32 * (index + 1) - len(data))))
        written[32 * index:32 * index + 32] = b"\x01" * 32
        assert root_from_proof(index, b"\x01" * 32, proof) == cell_root(bytes(written))


def test_list_root_places_hashes_as_leaves() -> None:
    leaves = [keccak(bytes([i])) for i in range(5)]
    assert list_root(leaves) == cell_root(b"".join(leaves))
    assert root_from_proof(3, leaves[3], list_proof(leaves, 3)) == list_root(leaves)
    assert list_root([]) == EMPTY_ROOT


def test_malformed_inputs_are_refused() -> None:
    with pytest.raises(CellTreeError, match="not 32"):
        list_root([b"\x00" * 31])
    with pytest.raises(CellTreeError, match="outside"):
        root_from_proof(1 << 32, bytes(32), [bytes(32)] * 32)
    with pytest.raises(CellTreeError, match="32 hashes"):
        root_from_proof(0, bytes(32), [bytes(32)] * 31)
