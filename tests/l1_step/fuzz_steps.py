"""Random programs, every step fed to the verifier: a longer check than the tests' selection,
run by hand (``python -m tests.l1_step.fuzz_steps SEED PROGRAMS``; thousands of calls).

Programs are random instructions of version 1 over edge-value operands (memory offsets kept
small so most steps do not just run out of gas), ended by RETURN or REVERT; every step of the
tracer's trace must verify on chain to exactly its post-state."""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

from ordo.faultproof.step import UnsupportedStep
from tests.faultproof.corpus import Case
from tests.faultproof.evm_reference import asm
from tests.l1_contracts.anvil_chain import running_anvil

from .verifier import deploy_verifier, on_chain, trace_case

EDGE = (0, 1, 2, 7, 31, 32, 33, 255, 256, 1000, 4000, 2**64, 2**128, 2**255, 2**256 - 1)
SMALL = (0, 1, 5, 31, 32, 33, 64, 100, 200, 300)
PURE = ("ADD", "MUL", "SUB", "DIV", "SDIV", "MOD", "SMOD", "ADDMOD", "MULMOD", "EXP",
        "SIGNEXTEND", "LT", "GT", "SLT", "SGT", "EQ", "ISZERO", "AND", "OR", "XOR", "NOT", "BYTE",
        "SHL", "SHR", "SAR", "POP", "DUP1", "DUP2", "DUP3", "SWAP1", "SWAP2", "MSIZE", "GAS", "PC",
        "CALLDATASIZE", "SLOAD", "SSTORE", "TLOAD", "TSTORE", "BALANCE", "SELFBALANCE",
        "EXTCODESIZE", "EXTCODEHASH", "BLOCKHASH", "CODESIZE")
MEMORY = ("MLOAD", "MSTORE", "MSTORE8", "KECCAK256", "LOG1", "MCOPY", "CALLDATACOPY",
          "CODECOPY", "CALLDATALOAD")


def program(rng: random.Random) -> bytes:
    parts: list[str | int | bytes] = []
    for _ in range(rng.randint(10, 40)):
        name = rng.choice(PURE + MEMORY)
        pool = SMALL if name in MEMORY else EDGE
        parts += [rng.choice(pool) for _ in range(4 if name in MEMORY else 3)]
        parts.append(name)
    parts += [rng.choice((32, 64)), 0, rng.choice(("RETURN", "REVERT"))]
    return asm(*parts)


def main(seed: int, programs: int) -> int:
    rng = random.Random(seed)
    steps = mismatches = 0
    with running_anvil(Path(tempfile.mkdtemp()) / "anvil.log") as chain:
        verifier = deploy_verifier(chain)
        for index in range(programs):
            case = Case(f"random {seed}/{index}", program(rng), data=bytes(range(70)),
                        storage=((1, 5), (7, 9)))
            try:
                trace = trace_case(case)
            except UnsupportedStep:
                continue
            for step in trace.steps:
                steps += 1
                result = on_chain(verifier, step.pre, step.witness)
                if result != step.post:
                    mismatches += 1
                    print(f"mismatch: {case.name} opcode 0x{step.opcode:02x}: {result!r}")
    print(f"{steps} steps, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1,
                  int(sys.argv[2]) if len(sys.argv) > 2 else 40))
