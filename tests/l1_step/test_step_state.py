"""The storage and account parts refuse what does not prove (docs/fault_proofs.md 3.1 fields
6-12, 3.7): a trie proof with one byte changed, an extra node on a proof that deletes nothing,
an ext_code that is not the account's, proofs over the verifier's bound; and the entry points
refuse calldata that is not step(bytes32,bytes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from web3.exceptions import ContractLogicError

from ordo.faultproof import tracer
from ordo.faultproof.machine_state import Frame, MachineState
from ordo.faultproof.step import UnsupportedStep, execute
from ordo.faultproof.witness import Snapshot, TrieProof
from ordo.faultproof.witness_codec import decode_witness, encode_witness
from ordo.faultproof.world import Recorder, World
from tests.faultproof.corpus import CASES, Case
from tests.faultproof.evm_reference import asm
from tests.l1_contracts.anvil_chain import AnvilChain

from .steps import Step, selected_steps
from .verifier import STEP_GAS, Verifier, deploy_verifier, on_chain, trace_case

TRIE_FIELDS = ("account", "accessed", "storage", "original_account", "original_storage",
               "transient")


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def _witness(step: Step, **changes: object) -> bytes:
    return encode_witness(step.pre, replace(step.proofs, **changes))  # type: ignore[arg-type]


def _with_proof(step: Step, field: str) -> bool:
    return bool(getattr(step.proofs, field).proof)


def _flipped(proof: TrieProof, position: int) -> TrieProof:
    data = bytearray(proof.proof)
    data[position] ^= 0x01
    return replace(proof, proof=bytes(data))


def test_every_trie_field_refuses_a_changed_byte(verifier: Verifier) -> None:
    """For each trie field, a step that reads it, with a byte of its proof changed (in the
    middle of the root node, and in the last node): a revert with a reason, never a state."""
    for field in TRIE_FIELDS:
        step = next(s for s in selected_steps() if _with_proof(s, field))
        proof: TrieProof = getattr(step.proofs, field)
        for position in (len(proof.proof) // 3, len(proof.proof) - 2):
            result = on_chain(verifier, step.step.pre,
                              _witness(step, **{field: _flipped(proof, position)}))
            assert isinstance(result, str) and result.startswith(("Mpt: ", "StepVerifier: ")), \
                (field, position, result)


def test_an_extra_node_on_a_proof_that_deletes_nothing_is_refused(verifier: Verifier) -> None:
    step = next(s for s in selected_steps() if s.opcode == 0x54 and _with_proof(s, "account"))
    account = replace(step.proofs.account, extra=b"\xc0")
    assert on_chain(verifier, step.step.pre, _witness(step, account=account)) == \
        "StepVerifier: an extra node for a proof that deletes nothing"
    unused = replace(step.proofs.transient, extra=b"\xc0")
    assert on_chain(verifier, step.step.pre, _witness(step, transient=unused)) == \
        "StepVerifier: a trie proof given but not read"


def test_ext_code_must_be_the_accounts(verifier: Verifier) -> None:
    step = next(s for s in selected_steps() if s.opcode == 0x3B and s.proofs.ext_code)
    code = step.proofs.ext_code
    assert on_chain(verifier, step.step.pre, _witness(step, ext_code=code[:-1])) == \
        "StepVerifier: ext_code does not hash to the account's code hash"
    assert on_chain(verifier, step.step.pre, _witness(step, ext_code=bytes(24_577))) == \
        "StepVerifier: ext_code over 24,576 bytes"
    balance = next(s for s in selected_steps() if s.opcode == 0x31)
    assert on_chain(verifier, balance.step.pre, _witness(balance, ext_code=b"\x00")) == \
        "StepVerifier: ext_code given but not read"


def test_a_proof_over_the_bound_is_refused_as_not_verifiable(verifier: Verifier) -> None:
    step = next(s for s in selected_steps() if s.opcode == 0x54 and _with_proof(s, "account"))
    long = replace(step.proofs.account, proof=step.proofs.account.proof + bytes(16_384))
    assert on_chain(verifier, step.step.pre, _witness(step, account=long)) == \
        "StepVerifier: a trie proof over 16,384 bytes: not verifiable yet"


def _raw(verifier: Verifier, data: bytes) -> str:
    try:
        verifier.router.w3.eth.call({"to": verifier.router.address, "data": data,
                                     "gas": STEP_GAS})
    except ContractLogicError as error:
        return str(error.message).removeprefix("execution reverted: ")
    raise AssertionError("the call did not revert")


def test_calldata_that_is_not_step_is_refused(verifier: Verifier) -> None:
    step = selected_steps()[0]
    call = verifier.router.functions.step(step.step.pre, step.step.witness)
    data = bytes.fromhex(call._encode_transaction_data()[2:])
    assert _raw(verifier, b"\x12\x34\x56\x78" + data[4:]) == \
        "StepVerifier: the one function is step(bytes32,bytes)"
    assert _raw(verifier, data[:90]) == "StepVerifier: calldata is not step(bytes32,bytes)"
    # the witness's length word claims more bytes than the calldata holds
    assert _raw(verifier, data[:-32]) == "StepVerifier: calldata is not step(bytes32,bytes)"
    too_long = data[:4 + 64] + (262_145).to_bytes(32, "big") + bytes(262_176)
    assert _raw(verifier, too_long) == "StepVerifier: witness over 262,144 bytes"
    # StepMpt refuses a proof its calldata does not hold
    service = verifier.mpt.functions.read(bytes(32), bytes(32), 100)
    with pytest.raises(ContractLogicError, match="trie proof cut short"):
        service.call({"gas": STEP_GAS})


def test_a_refund_counter_that_would_go_below_zero_is_refused(verifier: Verifier) -> None:
    """Slot 1 (original 5) written 5 -> 0 -> 5: the second SSTORE takes back the 4,800 the first
    added. From a pre-state whose refund counter is 0 that is refused, never wrapped."""
    case = next(c for c in CASES if c.name == "storage")
    restore = [s for s in trace_case(case).steps if s.opcode == 0x55][1]
    pre, proofs = decode_witness(restore.witness)
    assert pre.context.refund == 4800
    broke = replace(pre, context=replace(pre.context, refund=0))
    assert on_chain(verifier, broke.commitment(), encode_witness(broke, proofs)) == \
        "StepVerifier: the refund counter would go below zero"


def test_the_mpt_service_refuses_a_stored_value_over_128_bytes(verifier: Verifier) -> None:
    call = verifier.mpt.functions.write(bytes(32), bytes(32), [bytes(32)] * 4, 129, 0, 0)
    with pytest.raises(ContractLogicError, match="a stored value over 128 bytes"):
        call.call({"gas": STEP_GAS})


def test_sstore_to_an_absent_account_is_refused_as_not_verifiable(
        verifier: Verifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """Impossible for a running contract, refused by the tracer (3.5): the frame's address is
    made absent from the state at an SSTORE, and the witness the tracer's world gives for the
    reads before the refusal (the accessed set, the account's absence) is refused the same way
    on chain."""
    seen: list[tuple[bytes, bytes]] = []
    original = tracer.step

    def spy(state: MachineState, world: World) -> tuple[MachineState, bytes]:
        frame = state.frame
        if isinstance(frame, Frame) and frame.pc == 4:  # the SSTORE, before it runs
            absent = replace(state, frame=replace(frame, address=b"\xde" * 20))
            recorder = Recorder(world)  # reads only: the refusal comes before any write
            with pytest.raises(UnsupportedStep, match="absent"):
                execute(absent, recorder)
            proofs = replace(recorder.proofs(), snapshot=Snapshot())
            seen.append((absent.commitment(), encode_witness(absent, proofs)))
        return original(state, world)

    monkeypatch.setattr(tracer, "step", spy)
    trace_case(Case("sstore", asm(1, 1, "SSTORE", "STOP")))
    [(pre, witness)] = seen
    assert on_chain(verifier, pre, witness) == \
        "StepVerifier: SSTORE to an account absent from the state: not verifiable yet"
