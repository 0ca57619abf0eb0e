"""Random call trees through the tracer and py-evm (docs/fault_proofs.md 3.8, 3.9): a caller
makes random CALL / CALLCODE / DELEGATECALL / STATICCALL / CREATE / CREATE2 with random
arguments into random callees (the random programs of test_step_fuzz), which may call on
themselves; every traced call ends as py-evm's and every step re-verifies from its witness. A
wider run: ``python -m tests.faultproof.test_step_frames_fuzz FIRST_SEED COUNT``."""

from __future__ import annotations

import random
import sys

import pytest

from ordo.faultproof.step import UnsupportedStep
from ordo.faultproof.tracer import MessageCall, Trace
from tests.faultproof.evm_reference import CALLER, OTHER, TARGET, Account, check_against_py_evm
from tests.faultproof.test_step_fuzz import _push, program

THIRD = bytes.fromhex("c0" * 19 + "03")
_CALLS = (0xF1, 0xF2, 0xF4, 0xFA)


def _caller(rng: random.Random, callees: tuple[bytes, ...], init: bytes) -> bytes:
    """A few calls or creations with random ranges, each result kept on the stack, then a
    RETURN of memory."""
    out = bytearray()
    for at in range(0, len(init), 32):  # the init code at memory 0 for creations
        _push(out, int.from_bytes(init[at:at + 32].ljust(32, b"\0"), "big"))
        _push(out, at)
        out.append(0x52)
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.25:
            create2 = rng.random() < 0.5
            if create2:
                _push(out, rng.getrandbits(16))
            _push(out, len(init))
            _push(out, 0)
            _push(out, rng.choice((0, 0, 1, 10**9)))
            out.append(0xF5 if create2 else 0xF0)
            continue
        op = rng.choice(_CALLS)
        _push(out, rng.choice((0, 1, 32, 64)))          # out size
        _push(out, rng.choice((0, 32, 100)))            # out offset
        _push(out, rng.choice((0, 4, 32, 68)))          # in size
        _push(out, rng.choice((0, 1, 32)))              # in offset
        if op in (0xF1, 0xF2):
            _push(out, rng.choice((0, 0, 1, 7, 10**9)))  # value
        _push(out, int.from_bytes(rng.choice(callees), "big"))
        _push(out, rng.choice((0, 100, 5000, 60_000, 10**6)))  # gas
        out.append(op)
    _push(out, rng.choice((0, 32, 96)))
    _push(out, 0)
    out.append(0xF3 if rng.random() < 0.85 else 0xFD)
    return bytes(out)


def run_seed(seed: int) -> Trace:
    rng = random.Random(seed)
    init = program(rng)[:96]
    callees = (OTHER, THIRD, bytes.fromhex("05" * 20), (2).to_bytes(20, "big"))
    accounts = {
        TARGET: Account(balance=1000, code=_caller(rng, callees, init),
                        storage=((1, 5), (7, 9))),
        CALLER: Account(balance=10**18),
        OTHER: Account(balance=3, code=program(rng), storage=((1, 2),)),
        THIRD: Account(code=_caller(rng, (OTHER, TARGET), b"")),
    }
    call = MessageCall(CALLER, TARGET, b"", gas=rng.choice((300_000, 1_000_000)),
                       value=rng.choice((0, 5)))
    return check_against_py_evm(accounts, call)


@pytest.mark.parametrize("seed", range(2000, 2012))
def test_random_call_tree_matches_py_evm(seed: int) -> None:
    try:
        trace = run_seed(seed)
    except UnsupportedStep as refusal:  # a documented refusal (3.3, 3.9), never a guess
        pytest.fail(f"seed {seed} refused: {refusal}")
    assert trace.steps


if __name__ == "__main__":
    first, count = int(sys.argv[1]), int(sys.argv[2])
    steps = unsupported = 0
    for seed in range(first, first + count):
        try:
            steps += len(run_seed(seed).steps)
        except UnsupportedStep:
            unsupported += 1
    print(f"{count} call trees ({unsupported} refused as unsupported), {steps} steps, all "
          "equal to py-evm and verified")
