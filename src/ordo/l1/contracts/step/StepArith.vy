# pragma version 0.4.3
"""
@title Step verifier part: arithmetic, comparison and bitwise instructions (ADD ... SAR),
       EXP with its per-byte gas
@notice Called by StepRouter with the router's own calldata (any selector reaches
        __default__); checks everything itself. The
        division family maps onto the EVM's own (unsafe_div / unsafe_mod are DIV, SDIV, MOD,
        SMOD: zero for a zero divisor, SDIV(-2^255, -1) = -2^255), so the semantics are the
        host EVM's where they coincide and spelled out (py-evm's) where Vyper checks.
"""

import core

EXP_PER_BYTE: constant(uint256) = 50


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it (see witness.vy
            on why the calldata is read by hand)."""
    r: core.Run = core.start()
    if r.halting:
        return core.halt(r)
    op: uint256 = r.op
    a: uint256 = r.items[0]
    b: uint256 = r.items[1]
    if op == 10:  # EXP: 50 gas per byte of the exponent
        r = core.charge(r, EXP_PER_BYTE * self._byte_length(b))
        if r.halting:
            return core.halt(r)
        return core.done(r, [pow_mod256(a, b)])
    return core.done(r, [self._value(op, a, b, r.items[2])])


@internal
@pure
def _byte_length(x: uint256) -> uint256:
    n: uint256 = 0
    for k: uint256 in range(32):
        if x >> (8 * k) == 0:
            break
        n = k + 1
    return n


@internal
@pure
def _signed(x: uint256) -> int256:
    return convert(convert(x, bytes32), int256)


@internal
@pure
def _magnitude(x: uint256) -> uint256:
    """@notice |x| of the two's-complement word x (2^255 for -2^255)."""
    if (x >> 255) == 1:
        return unsafe_sub(0, x)
    return x


@internal
@pure
def _unsigned(x: int256) -> uint256:
    return convert(convert(x, bytes32), uint256)


@internal
@pure
def _value(op: uint256, a: uint256, b: uint256, c: uint256) -> uint256:
    if op == 1:  # ADD
        return unsafe_add(a, b)
    if op == 2:  # MUL
        return unsafe_mul(a, b)
    if op == 3:  # SUB
        return unsafe_sub(a, b)
    if op >= 4 and op <= 7 and b == 0:  # DIV, SDIV, MOD, SMOD by zero
        return 0
    if op == 4:  # DIV
        return a // b
    if op == 6:  # MOD
        return a % b
    if op == 5:  # SDIV: the quotient of the magnitudes, negative when the signs differ
        q: uint256 = self._magnitude(a) // self._magnitude(b)
        if (a >> 255) != (b >> 255):
            return unsafe_sub(0, q)
        return q
    if op == 7:  # SMOD: the remainder of the magnitudes, with the dividend's sign
        m: uint256 = self._magnitude(a) % self._magnitude(b)
        if (a >> 255) == 1:
            return unsafe_sub(0, m)
        return m
    if op == 8:  # ADDMOD
        if c == 0:
            return 0
        return uint256_addmod(a, b, c)
    if op == 9:  # MULMOD
        if c == 0:
            return 0
        return uint256_mulmod(a, b, c)
    if op == 11:  # SIGNEXTEND
        if a >= 31:
            return b
        bit: uint256 = a * 8 + 7
        low: uint256 = (1 << bit) - 1
        if (b >> bit) & 1 == 1:
            return b | (max_value(uint256) ^ low)
        return b & low
    if op == 16:  # LT
        return convert(a < b, uint256)
    if op == 17:  # GT
        return convert(a > b, uint256)
    if op == 18:  # SLT
        return convert(self._signed(a) < self._signed(b), uint256)
    if op == 19:  # SGT
        return convert(self._signed(a) > self._signed(b), uint256)
    if op == 20:  # EQ
        return convert(a == b, uint256)
    if op == 21:  # ISZERO
        return convert(a == 0, uint256)
    if op == 22:  # AND
        return a & b
    if op == 23:  # OR
        return a | b
    if op == 24:  # XOR
        return a ^ b
    if op == 25:  # NOT
        return max_value(uint256) ^ a
    if op == 26:  # BYTE
        if a >= 32:
            return 0
        return (b >> (248 - 8 * a)) & 255
    if op == 27:  # SHL
        if a >= 256:
            return 0
        return b << a
    if op == 28:  # SHR
        if a >= 256:
            return 0
        return b >> a
    if op == 29:  # SAR
        if a >= 256:
            if (b >> 255) == 1:
                return max_value(uint256)
            return 0
        return self._unsigned(self._signed(b) >> a)
    raise "StepVerifier: opcode routed to the wrong part"
