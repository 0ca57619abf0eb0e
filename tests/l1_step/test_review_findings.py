"""Security review of the step verifier's parts since c57ce81: each finding as a test on anvil,
the deployed verifier against the Python reference (verify.py and the tracer). Tests marked
xfail(strict=True) show a defect still open; they start passing (and then fail as XPASS) once
the contract is fixed, so the mark must be removed with the fix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from ordo.faultproof.block_tracer import BlockStep, BlockTrace
from ordo.faultproof.block_witness import Totals, decode_block_step, encode_block_step
from ordo.faultproof.cells import cell_root
from ordo.faultproof.machine_state import PHASE_TX_START, Frame
from ordo.faultproof.step import InvalidWitness
from ordo.faultproof.tracer import MessageCall, TraceStep, trace_message_call
from ordo.faultproof.verify import verify_step
from ordo.faultproof.witness import CellProof
from ordo.faultproof.witness_codec import decode_witness, encode_witness
from tests.faultproof.block_chain import DevChain, rules_of
from tests.faultproof.evm_reference import BLOCK, CALLER, OTHER, TARGET, Account, asm, make_state
from tests.faultproof.test_block_7702 import delegating_chain
from tests.faultproof.test_block_parts import long_access_list_chain
from tests.faultproof.test_step_creations import FRESH
from tests.faultproof.test_step_frames import addr, call
from tests.l1.l1_process import l1_process
from tests.l1_contracts.anvil_chain import AnvilChain, _dev_accounts
from tests.l1_step.test_step_precompile import _g2, _modexp, _reference, _word

from .verifier import Verifier, deploy_verifier, on_chain


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def _steps(code: bytes, others: dict[bytes, Account]) -> list[TraceStep]:
    db, root = make_state({TARGET: Account(balance=1000, code=code),
                           CALLER: Account(balance=10**18), **others})
    return list(trace_message_call(db, root, BLOCK,
                                   MessageCall(CALLER, TARGET, b"", 1_000_000)).steps)


# a child with 10,000 gas SELFDESTRUCTs to a fresh (cold, absent) account with a balance:
# 3 (PUSH20) + 5,000 + 2,600 cold fit, the 25,000 for the new account does not, so the step
# halts exceptionally at depth 1 after reading tries[0] (created set) and tries[1] (receiver)
OUT_OF_GAS_SELFDESTRUCT = (
    asm(*call("CALL", OTHER, gas=10_000), 0, "SSTORE", "STOP"),
    {OTHER: Account(balance=77, code=asm(addr(FRESH), "SELFDESTRUCT"))},
)


def _selfdestruct_halt() -> TraceStep:
    step = next(s for s in _steps(*OUT_OF_GAS_SELFDESTRUCT) if s.opcode == 0xFF)
    state, proofs = decode_witness(step.witness)
    assert isinstance(state.frame, Frame) and state.frame.depth == 1
    assert len(proofs.tries) == 2  # the reference's witness holds the two proofs it read
    post = step.post_state
    assert isinstance(post.frame, Frame) and post.frame.depth == 0  # the caller resumed
    return step


def test_selfdestruct_out_of_gas_at_depth_is_provable(verifier: Verifier) -> None:
    """Finding H1, fixed: after StepSelfdestruct's out-of-gas halt at depth > 0 (which read and
    counted its two trie proofs), StepReturn checks the lists only for its own steps."""
    step = _selfdestruct_halt()
    assert verify_step(step.pre, step.witness) == step.post  # the reference decides it
    assert on_chain(verifier, step.pre, step.witness) == step.post


def test_selfdestruct_out_of_gas_at_depth_refuses_a_third_proof(verifier: Verifier) -> None:
    """The halting part still counts the proofs it read: one more is refused on both sides."""
    step = _selfdestruct_halt()
    state, proofs = decode_witness(step.witness)
    witness = encode_witness(state, replace(proofs, tries=(*proofs.tries, proofs.tries[0])))
    with pytest.raises(InvalidWitness):
        verify_step(step.pre, witness)
    refused = on_chain(verifier, step.pre, witness)
    assert isinstance(refused, str) and refused.startswith("StepVerifier:"), refused


def _an_add() -> TraceStep:
    code = asm(1, 2, "ADD", "STOP")
    return next(s for s in _steps(code, {}) if s.opcode == 0x01)


def _an_underflow() -> TraceStep:
    return next(s for s in _steps(asm("ADD"), {}) if s.opcode == 0x01)  # core.halt, depth 0


@pytest.mark.parametrize("field", ["tries", "caller_memory"])
@pytest.mark.parametrize("which", ["ADD", "halt"])
def test_unread_listed_fields_are_refused(verifier: Verifier, field: str, which: str) -> None:
    """Finding M1, fixed: core.finished refuses a non-empty tries or caller_memory unless the
    part read and counted them itself (USED_LISTS)."""
    step = {"ADD": _an_add, "halt": _an_underflow}[which]()
    state, proofs = decode_witness(step.witness)
    stuffed = {"tries": (proofs.account,),
               "caller_memory": (CellProof(0, b"\x01" * 32, (b"\x00" * 32,) * 32),)}[field]
    witness = encode_witness(state, replace(proofs, **{field: stuffed}))  # type: ignore[arg-type]
    with pytest.raises(InvalidWitness):
        verify_step(step.pre, witness)  # the reference refuses
    assert on_chain(verifier, step.pre, witness) == \
        "StepVerifier: caller_memory or tries given but not read"
    assert on_chain(verifier, step.pre, step.witness) == step.post  # the honest one decides


@pytest.fixture(scope="module")
def precompile_service(chain: AnvilChain) -> Contract:
    return chain.deploy("step/StepPrecompile")


# a valid modexp: 256-byte base and modulus, 1,024-byte exponent: Prague prices it 2,795,861
STARVED_MODEXP = _modexp(b"\x02" * 256, b"\xff" * 1024, b"\x05" * 256)
TX_GAS = 20_000_000


def _run(service: Contract, call_gas: int) -> tuple[bool, int, bytes, int] | str:
    try:
        success, gas_left, root, size = service.functions.run(5, TX_GAS, STARVED_MODEXP).call(
            {"gas": call_gas})
    except ContractLogicError as error:
        return str(error.message)
    return bool(success), int(gas_left), bytes(root), int(size)


def test_modexp_with_plenty_of_l1_gas_succeeds(precompile_service: Contract) -> None:
    """The input is valid: with enough L1 gas the run agrees with py-evm (success)."""
    reference = _reference(5, STARVED_MODEXP, TX_GAS)
    assert reference.success
    answer = _run(precompile_service, 29_000_000)
    assert not isinstance(answer, str) and answer[:2] == (True, reference.gas_left)


@pytest.mark.parametrize("call_gas", ["estimate", 2_000_000])
def test_starved_precompile_call_is_not_a_decision(precompile_service: Contract,
                                                   call_gas: int | str) -> None:
    reference = _reference(5, STARVED_MODEXP, TX_GAS)
    gas = int(precompile_service.functions.run(5, TX_GAS, STARVED_MODEXP).estimate_gas()) \
        if call_gas == "estimate" else int(call_gas)
    answer = _run(precompile_service, gas)
    # a starved L1 call must revert (no decision) or give py-evm's outcome, never a failure
    assert isinstance(answer, str) or answer[:2] == (True, reference.gas_left), (gas, answer)


# a bn254 pairing of 256 pairs (49,152 bytes: the longest input StepPrecompile takes), its first
# G1 point off the curve: Prague refuses it at any gas and prices it 45,000 + 34,000 * 256
LARGE_REFUSED_PAIRING = (_word(1) + _word(3) + _g2()) * 256
L1_TX_GAS_CAP = 2**24
"""EIP-7825's cap on one L1 transaction's gas."""


def test_a_large_pairing_refusal_fits_an_l1_transaction(precompile_service: Contract) -> None:
    """Finding H4, fixed: the refusal was decided by a call at Prague's price (8,749,000 burned)
    and a second call with four times it plus a million (36 M more), over 2^24; now one call
    with the price plus a margin capped at 10 M decides it, as py-evm's outcome."""
    reference = _reference(8, LARGE_REFUSED_PAIRING, TX_GAS)
    assert not reference.success
    assert precompile_service.functions.price(8, LARGE_REFUSED_PAIRING).call() == \
        45_000 + 34_000 * 256
    run = precompile_service.functions.run(8, TX_GAS, LARGE_REFUSED_PAIRING)
    needed = int(run.estimate_gas())
    assert needed < 12_000_000, needed  # the 10 M call and the 49 KB of calldata
    success, gas_left, root, size = run.call({"gas": L1_TX_GAS_CAP})
    assert (success, gas_left, bytes(root), size) == (False, 0, cell_root(b""), 0)


