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
LOW7: constant(uint256) = 57669001306428065956053000376875938421040345304064124051023973211784186134399  # 0x7f7f...7f
HIGH1: constant(uint256) = 58123087930888129467517984631811969432229639361576439988433610796128943505536  # 0x8080...80
TOP3: constant(uint256) = 101715403879054226568156473105670946506401868882758769979758818893225651134688  # 0xe0e0...e0: an opcode's top three bits
PUSHES: constant(uint256) = 43592315948166097100638488473858977074172229521182329991325208097096707629152  # 0x6060...60: PUSH1-PUSH32 have top bits 011
JUMPDESTS: constant(uint256) = 41321882825865779543313567199178822018225759233620750304277020175372920773467  # 0x5b5b...5b
PAIRS: constant(uint256) = 5300622075409301690252734493416704410769969542945322226571644953440747523  # 0x0003 in every 16 bits
NIBBLES: constant(uint256) = 404399200101416122972727962327899080730729934460329449514903409786895  # 0x0000000f in every 32 bits
BYTES: constant(uint256) = 1600660942523603594864898306482794244293965082972225630372095  # 0xff in every 64 bits
SWAP8: constant(uint256) = 450552876409790643671482431940419874915447411150352389258589821042463539455  # 0x00ff in every 16 bits
SWAP16: constant(uint256) = 1766820105243087041267848467410591083712559083657179364930612997358944255  # 0x0000ffff in every 32 bits
SWAP32: constant(uint256) = 26959946660873538060741835960174461801791452538186943042387869433855  # the low half of every 64 bits
SWAP64: constant(uint256) = 6277101735386680763495507056286727952657427581105975853055  # the low half of every 128 bits
HALVES: constant(uint256) = 22300404916163702203072254898040929737834495  # 0xffff in every 128 bits


@external
@pure
def roots(code: Bytes[MAX_CODE]) -> (bytes32, bytes32):
    """@notice (cell_root(code), cell_root(jumpdest_bitmap(code))). The bitmap a word at a
            time, the word's bytes reversed (code byte `k` of the word is its byte `k` from
            the low end): its JUMPDEST and PUSH bytes found at once (bit 7 of each such byte),
            then only its PUSH instructions walked, the first one after `pos` isolated as the
            lowest set bit, each skipping its data; the JUMPDESTs before it set together. One
            pass per PUSH (each takes two bytes or more) and one per word."""
    size: uint256 = len(code)
    padded: Bytes[MAX_CODE + 32] = concat(code, empty(bytes32))
    level: bytes32[CELLS] = empty(bytes32[CELLS])
    bits: bytes32[CELLS] = empty(bytes32[CELLS])
    acc: uint256 = 0  # the bitmap cell of the 256 bytes being scanned
    pos: uint256 = 0  # the next instruction's offset
    one: uint256 = 1
    for cell: uint256 in range(CELLS):
        start: uint256 = unsafe_mul(cell, 32)
        if start >= size:
            break
        level[cell] = extract32(padded, start)
        end: uint256 = unsafe_add(start, 32)
        if pos < end:  # else PUSH data covers the whole word
            rev: uint256 = self._reversed(convert(level[cell], uint256))
            found: uint256 = self._zero_bytes(rev ^ JUMPDESTS)
            pushes: uint256 = self._zero_bytes((rev & TOP3) ^ PUSHES)
            mask: uint256 = unsafe_sub(0, one << unsafe_mul(8, unsafe_sub(pos, start)))
            marks: uint256 = 0  # the word's JUMPDESTs that are instructions (bit 7 of each)
            for _: uint256 in range(32):
                p: uint256 = pushes & mask
                if p == 0:
                    marks = marks | (found & mask)
                    pos = end
                    break
                low: uint256 = p & unsafe_sub(0, p)  # the first PUSH from pos: bit 7 of byte k
                marks = marks | (found & mask & unsafe_sub(low, 1))
                b: uint256 = low >> 7  # 256^k
                op: uint256 = unsafe_div(rev, b) & 255
                b = b << unsafe_mul(8, unsafe_sub(op, 94))  # past the PUSH and its data
                if b == 0:  # past the word: k found by halving, once per word
                    k: uint256 = 0
                    q: uint256 = low >> 7
                    for half: uint256 in [128, 64, 32, 16, 8]:
                        if q >> half != 0:
                            q = q >> half
                            k = unsafe_add(k, half // 8)
                    pos = unsafe_sub(unsafe_add(unsafe_add(start, k), op), 94)
                    break
                mask = unsafe_sub(0, b)
            acc = acc | (self._gathered(self._reversed(marks)) <<
                         unsafe_sub(224, unsafe_mul(32, cell % 8)))
        if cell % 8 == 7 or end >= size:
            bits[cell // 8] = convert(acc, bytes32)  # bits past `size` are never set
            acc = 0
    return self._root(level, (size + 31) // 32), self._root(bits, (size + 255) // 256)


@internal
@pure
def _zero_bytes(x: uint256) -> uint256:
    """@notice Bit 7 of each zero byte of `x`: a byte's bit 7 stays clear of
            `(x & 0x7f) + 0x7f | x` exactly when the byte is zero (no carry leaves a byte)."""
    return ((unsafe_add(x & LOW7, LOW7) | x) & HIGH1) ^ HIGH1


@internal
@pure
def _reversed(x: uint256) -> uint256:
    """@notice `x`'s 32 bytes in reverse order."""
    y: uint256 = ((x >> 8) & SWAP8) | ((x & SWAP8) << 8)
    y = ((y >> 16) & SWAP16) | ((y & SWAP16) << 16)
    y = ((y >> 32) & SWAP32) | ((y & SWAP32) << 32)
    y = ((y >> 64) & SWAP64) | ((y & SWAP64) << 64)
    return (y >> 128) | (y << 128)


@internal
@pure
def _gathered(marks: uint256) -> uint256:
    """@notice The bits 7 of `marks`' 32 bytes as 32 bits, byte `i` from the top as bit
            `31 - i`."""
    t: uint256 = marks >> 7
    t = (t | (t >> 7)) & PAIRS
    t = (t | (t >> 14)) & NIBBLES
    t = (t | (t >> 28)) & BYTES
    t = (t | (t >> 56)) & HALVES
    return (t | (t >> 112)) & 4294967295


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
