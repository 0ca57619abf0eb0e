"""The step tracer against py-evm (docs/fault_proofs.md 3): for every program of the corpus the
traced call ends as py-evm's computation does (success, gas left, output, logs, refund, state
root), and every step's post-state follows from its pre-state commitment and witness alone."""

from __future__ import annotations

import pytest

from ordo.faultproof.opcodes import OPS
from ordo.faultproof.tracer import MessageCall, Trace
from tests.faultproof.corpus import CASES, Case
from tests.faultproof.evm_reference import (
    CALLER,
    EXERCISED,
    TARGET,
    Account,
    asm,
    check_against_py_evm,
)


def run_case(case: Case) -> Trace:
    accounts = {
        TARGET: Account(balance=1000, code=case.code, storage=case.storage),
        CALLER: Account(balance=10**18),
        **case.others,
    }
    call = MessageCall(caller=CALLER, to=TARGET, data=case.data, gas=case.gas,
                       value=case.value, gas_price=case.gas_price, origin=case.origin,
                       is_static=case.is_static)
    return check_against_py_evm(accounts, call)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_matches_py_evm(case: Case) -> None:
    trace = run_case(case)
    assert trace.steps
    assert trace.success is case.succeeds
    if not case.succeeds and case.name not in ("revert", "revert with empty data"):
        assert trace.gas_left == 0 and trace.output == b""
    if case.name == "storage":
        assert trace.refund > 0


def test_corpus_exercises_every_instruction() -> None:
    """Runs after the cases above (same module, in order): every opcode of the version-1 table
    was stepped at least once, INVALID and undefined opcodes too."""
    if not EXERCISED:  # run alone
        for case in CASES:
            run_case(case)
    missing = sorted(OPS[code].name for code in set(OPS) - EXERCISED)
    assert not missing, missing
    assert {0xFE, 0x0C, 0xEF} <= EXERCISED


def test_code_given_with_the_call_runs_at_the_address() -> None:
    """The frame runs the call's code at ``to`` (as for a creation's init code); EXTCODESIZE of
    ``to`` still reads the state's code."""
    code = asm("ADDRESS", "EXTCODESIZE", "CODESIZE", "ADD", 0, "MSTORE", 5, 2, "SSTORE", 32, 0,
               "RETURN")
    accounts = {TARGET: Account(code=asm("STOP")), CALLER: Account(balance=10**18)}
    trace = check_against_py_evm(accounts, MessageCall(CALLER, TARGET, b"", 100_000, code=code))
    assert int.from_bytes(trace.output, "big") == len(code) + 1
