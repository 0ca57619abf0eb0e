"""Random programs (seeded, stack-balanced so most steps do something) through the tracer and
py-evm: the hand-written corpus covers each instruction on purpose, this covers combinations
nobody thought of. A wider run of the same generator (thousands of programs) is
``python -m tests.faultproof.test_step_fuzz FIRST_SEED COUNT``."""

from __future__ import annotations

import random
import sys

import pytest

from ordo.faultproof.opcodes import OPS
from ordo.faultproof.step import UnsupportedStep
from ordo.faultproof.tracer import MessageCall, Trace
from tests.faultproof.evm_reference import CALLER, OTHER, TARGET, Account, check_against_py_evm

_OPS = sorted(c for c in OPS if not 0x60 <= c <= 0x7F and c not in (0x00, 0x56, 0x57, 0xF3, 0xFD))
_SMALL = (0, 1, 2, 3, 5, 7, 31, 32, 33, 64, 100, 255, 256, 300, 511)
_BIG = (1 << 255, (1 << 256) - 1, 1 << 64, (1 << 128) + 3)


def _push(out: bytearray, value: int) -> None:
    width = max(1, (value.bit_length() + 7) // 8)
    out.append(0x5F + width)
    out += value.to_bytes(width, "big")


def program(rng: random.Random) -> bytes:
    """Instructions with enough pushed arguments before each, then a RETURN or REVERT."""
    out = bytearray()
    depth = 0
    for _ in range(rng.randint(10, 60)):
        op = OPS[opcode := rng.choice(_OPS)]
        while depth < op.reads:
            roll = rng.random()
            if roll < 0.88:
                value = rng.choice(_SMALL)
            elif roll < 0.92:
                value = rng.choice(_BIG)
            elif roll < 0.96:
                value = int.from_bytes(OTHER, "big")
            else:
                value = rng.getrandbits(256)
            _push(out, value)
            depth += 1
        out.append(opcode)
        depth += op.pushes - op.reads
    _push(out, rng.choice((0, 32, 64, 100)))
    _push(out, rng.choice((0, 3, 32)))
    out.append(0xF3 if rng.random() < 0.8 else 0xFD)
    return bytes(out)


def run_seed(seed: int) -> Trace:
    rng = random.Random(seed)
    accounts = {
        TARGET: Account(balance=1000, code=program(rng), storage=((1, 5), (7, 9))),
        CALLER: Account(balance=10**18),
        OTHER: Account(balance=3, code=b"\x60\x01\x5b"),
    }
    data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 80)))
    call = MessageCall(CALLER, TARGET, data, gas=rng.choice((300_000, 100_000, 30_000)),
                       value=rng.choice((0, 5)))
    return check_against_py_evm(accounts, call)


@pytest.mark.parametrize("seed", range(1000, 1015))
def test_random_program_matches_py_evm(seed: int) -> None:
    assert run_seed(seed).steps


if __name__ == "__main__":
    first, count = int(sys.argv[1]), int(sys.argv[2])
    steps = unsupported = 0
    for seed in range(first, first + count):
        try:
            steps += len(run_seed(seed).steps)
        except UnsupportedStep:  # a range over 3.3's bound: refused, not wrong
            unsupported += 1
    print(f"{count} programs ({unsupported} refused as unsupported), {steps} steps, all equal "
          "to py-evm and verified")
