"""Call frames in the step machine (docs/fault_proofs.md 3.8) against py-evm: nested calls,
reverts, out-of-gas and static-mode violations in the child, DELEGATECALL and CALLCODE storage
context, value transfers (new account, insufficient balance), precompile callees, return data
and its copy into the caller's memory, logs and refunds kept or dropped with the child. Every
step re-verifies from its witness alone; a tampered return or call witness is refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordo.faultproof.frames import MAX_CALL_DEPTH
from ordo.faultproof.machine_state import Frame
from ordo.faultproof.step import InvalidWitness
from ordo.faultproof.tracer import MessageCall, Trace, open_frame, run_frame, step
from ordo.faultproof.verify import verify_step
from ordo.faultproof.witness import CellProof
from ordo.faultproof.witness_codec import decode_witness, encode_witness
from tests.faultproof.evm_reference import (
    BLOCK,
    CALLER,
    OTHER,
    TARGET,
    Account,
    asm,
    check_against_py_evm,
    make_state,
)

THIRD = bytes.fromhex("c0" * 19 + "03")
FRESH = bytes.fromhex("c0" * 19 + "0f")


def addr(a: bytes) -> int:
    return int.from_bytes(a, "big")


def call(op: str, to: bytes | int, *, value: int = 0, args: tuple[int, int] = (0, 0),
         out: tuple[int, int] = (0, 0), gas: int | str = "GAS") -> tuple[str | int | bytes, ...]:
    """Push a call's arguments (last pushed is the top: gas) and the call."""
    target = to if isinstance(to, int) else addr(to)
    with_value = (value,) if op in ("CALL", "CALLCODE") else ()
    return (out[1], out[0], args[1], args[0], *with_value, target, gas, op)


def store_results() -> tuple[str | int | bytes, ...]:
    """After a call: slot 0 the flag, slot 1 the first output word, slot 2 RETURNDATASIZE,
    slot 3 the first return-data word (RETURNDATACOPY), then RETURN those 4 words."""
    return (0, "SSTORE", 32, "MLOAD", 1, "SSTORE", "RETURNDATASIZE", 2, "SSTORE",
            "RETURNDATASIZE", 0, 64, "RETURNDATACOPY", 64, "MLOAD", 3, "SSTORE",
            128, 0, "RETURN")


ADD_ONE = asm(0, "CALLDATALOAD", 1, "ADD", 0, "MSTORE", 7, 5, "SSTORE", 1, 2, 3, 4, 5, 32, 0,
              "LOG4", 48, 0, "RETURN")
"""Returns its calldata word + 1 (48 bytes), stores, logs: all kept when it succeeds."""
REVERTS = asm(9, 5, "SSTORE", 0, 0, "LOG0", 0xDEAD, 0, "MSTORE", 32, 0, "REVERT")
LOOPS = asm("JUMPDEST", 0, "JUMP")
WRITES = asm(1, 1, "SSTORE", "STOP")
CONTEXT = asm(7, 1, "SSTORE", "CALLER", 2, "SSTORE", "CALLVALUE", 3, "SSTORE", "ADDRESS", 4,
              "SSTORE", "SELFBALANCE", 5, "SSTORE", "STOP")
CLEARS = asm(0, 9, "SSTORE", "STOP")


def _run(code: bytes, others: dict[bytes, Account], value: int = 0, gas: int = 1_000_000,
         balance: int = 1000, storage: tuple[tuple[int, int], ...] = ()) -> Trace:
    accounts = {TARGET: Account(balance=balance, code=code, storage=storage),
                CALLER: Account(balance=10**18), **others}
    return check_against_py_evm(accounts, MessageCall(CALLER, TARGET, b"", gas, value=value))


