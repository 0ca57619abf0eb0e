# pragma version 0.4.3
"""
@title Memory and other byte strings for a step: expansion gas, cells read and written in the
       witness's order, bytes read from a source tree, the cell root of a short output
@notice Cells come from the witness's `memory` list in the order the step touches them (each
        proved against the memory root as the earlier entries left it) and from `source` (each
        against the source tree's root before the step), as step.py's _Run reads them.
"""

import cells
import core
import witness as w

BUFFER: constant(uint256) = 1056  # 33 cells: an unaligned 1,024 bytes
HUGE: constant(uint256) = max_value(uint256)
# offsets and sizes from BOUND on cost more gas than any frame holds: a halt, never a wrap
BOUND: constant(uint256) = 2**128


@internal
@pure
def memory_cost(size: uint256) -> uint256:
    words: uint256 = size // 32
    return 3 * words + words * words // 512


@internal
@pure
def grown(memory_size: uint256, offset: uint256, size: uint256) -> uint256:
    """@notice The memory size after touching [offset, offset + size) (both below BOUND)."""
    if size == 0:
        return memory_size
    new_size: uint256 = (offset + size + 31) // 32 * 32
    if new_size <= memory_size:
        return memory_size
    return new_size


@internal
@pure
def expansion(r: core.Run, offset: uint256, size: uint256, offset2: uint256,
              size2: uint256) -> (uint256, uint256):
    """
    @notice The gas of touching both ranges (a second range of size 0 touches nothing) and the
            memory size after it; HUGE when a range with a non-zero size reaches BOUND.
    """
    if (size != 0 and (offset >= BOUND or size >= BOUND)) or \
            (size2 != 0 and (offset2 >= BOUND or size2 >= BOUND)):
        return HUGE, r.memory_size
    new_size: uint256 = self.grown(self.grown(r.memory_size, offset, size), offset2, size2)
    return self.memory_cost(new_size) - self.memory_cost(r.memory_size), new_size


@internal
@pure
def words(size: uint256) -> uint256:
    return (size + 31) // 32


@internal
@pure
def charge_growth(r: core.Run, static: uint256, offset: uint256, size: uint256,
                  offset2: uint256, size2: uint256) -> core.Run:
    """@notice Charge `static` (HUGE when a per-byte part overflows) plus the expansion, and
            grow the memory; a step that cannot pay is marked halting."""
    result: core.Run = r
    cost: uint256 = 0
    new_size: uint256 = 0
    cost, new_size = self.expansion(r, offset, size, offset2, size2)
    if cost == HUGE or static == HUGE or cost + static > r.gas:
        result.halting = True
        return result
    result.gas = r.gas - cost - static
    result.memory_size = new_size
    return result


@internal
@view
def cell_span(offset: uint256, size: uint256) -> (uint256, uint256):
    """@notice First cell and number of cells of [offset, offset + size), refused over 32."""
    if size == 0:
        return 0, 0
    first: uint256 = offset // 32
    count: uint256 = (offset + size - 1) // 32 + 1 - first
    if count > 32:
        raise "StepVerifier: the step touches more than 32 cells: not verifiable yet"
    return first, count


@internal
@view
def memory_cell(r: core.Run, index: uint256) -> (core.Run, bytes32, uint256):
    """@notice The next memory cell of the witness, checked to be cell `index` of the memory as
            the step has written it so far; with the calldata offset of its siblings."""
    result: core.Run = r
    at: uint256 = r.proofs + w.uint(r.proofs + core.MEMORY_PTR)
    assert r.memory_used < w.uint(at), "StepVerifier: too few memory cells"
    item: uint256 = at + 32 + core.CELL_ITEM * r.memory_used
    w.need(item + core.CELL_ITEM)
    assert w.uint(item) == index, "StepVerifier: memory cell index is not the one the step needs"
    cell: bytes32 = w.word(item + 32)
    siblings: uint256 = w.base() + item + 64
    assert cells.root_at(index, cell, siblings) == r.memory_root, \
        "StepVerifier: memory cell does not prove against the memory root"
    result.memory_used = r.memory_used + 1
    return result, cell, siblings


@internal
@view
def source_cell(r: core.Run, index: uint256, root: bytes32) -> (core.Run, bytes32):
    """@notice The next source cell of the witness, checked to be cell `index` of `root`."""
    result: core.Run = r
    at: uint256 = r.proofs + w.uint(r.proofs + core.SOURCE_PTR)
    assert r.source_used < w.uint(at), "StepVerifier: too few source cells"
    item: uint256 = at + 32 + core.CELL_ITEM * r.source_used
    w.need(item + core.CELL_ITEM)
    assert w.uint(item) == index, "StepVerifier: source cell index is not the one the step needs"
    cell: bytes32 = w.word(item + 32)
    assert cells.root_at(index, cell, w.base() + item + 64) == root, \
        "StepVerifier: source cell does not prove against its root"
    result.source_used = r.source_used + 1
    return result, cell


@internal
@pure
def join(c: bytes32[33]) -> Bytes[BUFFER]:
    return concat(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15], c[16], c[17], c[18], c[19], c[20], c[21], c[22], c[23], c[24], c[25], c[26], c[27], c[28], c[29], c[30], c[31], c[32])


@internal
@view
def read_memory(r: core.Run, offset: uint256, size: uint256) -> (core.Run, Bytes[BUFFER]):
    """@notice `size` bytes of memory at `offset` (size 0: nothing read)."""
    result: core.Run = r
    first: uint256 = 0
    count: uint256 = 0
    first, count = self.cell_span(offset, size)
    if count == 0:
        return result, b""
    got: bytes32[33] = empty(bytes32[33])
    for k: uint256 in range(32):
        if k == count:
            break
        siblings: uint256 = 0
        result, got[k], siblings = self.memory_cell(result, first + k)
    return result, slice(self.join(got), offset - 32 * first, size)


