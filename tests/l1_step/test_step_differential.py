"""The deployed verifier against the Python tracer (docs/fault_proofs.md 3): every selected step
of the corpus (tests/l1_step/steps.py), its witness fed to the verifier on anvil, gives exactly
the tracer's post-state commitment, or, for an instruction not verifiable yet, the refusal that
says so; and a witness tampered in any item, or a claimed post-state off in any word, does not
verify."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from eth_hash.auto import keccak

from ordo.faultproof.machine_state import Frame, MachineState
from ordo.faultproof.opcodes import OPS
from ordo.faultproof.step import execute, stack_fold
from ordo.faultproof.verify import WitnessReader
from ordo.faultproof.witness import CellProof, Snapshot, StackProof
from ordo.faultproof.witness_codec import encode_witness
from tests.l1_contracts.anvil_chain import AnvilChain

from .routes import NOT_YET, part_of
from .steps import Step, first_step, selected_steps
from .verifier import Verifier, deploy_verifier, on_chain


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def _name(opcode: int) -> str:
    return OPS[opcode].name if opcode in OPS else f"0x{opcode:02x}"


def test_every_selected_step_verifies_on_chain(verifier: Verifier) -> None:
    steps = selected_steps()
    verified = refused = 0
    for step in steps:
        result = on_chain(verifier, step.step.pre, step.step.witness)
        if part_of(step.opcode) == NOT_YET:
            assert result == f"StepVerifier: opcode 0x{step.opcode:02x} not verifiable yet"
            refused += 1
        else:
            assert result == step.step.post, (step.case, _name(step.opcode), result)
            verified += 1
    # the tracer refuses the frame family, so every corpus step is one the verifier decides
    assert refused == 0 and verified == len(steps) >= 250, (verified, refused)


def _post(step: Step) -> MachineState:
    """The tracer's post-state itself (not only its commitment)."""
    return execute(step.pre, WitnessReader(step.proofs))


def _witness(step: Step, **changes: object) -> bytes:
    return encode_witness(step.pre, replace(step.proofs, **changes))  # type: ignore[arg-type]


def _flip(word: bytes) -> bytes:
    return bytes([word[0] ^ 1]) + word[1:]


def _flip_cell(cell: CellProof, sibling: int | None = None) -> CellProof:
    if sibling is None:
        return replace(cell, cell=_flip(cell.cell))
    siblings = list(cell.siblings)
    siblings[sibling] = _flip(siblings[sibling])
    return replace(cell, siblings=tuple(siblings))


def _refused(verifier: Verifier, step: Step, witness: bytes, reason: str) -> None:
    result = on_chain(verifier, step.step.pre, witness)
    assert result == f"StepVerifier: {reason}", (step.case, _name(step.opcode), result)


MSTORE_UNALIGNED = 0x52


def test_a_tampered_witness_is_refused(verifier: Verifier) -> None:
    add = first_step(0x01)
    items = add.proofs.stack.items
    _refused(verifier, add, _witness(add, stack=StackProof((items[0] ^ 1, *items[1:]),
                                                          add.proofs.stack.below)),
             "stack items do not hash to the stack hash")
    _refused(verifier, add, _witness(add, stack=StackProof(items[:1], add.proofs.stack.below)),
             "not the opcode's number of stack items")
    _refused(verifier, add, _witness(add, code=_flip_cell(add.proofs.code)),
             "code cell does not prove against the code root")
    _refused(verifier, add, _witness(add, code=_flip_cell(add.proofs.code, 31)),
             "code cell does not prove against the code root")
    # the pre-state preimage with more gas (or another pc) no longer hashes to pre_state
    for forged_frame in (replace(add.frame, gas=add.frame.gas + 1),
                         replace(add.frame, pc=add.frame.pc + 1)):
        forged = replace(add.pre, frame=forged_frame)
        _refused(verifier, add, encode_witness(forged, add.proofs),
                 "the witness's pre-state does not hash to pre_state")
    # a field the step does not read must be zero, a list no longer than the step reads
    _refused(verifier, add, _witness(add, jumpdest=_flip_cell(add.proofs.jumpdest)),
             "jumpdest given but not read")
    _refused(verifier, add, _witness(add, snapshot=Snapshot(refund=1)),
             "snapshot given but not read")
    _refused(verifier, add, _witness(add, memory=(add.proofs.code,)),
             "memory cells given that the step does not read")
    _refused(verifier, add, _witness(add, parent=replace(add.frame, pc=1)),
             "parent frame given but not read")
    _refused(verifier, add, _witness(add, code_next=add.proofs.code),
             "code_next given but not read")
    _refused(verifier, add, _witness(add, code=replace(add.proofs.code,
                                                       index=add.proofs.code.index + 1)),
             "code cell index is not the one the pc needs")
    underflow = first_step(0x01, "underflow")
    _refused(verifier, underflow, _witness(underflow, stack=add.proofs.stack),
             "stack given but not read")