CASES: dict[str, tuple[bytes, dict[bytes, Account]]] = {
    "nested call returns": (
        asm(41, 0, "MSTORE", *call("CALL", OTHER, args=(0, 32), out=(32, 32)),
            *store_results()),
        {OTHER: Account(code=ADD_ONE)}),
    "child reverts with data": (
        asm(*call("CALL", OTHER, out=(32, 32)), *store_results()),
        {OTHER: Account(code=REVERTS, storage=((5, 3),))}),
    "child runs out of gas": (
        asm(*call("CALL", OTHER, gas=5000), *store_results()),
        {OTHER: Account(code=LOOPS)}),
    "static call writes": (
        asm(*call("STATICCALL", OTHER), *store_results()),
        {OTHER: Account(code=WRITES)}),
    "static call reads": (
        asm(5, 0, "MSTORE", *call("STATICCALL", OTHER, args=(0, 32), out=(32, 32)),
            *store_results()),
        {OTHER: Account(code=asm(0, "CALLDATALOAD", 1, "ADD", 0, "MSTORE", 32, 0, "RETURN"))}),
    "delegatecall storage context": (
        asm(*call("DELEGATECALL", OTHER), *store_results()),
        {OTHER: Account(code=CONTEXT)}),
    "callcode with value": (
        asm(*call("CALLCODE", OTHER, value=3), *store_results()),
        {OTHER: Account(code=CONTEXT)}),
    "value to a new account": (
        asm(*call("CALL", FRESH, value=5), *store_results()), {}),
    "value to a contract": (
        asm(*call("CALL", OTHER, value=5), *store_results()),
        {OTHER: Account(balance=1, code=CONTEXT)}),
    "insufficient balance": (
        asm(*call("CALL", OTHER, value=10**6), *store_results()),
        {OTHER: Account(code=CONTEXT)}),
    "call to an account without code": (
        asm(*call("CALL", OTHER, value=1), *call("CALL", OTHER), *store_results()),
        {OTHER: Account(balance=1)}),
    "nested twice": (
        asm(*call("CALL", OTHER, out=(32, 32)), *store_results()),
        {OTHER: Account(code=asm(7, 0, "MSTORE", *call("CALL", THIRD, args=(0, 32),
                                                       out=(0, 32)),
                                 "POP", 32, 0, "RETURN")),
         THIRD: Account(code=ADD_ONE)}),
    "reverted grandchild": (
        asm(*call("CALL", OTHER, out=(32, 32)), *store_results()),
        {OTHER: Account(code=asm(*call("CALL", THIRD), 1, 0, "SSTORE", "RETURNDATASIZE", 0,
                                 "MSTORE", 32, 0, "RETURN")),
         THIRD: Account(code=REVERTS, storage=((5, 3),))}),
    "refund dropped by a revert": (
        asm(*call("CALL", OTHER), *call("CALL", THIRD), *store_results()),
        {OTHER: Account(code=asm(0, 9, "SSTORE", 0, 0, "REVERT"), storage=((9, 1),)),
         THIRD: Account(code=CLEARS, storage=((9, 1),))}),
    "sha256 precompile": (
        asm(0xABC, 0, "MSTORE", *call("STATICCALL", 2, args=(0, 32), out=(32, 32)),
            *store_results()), {}),
    "identity precompile with value": (
        asm(0xABC, 0, "MSTORE", *call("CALL", 4, value=2, args=(0, 32), out=(40, 16)),
            *store_results()), {}),
    "ecrecover out of gas": (
        asm(*call("CALL", 1, gas=100, out=(32, 32)), *store_results()), {}),
    "output larger than the range": (
        asm(*call("CALL", OTHER, out=(32, 5)), *store_results()),
        {OTHER: Account(code=ADD_ONE)}),
    "call with too little gas for the transfer": (
        asm(*call("CALL", OTHER, value=1)),
        {OTHER: Account(code=CONTEXT)}),
    "call to a delegated account": (
        asm(41, 0, "MSTORE", *call("CALL", OTHER, value=2, args=(0, 32), out=(32, 32)),
            *store_results()),
        {OTHER: Account(code=b"\xef\x01\x00" + THIRD), THIRD: Account(code=ADD_ONE)}),
    "delegatecall through a delegation": (
        asm(*call("DELEGATECALL", OTHER), *store_results()),
        {OTHER: Account(code=b"\xef\x01\x00" + THIRD), THIRD: Account(code=CONTEXT)}),
    "delegation to an account without code": (
        asm(*call("CALL", OTHER), "RETURNDATASIZE", 0, "SSTORE",
            *call("STATICCALL", OTHER), *store_results()),
        {OTHER: Account(code=b"\xef\x01\x00" + FRESH)}),
    "call data of many cells": (
        asm(*call("CALL", OTHER, args=(3, 900), out=(1000, 64)), *store_results()),
        {OTHER: Account(code=asm("CALLDATASIZE", 0, 0, "CALLDATACOPY", "CALLDATASIZE", 0,
                                 "RETURN"))}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_frame_case_matches_py_evm(name: str) -> None:
    code, others = CASES[name]
    gas = 30_000 if name == "call with too little gas for the transfer" else 1_000_000
    trace = _run(code, others, gas=gas)
    assert any(s.opcode in (0xF1, 0xF2, 0xF4, 0xFA) for s in trace.steps)
    depths = {s.post_state.frame.depth for s in trace.steps
              if isinstance(s.post_state.frame, Frame)}
    if name in ("nested call returns", "child reverts with data", "nested twice"):
        assert max(depths) >= 1
    if name == "nested twice":
        assert max(depths) == 2


def test_value_call_transfers_and_flags() -> None:
    """The flags the caller stored are the reference's too (the state roots agree); here the
    flags themselves, so a call that fails in both would not pass unnoticed."""
    code, others = CASES["nested call returns"]
    trace = _run(code, others)
    assert trace.success
    output, returned = (int.from_bytes(trace.output[i:i + 32], "big") for i in (32, 64))
    assert (output, returned) == (42, 42)
    code, others = CASES["child reverts with data"]
    output = _run(code, others).output
    assert output[32:64] == output[64:96] == (0xDEAD).to_bytes(32, "big")


def _frames_trace(code: bytes, others: dict[bytes, Account]) -> tuple[list[tuple[bytes, bytes,
                                                                               bytes]], Trace]:
    accounts = {TARGET: Account(balance=1000, code=code), CALLER: Account(balance=10**18),
                **others}
    db, root = make_state(accounts)
    first, world = open_frame(db, root, BLOCK, MessageCall(CALLER, TARGET, b"", 1_000_000))
    trace = run_frame(first, world)
    return [(s.pre, s.witness, s.post) for s in trace.steps], trace


def test_tampered_returns_and_calls_are_refused() -> None:
    code, others = CASES["nested call returns"]
    steps, _ = _frames_trace(code, others)
    ret = next((pre, w) for pre, w, post in steps
               if decode_witness(w)[1].caller_memory)
    state, proofs = decode_witness(ret[1])
    wrong_parent = replace(proofs, parent=replace(proofs.parent, gas=proofs.parent.gas + 1))
    with pytest.raises(InvalidWitness, match="parent frame"):
        verify_step(ret[0], encode_witness(state, wrong_parent))
    cell = proofs.caller_memory[0]
    bad_cell = CellProof(cell.index, b"\x01" * 32, cell.siblings)
    with pytest.raises(InvalidWitness, match="caller memory"):
        verify_step(ret[0], encode_witness(state, replace(proofs, caller_memory=(bad_cell,))))
    with pytest.raises(InvalidWitness, match="caller memory"):
        verify_step(ret[0], encode_witness(state, replace(
            proofs, caller_memory=(*proofs.caller_memory, cell))))
    call_step = next((pre, w) for pre, w, post in steps if decode_witness(w)[1].ext_code
                     and decode_witness(w)[0].frame.depth == 0)
    state, proofs = decode_witness(call_step[1])
    with pytest.raises(InvalidWitness, match="ext_code"):
        verify_step(call_step[0], encode_witness(state, replace(proofs,
                                                                ext_code=proofs.ext_code + b"\0")))


def test_value_transfer_proofs_are_checked() -> None:
    code, others = CASES["value to a contract"]
    steps, _ = _frames_trace(code, others)
    pre, witness = next((pre, w) for pre, w, _ in steps if decode_witness(w)[1].tries)
    state, proofs = decode_witness(witness)
    assert len(proofs.tries) == 2
    with pytest.raises(InvalidWitness, match="tries"):
        verify_step(pre, encode_witness(state, replace(proofs, tries=proofs.tries[:1]
                                                       + proofs.tries[:1])))
    with pytest.raises(InvalidWitness, match="too few listed"):
        verify_step(pre, encode_witness(state, replace(proofs, tries=proofs.tries[:1])))
    with pytest.raises(InvalidWitness, match="more listed"):
        verify_step(pre, encode_witness(state, replace(
            proofs, tries=(*proofs.tries, proofs.tries[0]))))


def test_depth_limit_fails_the_call_without_a_frame() -> None:
    """At depth 1024 a call pushes 0 and keeps the child's gas (py-evm's ``Stack Limit
    Reached``): checked on a state whose frame claims that depth (1024 nested frames would take
    tens of thousands of steps)."""
    code = asm(*call("CALL", OTHER, gas=1000))
    db, root = make_state({TARGET: Account(code=code), OTHER: Account(code=WRITES),
                           CALLER: Account(balance=10**18)})
    state, world = open_frame(db, root, BLOCK, MessageCall(CALLER, TARGET, b"", 100_000))
    for _ in range(7):
        state, _ = step(state, world)
    deep = replace(state, frame=replace(state.frame, depth=MAX_CALL_DEPTH))
    post, witness = step(deep, world)
    assert verify_step(deep.commitment(), witness) == post.commitment()
    assert isinstance(post.frame, Frame) and post.frame.depth == MAX_CALL_DEPTH
    assert post.frame.stack_size == 1 and post.frame.pc == deep.frame.pc + 1
    # the 2,600 cold access is all the call cost: the 1,000 given to the child came back
    assert post.frame.gas == deep.frame.gas - 2600


def test_a_delegated_callee_runs_its_delegates_code() -> None:
    """EIP-7702: the call step's ``ext_code`` is the designator and the delegate's code, the
    delegate's warm insertion and account are read (``tries``), and the child runs ADD_ONE."""
    code, others = CASES["call to a delegated account"]
    trace = _run(code, others)
    call_step = next(s for s in trace.steps if s.opcode == 0xF1)
    _, proofs = decode_witness(call_step.witness)
    assert proofs.ext_code == b"\xef\x01\x00" + THIRD + ADD_ONE
    assert len(proofs.tries) == 4  # delegate warm, delegate account, caller debit, credit
    assert int.from_bytes(trace.output[32:64], "big") == 42
    wrong = replace(proofs, ext_code=proofs.ext_code[:-1] + b"\x00")
    with pytest.raises(InvalidWitness, match="delegate"):
        verify_step(call_step.pre, encode_witness(decode_witness(call_step.witness)[0], wrong))
