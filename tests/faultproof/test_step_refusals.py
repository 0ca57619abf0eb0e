"""What the step machine refuses (docs/fault_proofs.md 3.1, 3.3, 3.4): a witness changed in any
item, a post-state changed in any field, instructions and steps outside version 1. A refused
step never yields a commitment."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest

from ordo.faultproof.machine_state import MachineState
from ordo.faultproof.step import InvalidWitness, UnsupportedStep, execute
from ordo.faultproof.tracer import (
    MessageCall,
    TraceStep,
    open_frame,
    run_frame,
    step,
    trace_message_call,
)
from ordo.faultproof.verify import verify_step
from ordo.faultproof.witness import CellProof, Proofs, StackProof, TrieProof
from ordo.faultproof.witness_codec import decode_witness, encode_witness
from ordo.faultproof.world import Recorder
from tests.faultproof.corpus import CASES, Case
from tests.faultproof.evm_reference import (
    BLOCK,
    CALLER,
    TARGET,
    Account,
    asm,
    check_against_py_evm,
    make_state,
)


def _trace(case: Case) -> tuple[TraceStep, ...]:
    """The steps of a corpus case (test_step_differential holds them to py-evm)."""
    accounts = {TARGET: Account(balance=1000, code=case.code, storage=case.storage),
                CALLER: Account(balance=10**18), **case.others}
    call = MessageCall(CALLER, TARGET, case.data, case.gas, case.value, case.gas_price,
                       case.origin, case.is_static)
    db, root = make_state(accounts)
    return trace_message_call(db, root, BLOCK, call).steps


def _steps_of(case_name: str, opcodes: set[int]) -> list[TraceStep]:
    case = next(c for c in CASES if c.name == case_name)
    chosen: dict[int, TraceStep] = {}
    for s in _trace(case):
        if s.opcode in opcodes and s.opcode not in chosen:
            chosen[s.opcode] = s
    assert set(chosen) == opcodes
    return list(chosen.values())


SAMPLE = [
    *_steps_of("storage deletions", {0x55}),  # an SSTORE deleting with an extra node
    *_steps_of("storage", {0x54, 0x55}),  # SLOAD, SSTORE
    *_steps_of("copies", {0x37, 0x39, 0x5E, 0x52, 0x53, 0x20, 0x51}),
    *_steps_of("control", {0x57, 0x7F, 0x8F, 0x9F}),  # JUMPI, PUSH32, DUP16, SWAP16
    *_steps_of("revert", {0xFD, 0xA1, 0x5D}),  # REVERT, LOG1, TSTORE
    *_steps_of("accounts", {0x3C, 0x31, 0x3F}),  # EXTCODECOPY, BALANCE, EXTCODEHASH
    *_steps_of("environment", {0x40, 0x35}),  # BLOCKHASH, CALLDATALOAD
    *_steps_of("transient", {0x5C}),
    *_steps_of("invalid", {0xFE}),
]


def _flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:] if data else b"\x01"


def _cell_mutations(cell: CellProof) -> list[CellProof]:
    return [replace(cell, cell=_flip(cell.cell)), replace(cell, index=cell.index + 1),
            replace(cell, siblings=(*cell.siblings[:5], _flip(cell.siblings[5]),
                                    *cell.siblings[6:]))]


def _mutations(p: Proofs) -> list[tuple[str, Proofs]]:
    out: list[tuple[str, Proofs]] = []
    for name in ("code", "code_next", "jumpdest"):
        out += [(name, replace(p, **{name: m})) for m in _cell_mutations(getattr(p, name))]
    stack = p.stack
    out.append(("stack below", replace(p, stack=replace(stack, below=_flip(stack.below)))))
    out.append(("stack extra item", replace(p, stack=replace(stack, items=(*stack.items, 1)))))
    if stack.items:
        out.append(("stack item", replace(p, stack=StackProof(
            (stack.items[0] ^ 1, *stack.items[1:]), stack.below))))
    for name in ("memory", "source"):
        cells: tuple[CellProof, ...] = getattr(p, name)
        extra = cells[-1] if cells else CellProof(0, bytes(32), (bytes(32),) * 32)
        out.append((f"{name} one more", replace(p, **{name: (*cells, extra)})))
        if cells:
            out.append((f"{name} one less", replace(p, **{name: cells[:-1]})))
            out += [(name, replace(p, **{name: (m, *cells[1:])}))
                    for m in _cell_mutations(cells[0])]
    for name in ("account", "accessed", "storage", "original_account", "original_storage",
                 "transient"):
        trie: TrieProof = getattr(p, name)
        changed_proof = replace(trie, proof=_flip(trie.proof))
        changed_extra = replace(trie, extra=trie.extra + b"\xc0")
        out.append((f"{name} proof", replace(p, **{name: changed_proof})))
        out.append((f"{name} extra", replace(p, **{name: changed_extra})))
    out.append(("ext_code", replace(p, ext_code=p.ext_code + b"\x00")))
    out.append(("snapshot", replace(p, snapshot=replace(p.snapshot, refund=p.snapshot.refund + 1))))
    out.append(("parent", replace(p, parent=replace(p.parent, depth=p.parent.depth + 1))))
    return out


@pytest.mark.parametrize("sample", SAMPLE, ids=[hex(s.opcode) for s in SAMPLE])
def test_every_witness_item_is_checked(sample: TraceStep) -> None:
    state, proofs = decode_witness(sample.witness)
    assert verify_step(sample.pre, sample.witness) == sample.post
    for name, mutated in _mutations(proofs):
        with pytest.raises(InvalidWitness):
            verify_step(sample.pre, encode_witness(state, mutated))
            pytest.fail(f"a changed {name} was accepted")
    changed_state = replace(state, frame=replace(state.frame, gas=state.frame.gas + 1))
    with pytest.raises(InvalidWitness, match="not the committed pre-state"):
        verify_step(sample.pre, encode_witness(changed_state, proofs))


def test_every_byte_flip_of_a_witness_is_refused() -> None:
    """One flipped byte in each word of three witnesses (SSTORE, unaligned MSTORE, REVERT):
    never a commitment."""
    by_opcode = {s.opcode: s for s in SAMPLE}
    for sample in (by_opcode[0x55], by_opcode[0x52], by_opcode[0xFD]):
        data = sample.witness
        for word in range(len(data) // 32):
            at = word * 32 + (word * 7) % 32
            flipped = data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:]
            with pytest.raises(InvalidWitness):
                verify_step(sample.pre, flipped)


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1 if value < (1 << 256) - 1 else value - 1
    return _flip(value)


def test_flipping_any_post_state_field_is_detected() -> None:
    for sample in SAMPLE:
        post = sample.post_state
        assert post.commitment() == verify_step(sample.pre, sample.witness)
        variants: list[MachineState] = [replace(post, phase=post.phase + 1)]
        for part_name in ("block", "tx", "context", "frame"):
            part = getattr(post, part_name)
            for f in fields(part):
                flipped = replace(part, **{f.name: _changed(getattr(part, f.name))})
                variants.append(replace(post, **{part_name: flipped}))
        assert len({v.commitment() for v in variants}) == len(variants)
        assert sample.post not in {v.commitment() for v in variants}


def _open(code: bytes, data: bytes = b"", gas: int = 1_000_000) -> tuple[MachineState, Any]:
    db, root = make_state({TARGET: Account(code=code), CALLER: Account(balance=10**18)})
    return open_frame(db, root, BLOCK, MessageCall(CALLER, TARGET, data, gas))


@pytest.mark.parametrize(("name", "code"), [
    ("calldatacopy of 33 cells", asm(1025, 0, 0, "CALLDATACOPY")),
    ("keccak of 1024 bytes at offset 1", asm(1024, 1, "KECCAK256")),
    ("return of 1056 bytes", asm(1056, 0, "RETURN")),
    ("revert of 33 cells", asm(1024, 16, "REVERT")),
    ("log of 2000 bytes", asm(2000, 0, "LOG0")),
    ("mcopy of 33 source cells", asm(1024, 1, 2048, "MCOPY")),
    ("codecopy of 33 cells", asm(1056, 0, 0, "CODECOPY")),
])
def test_long_ranges_are_unsupported(name: str, code: bytes) -> None:
    state, world = _open(code + bytes(1100), data=bytes(1100))
    with pytest.raises(UnsupportedStep, match="at most 32"):
        run_frame(state, world)


def test_ranges_at_the_bound_step_and_a_huge_one_runs_out_of_gas() -> None:
    accounts = {TARGET: Account(code=asm(1024, 0, "KECCAK256", 0, "MSTORE", 1024, 32, 0,
                                         "CALLDATACOPY", 1024, 0, "RETURN")),
                CALLER: Account(balance=10**18)}
    trace = check_against_py_evm(accounts, MessageCall(CALLER, TARGET, bytes(range(256)) * 5,
                                                       gas=100_000))
    assert trace.success and len(trace.output) == 1024
    huge = {TARGET: Account(code=asm(1 << 30, 0, 0, "CALLDATACOPY")),
            CALLER: Account(balance=10**18)}
    assert not check_against_py_evm(huge, MessageCall(CALLER, TARGET, b"", gas=100_000)).success


def test_a_halt_at_depth_one_needs_its_parent() -> None:
    """A halt at depth > 0 returns to the caller the witness reveals (3.8): a frame whose
    ``parent_frame`` has no preimage cannot be stepped, not even by the tracer."""
    state, world = _open(asm("STOP"))
    world.enter(state.frame, asm("STOP"), b"", world.entry_snapshot)
    deeper = replace(state, frame=replace(state.frame, depth=1, parent_frame=b"\x01" * 32))
    with pytest.raises(InvalidWitness, match="parent frame"):
        step(deeper, world)


def test_only_phase_three_is_a_step() -> None:
    state, world = _open(asm("STOP"))
    final, witness = step(state, world)
    assert final.phase == 4
    with pytest.raises(UnsupportedStep):
        execute(final, Recorder(world))
    fake = replace(state, phase=4)
    # a phase-4 witness has the transaction-end layout (4.1): a phase-3 proofs tuple in it
    # does not decode
    with pytest.raises(InvalidWitness, match="does not decode"):
        verify_step(fake.commitment(), encode_witness(fake, decode_witness(witness)[1]))
