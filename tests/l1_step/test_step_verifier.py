"""The deployed verifier against the Python tracer (docs/fault_proofs.md 3): for the corpus the
tracer is checked on against py-evm, every selected step's witness, fed to the verifier on
anvil, gives exactly the tracer's post-state commitment, or, for an instruction not verifiable
yet, the refusal that says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ordo.faultproof.opcodes import OPS
from tests.faultproof.corpus import CASES
from tests.l1_contracts.anvil_chain import AnvilChain

from .routes import NOT_YET, part_of
from .verifier import Verifier, deploy_verifier, on_chain, trace_case


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def _name(opcode: int) -> str:
    return OPS[opcode].name if opcode in OPS else f"0x{opcode:02x}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_step_verifies_on_chain(verifier: Verifier, case) -> None:  # type: ignore[no-untyped-def]
    trace = trace_case(case)
    for step in trace.steps:
        result = on_chain(verifier, step.pre, step.witness)
        if part_of(step.opcode) == NOT_YET:
            assert result == f"StepVerifier: opcode 0x{step.opcode:02x} not verifiable yet"
        else:
            assert result == step.post, (_name(step.opcode), result)
