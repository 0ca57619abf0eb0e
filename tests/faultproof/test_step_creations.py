"""CREATE, CREATE2 and SELFDESTRUCT in the step machine (docs/fault_proofs.md 3.9) against
py-evm: a creation whose code is then called, a CREATE2 collision, init code that reverts, halts
or returns EIP-3541 code, an endowment and an insufficient balance, a creation in a static
frame, init code that calls out; SELFDESTRUCT of an account older than the transaction to a
fresh, an existing and its own address, at depth 0 and 1. Every step re-verifies from its
witness alone; a tampered deposit proof is refused; SELFDESTRUCT of an account created in the
same transaction is refused, not guessed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordo.faultproof.machine_state import Frame
from ordo.faultproof.step import InvalidWitness, UnsupportedStep
from ordo.faultproof.tracer import MessageCall, Trace, trace_message_call
from ordo.faultproof.verify import verify_step
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
from tests.faultproof.test_step_frames import THIRD, addr, call, store_results

FRESH = bytes.fromhex("f5" * 20)


def put(data: bytes) -> tuple[str | int | bytes, ...]:
    """Store ``data`` at memory 0 in 32-byte words."""
    out: list[str | int | bytes] = []
    for at in range(0, len(data), 32):
        out += [int.from_bytes(data[at:at + 32].ljust(32, b"\0"), "big"), at, "MSTORE"]
    return tuple(out)


def returning(code: bytes) -> bytes:
    """Init code whose output (the deposited code) is ``code`` (at most 32 bytes)."""
    return asm(*put(code), len(code), 0, "RETURN")


RUNTIME = asm(7, 0, "MSTORE", 32, 0, "RETURN")
INIT = returning(RUNTIME)


def create(op: str, init: bytes, value: int = 0, salt: int = 5) -> tuple[str | int | bytes, ...]:
    salted = (salt,) if op == "CREATE2" else ()
    return (*put(init), *salted, len(init), 0, value, op)


def call_top() -> tuple[str | int | bytes, ...]:
    """CALL the address on top of the stack (kept), 32 bytes of output at memory 0."""
    return (32, 0, 0, 0, 0, "DUP6", "GAS", "CALL")


CASES: dict[str, tuple[bytes, dict[bytes, Account]]] = {
    "create then call the new code": (
        asm(*create("CREATE", INIT), "DUP1", 0, "SSTORE", *call_top(), 1, "SSTORE", 0,
            "MLOAD", 2, "SSTORE", "EXTCODESIZE", 3, "SSTORE", "STOP"), {}),
    "create2 twice collides": (
        asm(*create("CREATE2", INIT), 0, "SSTORE", *create("CREATE2", INIT), 1, "SSTORE",
            "RETURNDATASIZE", 2, "SSTORE", "STOP"), {}),
    "init code reverts": (
        asm(*create("CREATE", asm(0xBEEF, 0, "MSTORE", 32, 0, "REVERT")), 0, "SSTORE",
            "RETURNDATASIZE", 1, "SSTORE", 0, 0, 32, "RETURNDATACOPY", 0, "MLOAD", 2, "SSTORE",
            "STOP"), {}),
    "init code halts": (
        asm(*create("CREATE", asm(1, 1, "SSTORE", "INVALID")), 0, "SSTORE", "STOP"), {}),
    "deposit of 0xef code": (
        asm(*create("CREATE", returning(b"\xef\x00")), 0, "SSTORE", "STOP"), {}),
    "empty deposit": (
        asm(*create("CREATE", asm("STOP")), "EXTCODEHASH", 0, "SSTORE", "STOP"), {}),
    "endowment": (
        asm(*create("CREATE", asm("SELFBALANCE", 0, "SSTORE", "CALLER", 1, "SSTORE",
                                  *put(RUNTIME), len(RUNTIME), 0, "RETURN"), value=300),
            "BALANCE", 0, "SSTORE", "SELFBALANCE", 1, "SSTORE", "STOP"), {}),
    "insufficient endowment": (
        asm(*create("CREATE", INIT, value=10**9), 0, "SSTORE", "RETURNDATASIZE", 1, "SSTORE",
            "STOP"), {}),
    "create in a static frame": (
        asm(*call("STATICCALL", OTHER), *store_results()),
        {OTHER: Account(code=asm(*create("CREATE", INIT), "STOP"))}),
    "init code calls out": (
        asm(*create("CREATE", asm(*call("CALL", THIRD, out=(0, 32)), "POP", 0, "MLOAD", 5,
                                  "SSTORE", *put(RUNTIME), len(RUNTIME), 0, "RETURN")),
            0, "SSTORE", "STOP"),
        {THIRD: Account(code=asm(9, 0, "MSTORE", 32, 0, "RETURN"))}),
    "selfdestruct to a fresh account": (
        asm(*call("CALL", OTHER), *store_results()),
        {OTHER: Account(balance=77, code=asm(addr(FRESH), "SELFDESTRUCT"))}),
    "selfdestruct to an existing account": (
        asm(*call("CALL", OTHER), 0, "SSTORE", addr(OTHER), "BALANCE", 1, "SSTORE", "STOP"),
        {OTHER: Account(balance=77, code=asm(addr(THIRD), "SELFDESTRUCT")),
         THIRD: Account(balance=1)}),
    "selfdestruct to itself": (
        asm(*call("CALL", OTHER), 0, "SSTORE", "STOP"),
        {OTHER: Account(balance=77, code=asm("ADDRESS", "SELFDESTRUCT"))}),
    "selfdestruct at depth 0": (asm(addr(THIRD), "SELFDESTRUCT"), {THIRD: Account(balance=1)}),
    "selfdestruct with nothing to move": (
        asm(*call("CALL", OTHER), 0, "SSTORE", "STOP"),
        {OTHER: Account(code=asm(addr(FRESH), "SELFDESTRUCT"))}),
}


def _run(code: bytes, others: dict[bytes, Account]) -> Trace:
    accounts = {TARGET: Account(balance=1000, code=code), CALLER: Account(balance=10**18),
                **others}
    return check_against_py_evm(accounts, MessageCall(CALLER, TARGET, b"", 1_000_000))


@pytest.mark.parametrize("name", list(CASES))
def test_creation_case_matches_py_evm(name: str) -> None:
    code, others = CASES[name]
    trace = _run(code, others)
    assert any(s.opcode in (0xF0, 0xF5, 0xFF) for s in trace.steps)


def test_created_code_runs_and_collides() -> None:
    trace = _run(*CASES["create then call the new code"])
    assert max(s.post_state.frame.depth for s in trace.steps
               if isinstance(s.post_state.frame, Frame)) == 1
    depths = [s.post_state.frame.depth for s in trace.steps
              if isinstance(s.post_state.frame, Frame)]
    assert depths.count(1) >= 2  # the init code's steps, then the new code's
    trace = _run(*CASES["create2 twice collides"])
    creates = [s for s in trace.steps if s.opcode == 0xF5]
    assert len(creates) == 2


def test_a_tampered_deposit_is_refused() -> None:
    code, others = CASES["create then call the new code"]
    db, root = make_state({TARGET: Account(balance=1000, code=code),
                           CALLER: Account(balance=10**18), **others})
    trace = trace_message_call(db, root, BLOCK, MessageCall(CALLER, TARGET, b"", 1_000_000))
    deposit = next(s for s in trace.steps if decode_witness(s.witness)[1].tries
                   and s.opcode == 0xF3)
    state, proofs = decode_witness(deposit.witness)
    with pytest.raises(InvalidWitness):
        verify_step(deposit.pre, encode_witness(state, replace(proofs, tries=())))
    with pytest.raises(InvalidWitness):
        verify_step(deposit.pre, encode_witness(state, replace(
            proofs, parent=replace(proofs.parent, returndata_root=bytes(32)))))


def test_selfdestruct_of_a_new_account_is_refused() -> None:
    init = asm(0, "SELFDESTRUCT")
    code = asm(*create("CREATE", init), "STOP")
    db, root = make_state({TARGET: Account(code=code), CALLER: Account(balance=10**18)})
    with pytest.raises(UnsupportedStep, match="6780"):
        trace_message_call(db, root, BLOCK, MessageCall(CALLER, TARGET, b"", 1_000_000))