def _started_steps(t: BlockTrace) -> list[tuple[int, BlockStep]]:
    return [(i, s) for i, s in enumerate(t.steps) if s.phase == PHASE_TX_START][1:-1]


@pytest.fixture(scope="module")
def long_list_trace() -> tuple[DevChain, BlockTrace]:
    c = long_access_list_chain()
    return c, c.trace(1)


@pytest.fixture(scope="module")
def delegating_trace() -> tuple[DevChain, BlockTrace]:
    c = delegating_chain()
    return c, c.trace(1)


@pytest.mark.parametrize("which", ["warm keys", "authorization"])
def test_unread_totals_are_refused_in_started_steps(
        verifier: Verifier, long_list_trace: tuple[DevChain, BlockTrace],
        delegating_trace: tuple[DevChain, BlockTrace], which: str) -> None:
    c, t = long_list_trace if which == "warm keys" else delegating_trace
    index, step = _started_steps(t)[0]
    state, proofs = decode_block_step(t.witness(index))
    stuffed = encode_block_step(state, replace(proofs, totals=Totals(
        receipts_root=b"\x01" * 32, bloom=bytes(256), forced_next=1, forced_end=2)))
    with pytest.raises(InvalidWitness, match="the step does not read totals"):
        verify_step(step.pre, stuffed, rules_of(c.genesis))  # the reference refuses
    result = on_chain(verifier, step.pre, stuffed)
    assert isinstance(result, str), f"accepted a stuffed totals: {result.hex()}"


