"""Call frames on chain (docs/fault_proofs.md 3.7, 3.8): the deployed verifier against the Python
tracer on the frame programs of tests/faultproof (nested calls, reverts, out-of-gas children,
static and delegate calls, value, precompiles, creations, SELFDESTRUCT). Every STOP, RETURN and
REVERT at depth > 0 that returns to a call (StepReturn), every exceptional halt at depth > 0 (the
part finds it, StepReturn returns) and every instruction inside a child frame gives exactly the
tracer's post-state, as does every return of a creation frame (the code deposit through
StepMpt) and every SELFDESTRUCT (StepSelfdestruct); the steps not decided on L1 yet (the call
and creation instructions) revert with the reason that says so; a tampered return is
refused with its reason; the worst return step's gas is measured."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ordo.faultproof import tracer
from ordo.faultproof.frames import MAX_CALL_DEPTH
from ordo.faultproof.machine_state import Frame
from ordo.faultproof.step import InvalidWitness
from ordo.faultproof.tracer import MessageCall, TraceStep, trace_message_call
from ordo.faultproof.verify import verify_step
from ordo.faultproof.witness import CellProof
from ordo.faultproof.witness_codec import decode_witness, encode_witness
from tests.faultproof import test_step_creations, test_step_frames
from tests.faultproof.evm_reference import BLOCK, CALLER, OTHER, TARGET, Account, asm, make_state
from tests.l1_contracts.anvil_chain import AnvilChain

from .verifier import Verifier, deploy_verifier, on_chain, step_gas

RETURNS = (0x00, 0xF3, 0xFD)
CALLS = (0xF1, 0xF2, 0xF4, 0xFA)
CREATIONS = (0xF0, 0xF5)
WORST = asm(*test_step_frames.call("CALL", OTHER, out=(1, 1023)), "STOP")
"""A child's 1,023-byte RETURN written unaligned into the caller: 32 memory cells read, 32
caller cells written (3.3's bound on both)."""


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def _steps(code: bytes, others: dict[bytes, Account]) -> list[TraceStep]:
    db, root = make_state({TARGET: Account(balance=1000, code=code),
                           CALLER: Account(balance=10**18), **others})
    return list(trace_message_call(db, root, BLOCK,
                                   MessageCall(CALLER, TARGET, b"", 1_000_000)).steps)


def _programs() -> list[tuple[str, bytes, dict[bytes, Account]]]:
    cases = [*test_step_frames.CASES.items(), *test_step_creations.CASES.items()]
    worst = ("worst return", WORST, {OTHER: Account(code=asm(1023, 1, "RETURN"))})
    return [(name, code, others) for name, (code, others) in cases] + [worst]


def _kind(step: TraceStep) -> str:
    state, proofs = decode_witness(step.witness)
    frame = state.frame
    assert isinstance(frame, Frame)
    if step.opcode in CALLS:
        return "call"
    if step.opcode in CREATIONS:
        return "creation"
    if step.opcode == 0xFF:
        return "selfdestruct"
    if frame.depth == 0:
        return "depth 0"
    returns = step.opcode in RETURNS or proofs.parent.hash() == frame.parent_frame
    if returns and proofs.parent.returndata_size == (1 << 256) - 1:
        return "creation return"  # its code deposit, or a halt inside init code
    if step.opcode in RETURNS:
        return "return"
    if returns:
        return "exceptional return"
    return "inside a child"


def test_frame_programs_on_chain(verifier: Verifier) -> None:
    decided: dict[str, int] = {}
    refused: dict[str, int] = {}
    return_kinds: set[tuple[int, bool]] = set()
    for name, code, others in _programs():
        for step in _steps(code, others):
            kind = _kind(step)
            result = on_chain(verifier, step.pre, step.witness)
            if kind in ("depth 0", "inside a child", "return", "exceptional return",
                        "creation return", "selfdestruct", "call", "creation"):
                assert result == step.post, (name, kind, hex(step.opcode), result)
                decided[kind] = decided.get(kind, 0) + 1
                if kind == "return":
                    return_kinds.add((step.opcode, decode_witness(step.witness)[1].snapshot
                                      != decode_witness(step.witness)[1].__class__().snapshot))
            else:
                assert isinstance(result, str) and "not verifiable yet" in result, \
                    (name, kind, hex(step.opcode), result)
                refused[kind] = refused.get(kind, 0) + 1
    assert decided["return"] >= 20 and decided["inside a child"] >= 100, decided
    assert decided["exceptional return"] >= 2 and decided["creation return"] >= 8, decided
    assert decided["selfdestruct"] == 5, decided
    assert decided["call"] >= 30 and decided["creation"] >= 10, decided
    assert not refused, refused
    # STOP, RETURN and REVERT each returned to a caller on chain
    assert {op for op, _ in return_kinds} == set(RETURNS)


def _a_return(verifier: Verifier) -> TraceStep:
    steps = _steps(*test_step_frames.CASES["nested call returns"])
    return next(s for s in steps if _kind(s) == "return" and s.opcode == 0xF3)


def test_tampered_returns_are_refused(verifier: Verifier) -> None:
    step = _a_return(verifier)
    state, proofs = decode_witness(step.witness)

    def refused(reason: str, **changes: object) -> None:
        witness = encode_witness(state, replace(proofs, **changes))  # type: ignore[arg-type]
        assert on_chain(verifier, step.pre, witness) == f"StepVerifier: {reason}"

    refused("the parent frame is not the preimage of parent_frame",
            parent=replace(proofs.parent, gas=proofs.parent.gas + 1))
    cell = proofs.caller_memory[0]
    refused("caller memory cell does not prove against the caller's memory root",
            caller_memory=(replace(cell, cell=b"\x01" * 32), *proofs.caller_memory[1:]))
    refused("caller memory cell index is not the one the return writes",
            caller_memory=(CellProof(cell.index + 1, cell.cell, cell.siblings),
                           *proofs.caller_memory[1:]))
    refused("caller memory cells given that the return does not write",
            caller_memory=(*proofs.caller_memory, cell))
    refused("too few caller memory cells", caller_memory=())
    refused("trie proofs given that the return does not read",
            tries=(proofs.account,))
    # a claimed post-state off in the caller's gas is not the verifier's answer
    post = step.post_state
    assert isinstance(post.frame, Frame)
    wrong = replace(post, frame=replace(post.frame, gas=post.frame.gas + 1))
    assert on_chain(verifier, step.pre, step.witness) != wrong.commitment()


def _measured(verifier: Verifier, step: TraceStep, what: str) -> int:
    """The step decided on chain as the tracer decides it, and its L1 gas (printed)."""
    assert on_chain(verifier, step.pre, step.witness) == step.post
    gas = step_gas(verifier, step.pre, step.witness)
    print(f"{what}: {gas} gas, witness {len(step.witness)} bytes")
    return gas


def test_worst_return_gas(verifier: Verifier) -> None:
    steps = _steps(WORST, {OTHER: Account(code=asm(1023, 1, "RETURN"))})
    step = next(s for s in steps if _kind(s) == "return")
    _, proofs = decode_witness(step.witness)
    assert len(proofs.memory) == 32 and len(proofs.caller_memory) == 32
    assert _measured(verifier, step, "worst return step") < 29_000_000
    # an exceptional halt at depth > 0: its part, then StepReturn (the child out of gas)
    halted = next(s for s in _steps(*test_step_frames.CASES["child runs out of gas"])
                  if _kind(s) == "exceptional return")
    assert on_chain(verifier, halted.pre, halted.witness) == halted.post
    print(f"exceptional halt at depth 1: {step_gas(verifier, halted.pre, halted.witness)} gas")
    # SELFDESTRUCT moving a balance to a fresh account at depth 1 (three trie writes)
    destruct = next(s for s in _steps(*test_step_creations.CASES[
        "selfdestruct to a fresh account"]) if s.opcode == 0xFF)
    assert on_chain(verifier, destruct.pre, destruct.witness) == destruct.post
    print(f"SELFDESTRUCT: {step_gas(verifier, destruct.pre, destruct.witness)} gas")
    state, proofs = decode_witness(destruct.witness)
    assert on_chain(verifier, destruct.pre, encode_witness(
        state, replace(proofs, tries=proofs.tries[:1]))) == \
        "StepVerifier: too few listed trie proofs (tries)"


def _call_step(case: str, opcode: int = 0xF1) -> TraceStep:
    return next(s for s in _steps(*test_step_frames.CASES[case]) if s.opcode == opcode)


def test_tampered_calls_are_refused(verifier: Verifier) -> None:
    """A call's items are checked as the reference checks them: the same tampered witness is
    refused on chain (with the reason quoted) and by verify_step."""
    step = _call_step("call to a delegated account")
    state, proofs = decode_witness(step.witness)
    assert len(proofs.tries) == 4  # delegate warm, delegate account, caller debit, credit

    def refused(reason: str, proofs_changed: object) -> None:
        witness = encode_witness(state, proofs_changed)  # type: ignore[arg-type]
        assert on_chain(verifier, step.pre, witness) == f"StepVerifier: {reason}"
        with pytest.raises(InvalidWitness):
            verify_step(step.pre, witness)

    refused("ext_code's delegated code does not hash to the delegate's code hash",
            replace(proofs, ext_code=proofs.ext_code[:-1] + b"\x00"))
    refused("ext_code does not hash to the account's code hash",
            replace(proofs, ext_code=b"\xef\x01\x01" + proofs.ext_code[3:]))
    refused("too few listed trie proofs (tries)", replace(proofs, tries=proofs.tries[:3]))
    refused("not the trie proofs the step reads or the caller memory cells it writes",
            replace(proofs, tries=(*proofs.tries, proofs.tries[0])))
    cell = proofs.memory[0]
    refused("memory cell does not prove against the memory root",
            replace(proofs, memory=(replace(cell, cell=b"\x01" * 32), *proofs.memory[1:])))
    refused("not the trie proofs the step reads or the caller memory cells it writes",
            replace(proofs, caller_memory=(cell,)))
    # a precompile callee's output written into the caller's memory
    run = _call_step("identity precompile with value")
    state, proofs = decode_witness(run.witness)
    assert on_chain(verifier, run.pre, run.witness) == run.post
    assert proofs.caller_memory
    step = run
    cell = proofs.caller_memory[0]
    refused("caller memory cell does not prove against the caller's memory root",
            replace(proofs, caller_memory=(replace(cell, cell=b"\x01" * 32),
                                           *proofs.caller_memory[1:])))
    refused("too few caller memory cells", replace(proofs, caller_memory=()))
    # a claimed post-state off in the caller's gas is not the verifier's answer
    post = run.post_state
    assert isinstance(post.frame, Frame)
    wrong = replace(post, frame=replace(post.frame, gas=post.frame.gas + 1))
    assert on_chain(verifier, run.pre, run.witness) != wrong.commitment()


def test_tampered_creations_are_refused(verifier: Verifier) -> None:
    """A creation's items, as the reference checks them: the endowment's proofs (the new
    account, the creator debited, the credit, the created set), the init code's memory."""
    step = next(s for s in _steps(*test_step_creations.CASES["endowment"]) if s.opcode == 0xF0)
    state, proofs = decode_witness(step.witness)
    assert len(proofs.tries) == 4  # the new account, the creator, the credit, the created set
    assert on_chain(verifier, step.pre, step.witness) == step.post

    def refused(reason: str, proofs_changed: object) -> None:
        witness = encode_witness(state, proofs_changed)  # type: ignore[arg-type]
        assert on_chain(verifier, step.pre, witness) == f"StepVerifier: {reason}"
        with pytest.raises(InvalidWitness):
            verify_step(step.pre, witness)

    refused("too few listed trie proofs (tries)", replace(proofs, tries=proofs.tries[:3]))
    refused("not the trie proofs the step reads or the caller memory cells it writes",
            replace(proofs, tries=(*proofs.tries, proofs.tries[0])))
    if proofs.memory:
        cell = proofs.memory[0]
        refused("memory cell does not prove against the memory root",
                replace(proofs, memory=(replace(cell, cell=b"\x01" * 32), *proofs.memory[1:])))
    post = step.post_state
    assert isinstance(post.frame, Frame)
    wrong = replace(post, frame=replace(post.frame, gas=post.frame.gas + 1))
    assert on_chain(verifier, step.pre, step.witness) != wrong.commitment()


def test_the_depth_limit_on_chain(verifier: Verifier) -> None:
    """At depth 1024 a call pushes 0 and keeps the child's gas: a state whose frame claims
    that depth, as tests/faultproof/test_step_frames.py builds it."""
    code = asm(*test_step_frames.call("CALL", OTHER, gas=1000))
    db, root = make_state({TARGET: Account(code=code), OTHER: Account(code=asm(1, 1, "SSTORE")),
                           CALLER: Account(balance=10**18)})
    state, world = tracer.open_frame(db, root, BLOCK, MessageCall(CALLER, TARGET, b"", 100_000))
    for _ in range(7):
        state, _ = tracer.step(state, world)
    assert isinstance(state.frame, Frame)
    deep = replace(state, frame=replace(state.frame, depth=MAX_CALL_DEPTH))
    post, witness = tracer.step(deep, world)
    assert isinstance(post.frame, Frame) and post.frame.depth == MAX_CALL_DEPTH
    assert on_chain(verifier, deep.commitment(), witness) == post.commitment()


WORST_CALLEE = b"\x5b" * 24_576
"""24,576 bytes of JUMPDEST: the code whose roots cost StepCode the most (3.7)."""


def test_worst_call_gas(verifier: Verifier) -> None:
    """The dearest call step: value to a delegated account (both cold) whose delegate has
    24,576 bytes of JUMPDEST, 32 cells of call data read unaligned; and a precompile run
    (identity) on 1,023 bytes written back into 32 caller cells."""
    third = bytes.fromhex("c0" * 19 + "03")
    code = asm(*test_step_frames.call("CALL", OTHER, value=2, args=(1, 1023), out=(1, 1023)),
               "STOP")
    call_step = next(s for s in _steps(code, {OTHER: Account(code=b"\xef\x01\x00" + third),
                                              third: Account(code=WORST_CALLEE)})
                     if s.opcode == 0xF1)
    _, proofs = decode_witness(call_step.witness)
    assert len(proofs.memory) == 32 and len(proofs.ext_code) == 24_599
    assert verify_step(call_step.pre, call_step.witness) == call_step.post
    assert _measured(verifier, call_step, "worst call step") < 20_000_000
    code = asm(*test_step_frames.call("CALL", 4, value=2, args=(1, 1023), out=(1, 1023)), "STOP")
    run = next(s for s in _steps(code, {}) if s.opcode == 0xF1)
    _, proofs = decode_witness(run.witness)
    assert len(proofs.memory) == 32 and len(proofs.caller_memory) == 32
    assert _measured(verifier, run, "identity precompile call on 1,023 bytes") < 20_000_000


def test_worst_creation_gas(verifier: Verifier) -> None:
    """The dearest creation step: CREATE2 with an endowment of 1,023 bytes of init code read
    unaligned from 32 memory cells (the address hash over them, StepCode's roots of them, the
    four listed proofs)."""
    code = asm(0x5B, 0, "MSTORE8", 7, 1023, 1, 2, "CREATE2", "STOP")
    creation = next(s for s in _steps(code, {}) if s.opcode == 0xF5)
    _, proofs = decode_witness(creation.witness)
    assert len(proofs.memory) == 32 and len(proofs.tries) == 4
    assert _measured(verifier, creation, "worst creation step") < 20_000_000
