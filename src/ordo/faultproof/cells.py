"""Cell trees: a byte string (memory, calldata, return data, code) as a fixed-depth binary
Merkle root over its 32-byte cells (docs/fault_proofs.md, 1.1).

A fixed depth of 32 means every proof has the same shape on L1 whatever the string's size, and
cells past the end are zero, so growing memory never changes the root of what is already there:
only writes do. Leaves are the cells themselves, not their hashes, so a proof for a cell is the
cell plus 32 siblings. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_hash.auto import keccak

CELL_BYTES = 32
CELL_DEPTH = 32
MAX_CELLS = 1 << CELL_DEPTH
ZERO_CELL = bytes(CELL_BYTES)


def _zero_hashes() -> tuple[bytes, ...]:
    hashes = [ZERO_CELL]
    for _ in range(CELL_DEPTH):
        hashes.append(keccak(hashes[-1] + hashes[-1]))
    return tuple(hashes)


ZERO_HASHES = _zero_hashes()
"""ZERO_HASHES[h] is the root of an all-zero subtree of height h; ZERO_HASHES[32] is the root
of the empty string."""
EMPTY_ROOT = ZERO_HASHES[CELL_DEPTH]


class CellTreeError(ValueError):
    """A cell index out of range, a cell that is not 32 bytes, or a malformed proof."""


def split_cells(data: bytes) -> list[bytes]:
    """``data`` cut into 32-byte cells, the last one right-padded with zeros."""
    padded = data + bytes(-len(data) % CELL_BYTES)
    return [padded[start:start + CELL_BYTES] for start in range(0, len(padded), CELL_BYTES)]


def _levels(cells: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree up to the root, keeping only the nodes that are not all-zero
    subtrees on the right (level h has ceil(n / 2^h) nodes)."""
    for cell in cells:
        if len(cell) != CELL_BYTES:
            raise CellTreeError(f"a cell is {len(cell)} bytes, not {CELL_BYTES}")
    if len(cells) > MAX_CELLS:
        raise CellTreeError(f"{len(cells)} cells exceed the tree's {MAX_CELLS}")
    levels = [list(cells)]
    for height in range(CELL_DEPTH):
        below = levels[-1]
        if len(below) % 2:
            below = [*below, ZERO_HASHES[height]]
        levels.append([keccak(below[i] + below[i + 1]) for i in range(0, len(below), 2)])
    return levels


def list_root(cells: Sequence[bytes]) -> bytes:
    """The cell root whose leaf ``i`` is ``cells[i]`` (32-byte values, zero past the end)."""
    if not cells:
        return EMPTY_ROOT
    return _levels(cells)[CELL_DEPTH][0]


def cell_root(data: bytes) -> bytes:
    """The cell root of a byte string."""
    return list_root(split_cells(data))


def list_proof(cells: Sequence[bytes], index: int) -> tuple[bytes, ...]:
    """The 32 siblings of leaf ``index``, from the leaf's sibling up to the root's children."""
    if not 0 <= index < MAX_CELLS:
        raise CellTreeError(f"cell index {index} outside 0..{MAX_CELLS - 1}")
    levels = _levels(cells) if cells else [[] for _ in range(CELL_DEPTH + 1)]
    siblings = []
    position = index
    for height in range(CELL_DEPTH):
        sibling = position ^ 1
        level = levels[height]
        siblings.append(level[sibling] if sibling < len(level) else ZERO_HASHES[height])
        position >>= 1
    return tuple(siblings)


def cell_proof(data: bytes, index: int) -> tuple[bytes, ...]:
    """The proof of cell ``index`` of a byte string."""
    return list_proof(split_cells(data), index)


def root_from_proof(index: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a proof leads to with ``leaf`` at ``index``: to check a read, compare it with
    the committed root; to write, call it with the new leaf and the same proof."""
    if not 0 <= index < MAX_CELLS:
        raise CellTreeError(f"cell index {index} outside 0..{MAX_CELLS - 1}")
    if len(leaf) != CELL_BYTES:
        raise CellTreeError(f"a cell is {len(leaf)} bytes, not {CELL_BYTES}")
    if len(proof) != CELL_DEPTH or any(len(node) != 32 for node in proof):
        raise CellTreeError(f"a cell proof is {CELL_DEPTH} hashes of 32 bytes")
    node = leaf
    for height, sibling in enumerate(proof):
        node = keccak(sibling + node) if (index >> height) & 1 else keccak(node + sibling)
    return node
