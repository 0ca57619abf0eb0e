# pragma version 0.4.3
"""
@title Step verifier service: the roots of a callee's code (docs/fault_proofs.md 2, 3.8)
@notice A call or creation step opens a frame whose `code_root` is the cell root (1.1) of the
        code and whose `jumpdests_root` is the cell root of its jump-destination bitmap (bit
        `7 - (i mod 8)` of byte `i div 8` set when byte `i` is a JUMPDEST that is not PUSH
        data: src/ordo/faultproof/code_bits.py). Up to 24,576 bytes (EIP-170) both are
        computed here, in a contract of their own so that the call and creation parts keep
        their room under the size limit: the bitmap in one pass over the code's bytes (a word
        read per 32 bytes), each root by hashing the level's nodes pairwise up to depth 32.
"""

MAX_CODE: constant(uint256) = 24576
CELLS: constant(uint256) = 768  # 24,576 / 32
BITMAP_CELLS: constant(uint256) = 96  # 24,576 / 256: one bitmap cell covers 256 code bytes
CELL_DEPTH: constant(uint256) = 32


@external
@pure
def roots(code: Bytes[MAX_CODE]) -> (bytes32, bytes32):
    """@notice (cell_root(code), cell_root(jumpdest_bitmap(code)))."""
    size: uint256 = len(code)
    padded: Bytes[MAX_CODE + 32] = concat(code, empty(bytes32))
    level: bytes32[CELLS] = empty(bytes32[CELLS])
    bits: bytes32[CELLS] = empty(bytes32[CELLS])
    acc: uint256 = 0  # the bitmap cell of the 256 bytes being scanned
    pos: uint256 = 0  # the next instruction's offset
    for cell: uint256 in range(CELLS):
        if unsafe_mul(cell, 32) >= size:
            break
        level[cell] = extract32(padded, unsafe_mul(cell, 32))
        word: uint256 = convert(level[cell], uint256)
        end: uint256 = unsafe_mul(cell + 1, 32)
        for _: uint256 in range(32):  # the instructions starting in this cell
            if pos >= end:
                break
            op: uint256 = (word >> unsafe_mul(8, unsafe_sub(31, pos % 32))) & 255
            if op == 91:  # JUMPDEST: bit 255 - (pos mod 256) of bitmap cell pos div 256
                acc = acc | (1 << unsafe_sub(255, pos % 256))
            elif op >= 96 and op <= 127:  # PUSH1-PUSH32: their data is never a destination
                pos = unsafe_add(pos, unsafe_sub(op, 95))
            pos = unsafe_add(pos, 1)
        if cell % 8 == 7 or unsafe_mul(cell + 1, 32) >= size:
            bits[cell // 8] = convert(acc, bytes32)  # bits past `size` are never set
            acc = 0
            # a PUSH's data may run over whole cells: their JUMPDESTs stay unset
    return self._root(level, (size + 31) // 32), self._root(bits, (size + 255) // 256)


@external
@pure
def cells_root(data: Bytes[MAX_CODE]) -> (bytes32, bytes32):
    """@notice (cell_root(data), zero): a transaction's or a call's data needs no bitmap, and
            its scan is most of what `roots` costs (6.3 M gas for 24,576 bytes); the answer
            has `roots`' shape so that a caller reads both alike."""
    size: uint256 = len(data)
    padded: Bytes[MAX_CODE + 32] = concat(data, empty(bytes32))
    level: bytes32[CELLS] = empty(bytes32[CELLS])
    for cell: uint256 in range(CELLS):
        if unsafe_mul(cell, 32) >= size:
            break
        level[cell] = extract32(padded, unsafe_mul(cell, 32))
    return self._root(level, (size + 31) // 32), empty(bytes32)


@internal
@pure
def _root(leaves: bytes32[CELLS], count: uint256) -> bytes32:
    """@notice The depth-32 cell root of `count` leaves (zero past them): each level hashed
            pairwise, an odd level padded with the zero subtree of its height."""
    level: bytes32[CELLS] = leaves
    zero: bytes32 = empty(bytes32)
    width: uint256 = max(count, 1)  # no leaf: one zero leaf gives the empty root
    for height: uint256 in range(CELL_DEPTH):
        if width % 2 == 1:
            level[width] = zero
        width = (width + 1) // 2
        for k: uint256 in range(CELLS // 2):
            if k == width:
                break
            level[k] = keccak256(concat(level[2 * k], level[2 * k + 1]))
        zero = keccak256(concat(zero, zero))
    return level[0]
