"""The steps the on-chain tests feed to the verifier: the tracer's steps of the corpus the
tracer is checked on against py-evm (tests/faultproof/corpus.py), one per kind.

The corpus has about 1,900 steps; most repeat a kind already seen (a PUSH1 that continues, the
thousand DUP1s of the overflow case). A kind is the opcode with what the witness holds (a halt's
snapshot, the number of memory and source cells, a PUSH's second code cell, a jump-destination
cell, which trie proofs and extra nodes), and for arithmetic the operands themselves, since
there every edge value is its own case. That keeps a few hundred calls on anvil, every
instruction and halt of the corpus among them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ordo.faultproof.machine_state import Frame, MachineState
from ordo.faultproof.tracer import TraceStep
from ordo.faultproof.witness import Proofs
from ordo.faultproof.witness_codec import decode_witness
from tests.faultproof.corpus import CASES

from .routes import ARITH_OPS
from .verifier import trace_case


@dataclass(frozen=True)
class Step:
    case: str
    step: TraceStep
    pre: MachineState
    proofs: Proofs

    @property
    def opcode(self) -> int:
        return self.step.opcode

    @property
    def frame(self) -> Frame:
        """The pre-state's frame (a phase-3 state always has one)."""
        frame = self.pre.frame
        assert isinstance(frame, Frame)
        return frame


def _kind(step: TraceStep, proofs: Proofs) -> tuple[object, ...]:
    if step.opcode in ARITH_OPS:
        return (step.opcode, tuple(proofs.stack.items))
    tries = (proofs.account, proofs.accessed, proofs.storage, proofs.original_account,
             proofs.original_storage, proofs.transient)
    return (step.opcode, proofs.snapshot.state_root != bytes(32), len(proofs.memory),
            len(proofs.source), proofs.code_next.index, proofs.jumpdest.index > 0,
            bool(proofs.jumpdest.cell != bytes(32)),
            tuple((len(t.proof) > 0, len(t.extra) > 0) for t in tries))


@cache
def selected_steps() -> tuple[Step, ...]:
    seen: set[tuple[object, ...]] = set()
    chosen = []
    for case in CASES:
        for step in trace_case(case).steps:
            pre, proofs = decode_witness(step.witness)
            kind = _kind(step, proofs)
            if kind not in seen:
                seen.add(kind)
                chosen.append(Step(case.name, step, pre, proofs))
    return tuple(chosen)


def first_step(opcode: int, case: str | None = None, halting: bool | None = None) -> Step:
    """The first selected step of ``opcode`` (in ``case``; halting or not)."""
    for step in selected_steps():
        if step.opcode != opcode or (case is not None and step.case != case):
            continue
        if halting is None or (step.proofs.snapshot.state_root != bytes(32)) == halting:
            return step
    raise LookupError(f"no selected step of opcode 0x{opcode:02x}")