@pytest.fixture(scope="module")
def osaka_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    """StepPrecompile on an L1 at Osaka (Fusaka, live on Ethereum since December 2025): EIP-7823
    caps modexp's lengths at 1,024 bytes and EIP-7883 prices it higher than Prague."""
    log = tmp_path_factory.mktemp("anvil-osaka") / "anvil.log"
    with l1_process("anvil", extra=("--hardfork", "osaka"), log=log) as l1:
        w3 = Web3(Web3.HTTPProvider(l1.url, request_kwargs={"timeout": 30}))
        yield AnvilChain(w3, _dev_accounts()).deploy("step/StepPrecompile")


# valid on Prague (py-evm, the L2's engine): a 1,025-byte modulus (EIP-7823 refuses it on an
# Osaka L1 at any gas), and a 1,024-byte exponent that EIP-7883 prices above 4x Prague + 1 M
OSAKA_REFUSES = _modexp(b"\x02", b"\x03", b"\x05" * 1025)
OSAKA_PRICES_HIGHER = STARVED_MODEXP


@pytest.mark.parametrize("data", [OSAKA_REFUSES, OSAKA_PRICES_HIGHER],
                         ids=["length over 1024", "priced above the retry"])
def test_precompile_refused_by_a_later_l1_fork_is_not_a_decision(
        osaka_service: Contract, data: bytes) -> None:
    reference = _reference(5, data, TX_GAS)
    assert reference.success  # Prague (the L2) runs it
    try:
        success, gas_left, _, _ = osaka_service.functions.run(5, TX_GAS, data).call(
            {"gas": 29_000_000})
    except ContractLogicError:
        return  # not verifiable: the step refuses to decide, as 4.2 requires
    assert (bool(success), int(gas_left)) == (True, reference.gas_left)