@internal
@view
def read_source(r: core.Run, root: bytes32, limit: uint256, offset: uint256,
                size: uint256) -> (core.Run, Bytes[BUFFER]):
    """@notice `size` (at most 1,024) bytes at `offset` of a tree of `limit` bytes, zero past
            `limit`: only the cells below `limit` are read and the bytes past it are zeroed
            (3.1 field 4)."""
    result: core.Run = r
    got: bytes32[33] = empty(bytes32[33])
    if offset >= limit:
        return result, slice(self.join(got), 0, size)
    end: uint256 = min(offset + size, limit)
    first: uint256 = 0
    count: uint256 = 0
    first, count = self.cell_span(offset, end - offset)
    for k: uint256 in range(32):
        if k == count:
            break
        result, got[k] = self.source_cell(result, first + k, root)
    keep: uint256 = end - 32 * (first + count - 1)  # bytes of the last cell below the limit
    if keep < 32:
        got[count - 1] = convert(convert(got[count - 1], uint256) >> (8 * (32 - keep))
                                 << (8 * (32 - keep)), bytes32)
    return result, slice(self.join(got), offset - 32 * first, size)


@internal
@view
def write_memory(r: core.Run, offset: uint256, data: Bytes[BUFFER]) -> core.Run:
    """@notice Write `data` at `offset`: each touched cell is read, merged and written back
            with its own proof, moving the memory root."""
    result: core.Run = r
    first: uint256 = 0
    count: uint256 = 0
    size: uint256 = len(data)
    first, count = self.cell_span(offset, size)
    padded: Bytes[BUFFER + 32] = concat(data, empty(bytes32))
    for k: uint256 in range(32):
        if k == count:
            break
        index: uint256 = first + k
        cell: bytes32 = empty(bytes32)
        siblings: uint256 = 0
        result, cell, siblings = self.memory_cell(result, index)
        base: uint256 = 32 * index
        lo: uint256 = max(offset, base)
        hi: uint256 = min(offset + size, base + 32)
        segment: uint256 = convert(extract32(padded, lo - offset), uint256) >> (8 * (lo - base))
        mask: uint256 = max_value(uint256)
        if hi - lo < 32:
            mask = ((1 << (8 * (hi - lo))) - 1) << (8 * (base + 32 - hi))
        merged: uint256 = (convert(cell, uint256) & (max_value(uint256) ^ mask)) | (segment & mask)
        result.memory_root = cells.root_at(index, convert(merged, bytes32), siblings)
    return result


@internal
@view
def write_caller(r: core.Run, root: bytes32, offset: uint256,
                  data: Bytes[BUFFER]) -> (bytes32, uint256):
    """@notice Write `data` at `offset` of the caller's memory with the `caller_memory` cells
            (at most 32, each against the root the earlier ones left); the new root and the
            number of cells used. A return to a caller and a precompile callee's output (3.8)."""
    first: uint256 = 0
    count: uint256 = 0
    size: uint256 = len(data)
    first, count = self.cell_span(offset, size)
    at: uint256 = r.proofs + w.uint(r.proofs + core.CALLER_MEMORY_PTR)
    given: uint256 = w.uint(at)
    assert count <= given, "StepVerifier: too few caller memory cells"
    padded: Bytes[BUFFER + 32] = concat(data, empty(bytes32))
    node: bytes32 = root
    for k: uint256 in range(32):
        if k == count:
            break
        index: uint256 = first + k
        item: uint256 = at + 32 + core.CELL_ITEM * k
        w.need(item + core.CELL_ITEM)
        assert w.uint(item) == index, \
            "StepVerifier: caller memory cell index is not the one the return writes"
        cell: bytes32 = w.word(item + 32)
        siblings: uint256 = w.base() + item + 64
        assert cells.root_at(index, cell, siblings) == node, \
            "StepVerifier: caller memory cell does not prove against the caller's memory root"
        base: uint256 = 32 * index
        lo: uint256 = max(offset, base)
        hi: uint256 = min(offset + size, base + 32)
        segment: uint256 = convert(extract32(padded, lo - offset), uint256) >> (8 * (lo - base))
        mask: uint256 = max_value(uint256)
        if hi - lo < 32:
            mask = ((1 << (8 * (hi - lo))) - 1) << (8 * (base + 32 - hi))
        merged: uint256 = (convert(cell, uint256) & (max_value(uint256) ^ mask)) | (segment & mask)
        node = cells.root_at(index, convert(merged, bytes32), siblings)
    return node, count


@internal
@pure
def output_root(data: Bytes[BUFFER]) -> bytes32:
    """@notice The cell root (1.1) of at most 1,024 bytes: a 32-leaf subtree, then zero
            subtrees up to depth 32."""
    level: bytes32[32] = empty(bytes32[32])
    padded: Bytes[BUFFER + 32] = concat(data, empty(bytes32))
    for k: uint256 in range(32):
        if 32 * k >= len(data):
            break
        level[k] = extract32(padded, 32 * k)
    zero: bytes32 = empty(bytes32)
    width: uint256 = 32
    for height: uint256 in range(5):
        width = width // 2
        for k: uint256 in range(16):
            if k == width:
                break
            level[k] = keccak256(concat(level[2 * k], level[2 * k + 1]))
        zero = keccak256(concat(zero, zero))
    node: bytes32 = level[0]
    for height: uint256 in range(27):
        node = keccak256(concat(node, zero))
        zero = keccak256(concat(zero, zero))
    return node
