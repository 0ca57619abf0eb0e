"""A cell tree held whole, for the tracer: the same roots and proofs as :mod:`cells`, but built
once and updated in 32 hashes per written cell, so a trace does not rebuild memory or code
trees at every step. Only nodes that are not all-zero subtrees are stored. Mutable by design
(the tracer's world); the specification's functions stay in :mod:`cells`.
"""

from __future__ import annotations

from eth_hash.auto import keccak

from ordo.faultproof.cells import CELL_BYTES, CELL_DEPTH, ZERO_HASHES, split_cells


class CellStore:
    """The cell tree of a byte string (or of a list of 32-byte leaves)."""

    def __init__(self, leaves: list[bytes]) -> None:
        self._levels: list[dict[int, bytes]] = [
            {i: cell for i, cell in enumerate(leaves) if cell != ZERO_HASHES[0]}
        ]
        for height in range(CELL_DEPTH):
            below = self._levels[height]
            level: dict[int, bytes] = {}
            for parent in {i >> 1 for i in below}:
                level[parent] = keccak(self._node(height, 2 * parent)
                                       + self._node(height, 2 * parent + 1))
            self._levels.append(level)

    @staticmethod
    def of_bytes(data: bytes) -> CellStore:
        return CellStore(split_cells(data))

    def _node(self, height: int, index: int) -> bytes:
        return self._levels[height].get(index, ZERO_HASHES[height])

    @property
    def root(self) -> bytes:
        return self._node(CELL_DEPTH, 0)

    def cell(self, index: int) -> bytes:
        return self._node(0, index)

    def proof(self, index: int) -> tuple[bytes, ...]:
        return tuple(self._node(height, (index >> height) ^ 1) for height in range(CELL_DEPTH))

    def write(self, index: int, cell: bytes) -> None:
        assert len(cell) == CELL_BYTES
        self._levels[0][index] = cell
        position = index
        for height in range(CELL_DEPTH):
            position >>= 1
            self._levels[height + 1][position] = keccak(
                self._node(height, 2 * position) + self._node(height, 2 * position + 1))

    def read(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (zero past what was written)."""
        out = bytearray()
        for index in range(offset // CELL_BYTES, (offset + size + CELL_BYTES - 1) // CELL_BYTES):
            out += self.cell(index)
        start = offset % CELL_BYTES
        return bytes(out[start:start + size])
