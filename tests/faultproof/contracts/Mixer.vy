# pragma version 0.4.3
"""Arithmetic for the step tracer's differential test: a bounded loop, signed division and
modulo, shifts, exponentiation, block and transaction fields."""


@external
@view
def mix(a: uint256, b: int256, n: uint256) -> (uint256, int256, uint256, uint256):
    acc: uint256 = a
    for i: uint256 in range(16):
        if i >= n:
            break
        acc = unsafe_mul(acc, 3) ^ (acc >> 7)
    s: int256 = b // 3 + b % 5
    p: uint256 = unsafe_add(pow_mod256(a, 5), a << 3)
    env: uint256 = block.number + block.timestamp + chain.id + convert(block.coinbase, uint256)
    return acc, s, p, env + convert(blockhash(block.number - 1), uint256) % 1000
