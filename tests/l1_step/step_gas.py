"""The L1 gas of verifying one step, per instruction (the costliest selected step of each
opcode, eth_estimateGas through the router: calldata and execution). Run as a script against a
fresh anvil to print the table of docs/fault_proofs.md 3.5."""

from __future__ import annotations

from ordo.faultproof.opcodes import OPS

from .routes import NOT_YET, part_of
from .steps import Step, selected_steps
from .verifier import Verifier, step_gas


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


def gas_table(verifier: Verifier) -> dict[str, tuple[int, int]]:
    """Opcode name → (gas, witness bytes)."""
    table = {}
    for opcode, step in sorted(costliest_per_opcode().items()):
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
        for name, (gas, size) in sorted(gas_table(deploy_verifier(chain)).items(),
                                        key=lambda item: -item[1][0]):
            print(f"| {name} | {gas:,} | {size:,} |")
