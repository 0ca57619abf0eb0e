"""The L1 gas of verifying one step, per instruction (the costliest selected step of each
opcode, eth_estimateGas through the router: calldata and execution). Run as a script against a
fresh anvil to print the table of docs/fault_proofs.md 3.5."""

from __future__ import annotations

from ordo.faultproof.opcodes import OPS
from ordo.faultproof.tracer import TraceStep
from tests.faultproof.corpus import Case
from tests.faultproof.evm_reference import asm

from .routes import NOT_YET, part_of
from .steps import Step, selected_steps
from .verifier import Verifier, step_gas, trace_case


def _filled_memory() -> list[str | int | bytes]:
    """32 MSTOREs: memory 0..1024 holds distinct words."""
    parts: list[str | int | bytes] = []
    for index in range(32):
        parts += [0xABCDEF + index, 32 * index, "MSTORE"]
    return parts


LARGEST = (
    Case("MCOPY of 1,024 bytes", asm(*_filled_memory(), 1024, 0, 2048, "MCOPY", "STOP")),
    Case("RETURN of 1,024 bytes", asm(*_filled_memory(), 1024, 0, "RETURN")),
    Case("LOG4 of 1,024 bytes", asm(*_filled_memory(), 4, 3, 2, 1, 1024, 0, "LOG4", "STOP")),
)
"""The largest steps version 1 verifies (3.3): 32 memory cells, and for MCOPY 32 source cells
as well; the second-to-last step of each (the last of RETURN's) is the one measured."""


def largest_steps() -> list[tuple[str, TraceStep]]:
    steps = []
    for case in LARGEST:
        trace = trace_case(case)
        steps.append((case.name, trace.steps[-1] if "RETURN" in case.name else trace.steps[-2]))
    return steps


def costliest_per_opcode() -> dict[int, Step]:
    """For each verifiable opcode of the selection, its step with the longest witness."""
    chosen: dict[int, Step] = {}
    for step in selected_steps():
        if part_of(step.opcode) == NOT_YET:
            continue
        best = chosen.get(step.opcode)
        if best is None or len(step.step.witness) > len(best.step.witness):
            chosen[step.opcode] = step
    return chosen


REPRESENTATIVE = frozenset({
    0x00, 0x01, 0x0A, 0x0C, 0x20, 0x31, 0x37, 0x3C, 0x54, 0x55, 0x57, 0x5D, 0x5E, 0x52, 0xA4,
    0xF3,
})
"""One or two instructions of every part, the heaviest of each among them: what the test
measures (the script measures every opcode)."""


def gas_table(verifier: Verifier,
              opcodes: frozenset[int] | None = None) -> dict[str, tuple[int, int]]:
    """Opcode name → (gas, witness bytes), for ``opcodes`` (all verifiable ones by default)."""
    table = {}
    for opcode, step in sorted(costliest_per_opcode().items()):
        if opcodes is not None and opcode not in opcodes:
            continue
        name = OPS[opcode].name if opcode in OPS else f"undefined 0x{opcode:02x}"
        table[name] = (step_gas(verifier, step.step.pre, step.step.witness),
                       len(step.step.witness))
    return table


if __name__ == "__main__":
    import tempfile
    from pathlib import Path

    from tests.l1_contracts.anvil_chain import running_anvil

    from .verifier import deploy_verifier

    with running_anvil(Path(tempfile.mkdtemp()) / "anvil.log") as chain:
        verifier = deploy_verifier(chain)
        for name, step in largest_steps():
            print(f"| {name} | {step_gas(verifier, step.pre, step.witness):,} | "
                  f"{len(step.witness):,} |")
        for name, (gas, size) in sorted(gas_table(verifier).items(),
                                        key=lambda item: -item[1][0]):
            print(f"| {name} | {gas:,} | {size:,} |")
