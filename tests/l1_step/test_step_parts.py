"""The verifier's parts: every deployed contract fits L1's 24,576-byte code limit, the router's
and the instruction tables are the Python ones byte for byte, and every refusal of the shared
code path (a state that is not phase 3, a short witness, a halt at depth > 0, a step over 32
cells, a part called with another part's opcode) reverts with its reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest

from ordo.faultproof.cells import cell_proof, cell_root
from ordo.faultproof.opcodes import FRAME_OPCODES, OPS
from ordo.faultproof.step import stack_fold
from ordo.faultproof.witness import CellProof
from ordo.faultproof.witness_codec import encode_witness
from ordo.l1.compiler import CONTRACTS_DIR, compile_contract
from tests.l1_contracts.anvil_chain import AnvilChain

from .routes import ARITH, FLOW, MPT_SERVICE, PART_NAMES, routes_table
from .steps import Step, first_step
from .verifier import ROUTER, STEP_GAS, Verifier, deploy_verifier, on_chain

EIP170_LIMIT = 24_576


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def test_every_part_fits_the_code_size_limit() -> None:
    for name in (*PART_NAMES.values(), ROUTER, MPT_SERVICE):
        size = len(compile_contract(name).runtime_bytecode)
        assert 0 < size < EIP170_LIMIT, (name, size)


def _hex_constant(file: str, name: str) -> bytes:
    source = (CONTRACTS_DIR / "step" / file).read_text()
    match = re.search(rf'{name}: constant\(Bytes\[\d+\]\) = x"([0-9a-f]*)"', source)
    assert match is not None
    return bytes.fromhex(match.group(1))


def test_the_tables_are_the_python_ones() -> None:
    assert _hex_constant("StepRouter.vy", "ROUTES") == routes_table()
    table = _hex_constant("opcodes.vy", "TABLE")
    for opcode in range(256):
        entry = table[4 * opcode:4 * opcode + 4]
        if opcode in OPS:
            op = OPS[opcode]
            assert entry == bytes([op.reads, op.pushes]) + op.gas.to_bytes(2, "big")
        else:
            assert entry[0] == (0xFE if opcode in FRAME_OPCODES else 0xFF), hex(opcode)


def _call(verifier: Verifier, step: Step, pre: object, proofs: object | None = None) -> object:
    state = pre  # a MachineState
    witness = encode_witness(state, proofs or step.proofs)  # type: ignore[arg-type]
    return on_chain(verifier, state.commitment(), witness)  # type: ignore[attr-defined]


def test_refusals_of_the_shared_path(verifier: Verifier) -> None:
    add = first_step(0x01)
    # the router sends a witness by its phase word; a part given another phase refuses it
    assert _call(verifier, add, replace(add.pre, phase=2)) == \
        "StepVerifier: a transaction not started has no next key or authorization"  # its layout
    assert _call(verifier, add, replace(add.pre, phase=1)) == \
        "StepVerifier: the witness is not the first state's preimage"  # StepBlockStart's
    phase4 = replace(add.pre, phase=4)
    assert _call(verifier, add, phase4) == \
        "StepVerifier: the witness is not the pre-state's preimage"  # StepTxEnd's layout
    direct = verifier.parts[ARITH].functions.step(phase4.commitment(),
                                                   encode_witness(phase4, add.proofs))
    assert _reason(direct) == "StepVerifier: not a phase-3 (EVM) state"
    short = add.step.witness[:32 * 60]
    assert on_chain(verifier, add.step.pre, short) == "StepVerifier: witness too short"
    stop = first_step(0x00)
    deep = replace(stop.pre, frame=replace(stop.frame, depth=1))
    # the router sends STOP at depth > 0 to StepReturn (3.8), which needs the caller's frame
    assert _call(verifier, stop, deep) == \
        "StepVerifier: the parent frame is not the preimage of parent_frame"
    halt = first_step(0x01, "underflow")
    deep = replace(halt.pre, frame=replace(halt.frame, depth=1))
    # the part finds the halt and answers HALTED_AT_DEPTH; the router asks StepReturn (3.8)
    assert _call(verifier, halt, deep) == \
        "StepVerifier: the parent frame is not the preimage of parent_frame"
    # a part called directly with an opcode of another part (a witness lying to the router)
    push = first_step(0x60)
    result = verifier.parts[ARITH].functions.step(push.step.pre, push.step.witness)
    assert _reason(result) == "StepVerifier: opcode routed to the wrong part"
    # a KECCAK256 of 2,000 bytes the frame can pay for touches 63 cells: not verifiable yet
    keccak = first_step(0x20)
    frame = keccak.frame
    below = keccak.proofs.stack.below
    big = replace(keccak.pre, frame=replace(frame, gas=10**7,
                                            stack_hash=stack_fold(below, [2000, 0])))
    proofs = replace(keccak.proofs, stack=replace(keccak.proofs.stack, items=(0, 2000)),
                     memory=())
    assert _call(verifier, keccak, big, proofs) == \
        "StepVerifier: the step touches more than 32 cells: not verifiable yet"


def _reason(call: object) -> str:
    from web3.exceptions import ContractLogicError

    try:
        call.call({"gas": STEP_GAS})  # type: ignore[attr-defined]
    except ContractLogicError as error:
        return str(error.message).removeprefix("execution reverted: ")
    raise AssertionError("the call did not revert")


def test_the_frame_family_is_refused_not_decided(verifier: Verifier) -> None:
    """A part given an instruction of the frame family (3.4) directly refuses it after checking
    the code cell: they have their own parts (StepCall, StepCreate, StepSelfdestruct), which
    the router picks by the opcode."""
    base = first_step(0x00)
    for opcode in FRAME_OPCODES:
        if opcode == 0xFF:  # SELFDESTRUCT has its part (StepSelfdestruct, 3.9)
            continue
        code = bytes([opcode])
        frame = replace(base.frame, code_root=cell_root(code), code_size=1, pc=0)
        pre = replace(base.pre, frame=frame)
        proofs = replace(base.proofs, code=CellProof(0, code + bytes(31), cell_proof(code, 0)))
        reason = f"StepVerifier: opcode 0x{opcode:02x} not verifiable yet"
        witness = encode_witness(pre, proofs)
        direct = verifier.parts[FLOW].functions.step(pre.commitment(), witness)
        assert _reason(direct) == reason


def test_the_router_says_it_does_not_decide_every_step(verifier: Verifier) -> None:
    """IStepVerifier.decides_every_step: the frame family above, block-start and transaction
    phases revert as not verifiable, so the router answers False and a deployment refuses it
    unless told to allow it (tests/l1_dispute/test_game_deploy.py)."""
    assert verifier.router.functions.decides_every_step().call() is False


def test_a_router_whose_part_returns_nothing_refuses(chain: AnvilChain) -> None:
    """A router deployed with an account without code as a part (a broken deployment) reverts
    instead of reading a commitment that is not there."""
    from .verifier import STEP_ABI

    compiled = compile_contract(ROUTER)
    nobody = chain.accounts[5].address
    router = chain.deploy_code(compiled.abi + STEP_ABI, compiled.bytecode,
                               *([nobody] * len(PART_NAMES)))
    add = first_step(0x01)
    assert _reason(router.functions.step(add.step.pre, add.step.witness)) == \
        "StepVerifier: a part returned no commitment"


def test_a_vyper_caller_reaches_the_router_through_its_interface(
        chain: AnvilChain, verifier: Verifier) -> None:
    """IStepVerifier.vyi is what the game calls: a contract calling step() through it gets the
    commitment, and the verifier's revert reason when it refuses."""
    from .probe import deploy_probe

    probe = deploy_probe(chain)
    add = first_step(0x01)
    router = verifier.router.address
    assert probe.functions.call_step(router, add.step.pre, add.step.witness).call(
        {"gas": STEP_GAS}) == add.step.post
    wrong = probe.functions.call_step(router, bytes(32), add.step.witness)
    assert _reason(wrong) == "StepVerifier: the witness's pre-state does not hash to pre_state"