def test_tampered_memory_and_source_cells_are_refused(verifier: Verifier) -> None:
    unaligned = next(s for s in selected_steps()
                     if s.opcode == MSTORE_UNALIGNED and len(s.proofs.memory) == 2)
    first, second = unaligned.proofs.memory
    _refused(verifier, unaligned, _witness(unaligned, memory=(_flip_cell(first), second)),
             "memory cell does not prove against the memory root")
    # the second cell's proof is against the root after the first write: a stale one fails
    _refused(verifier, unaligned, _witness(unaligned, memory=(first, _flip_cell(second, 0))),
             "memory cell does not prove against the memory root")
    _refused(verifier, unaligned, _witness(unaligned, memory=(first,)),
             "too few memory cells")
    _refused(verifier, unaligned, _witness(unaligned, memory=(second, first)),
             "memory cell index is not the one the step needs")
    load = next(s for s in selected_steps() if s.opcode == 0x35 and s.proofs.source)
    _refused(verifier, load, _witness(load, source=(_flip_cell(load.proofs.source[0]),
                                                   *load.proofs.source[1:])),
             "source cell does not prove against its root")
    _refused(verifier, load, _witness(load, source=(*load.proofs.source, load.proofs.code)),
             "source cells given that the step does not read")
    _refused(verifier, load, _witness(load, source=()), "too few source cells")
    _refused(verifier, load, _witness(load, source=(replace(load.proofs.source[0], index=7),
                                                   *load.proofs.source[1:])),
             "source cell index is not the one the step needs")


def test_tampered_halts_and_jumps_are_refused(verifier: Verifier) -> None:
    halt = next(s for s in selected_steps()
                if s.proofs.snapshot != Snapshot() and s.opcode != 0xFD)  # an exceptional halt
    snap = halt.proofs.snapshot
    _refused(verifier, halt, _witness(halt, snapshot=replace(snap, refund=snap.refund + 1)),
             "the snapshot is not the preimage of the frame's entry_snapshot")
    jump = first_step(0x56, "bad jump to push data")
    _refused(verifier, jump, _witness(jump, jumpdest=_flip_cell(jump.proofs.jumpdest)),
             "jumpdest cell does not prove against the bitmap root")
    _refused(verifier, jump, _witness(jump, jumpdest=replace(jump.proofs.jumpdest, index=1)),
             "jumpdest cell index is not the destination's")


def test_a_claimed_post_state_off_in_any_word_differs_from_the_verifier(
        verifier: Verifier) -> None:
    for step in (first_step(0x01), first_step(MSTORE_UNALIGNED), first_step(0x60),
                 first_step(0x57, "control")):
        result = on_chain(verifier, step.step.pre, step.step.witness)
        post = _post(step)
        assert result == post.commitment() == step.step.post
        frame = post.frame
        assert isinstance(frame, Frame)
        top = keccak(b"another top word")
        wrong = [
            replace(frame, gas=frame.gas - 1), replace(frame, pc=frame.pc + 1),
            replace(frame, stack_hash=stack_fold(frame.stack_hash, [1])),
            replace(frame, stack_hash=_flip(frame.stack_hash)),
            replace(frame, memory_root=_flip(frame.memory_root)),
            replace(frame, memory_size=frame.memory_size + 32),
            replace(frame, stack_hash=top),
        ]
        for forged in wrong:
            assert replace(post, frame=forged).commitment() != result
