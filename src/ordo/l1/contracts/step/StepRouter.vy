# pragma version 0.4.3
"""
@title The one-step verifier's entry point (docs/fault_proofs.md 3, 3.5)
@notice step(pre_state, witness) returns the commitment of the state after the one instruction
        at the pre-state's pc, or reverts with a reason. L1 limits a contract's code to 24,576
        bytes, so the instructions are verified by parts, each a contract of its own; the
        router reads the opcode from the witness without checking it, only to choose the part,
        and forwards its calldata unchanged. Each part checks the whole witness itself (the
        pre-state preimage, the code cell the opcode is read from, every item) and reverts on
        an opcode that is not its own, so a witness that lies about the opcode gains nothing.
"""

import core
import witness as w

# part of each opcode: 0 not verifiable yet, 1 StepFlow, 2 StepArith, 3 StepMemory,
# 4 StepCopy, 5 StepStorage, 6 StepAccount, 12 StepSelfdestruct, 13 StepCall, 14 StepCreate
# (tests/l1_step/routes.py, checked there)
ROUTES: constant(Bytes[256]) = x"0102020202020202020202020101010102020202020202020202020202020101030101010101010101010101010101010106010101040104010401060601040604010101010101060104010101010101010303030505010101010101050504010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010103030303030101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010e0d0d030d0e010101010d010103010c"

flow: public(immutable(address))
arith: public(immutable(address))
memory: public(immutable(address))
copy: public(immutable(address))
storage: public(immutable(address))
account: public(immutable(address))
block_end: public(immutable(address))
tx_end: public(immutable(address))
block_start: public(immutable(address))
tx_start: public(immutable(address))
frame_return: public(immutable(address))
self_destruct: public(immutable(address))
frame_call: public(immutable(address))
frame_create: public(immutable(address))

PHASE_BLOCK_START: constant(uint256) = 1
PHASE_TX_START: constant(uint256) = 2
PHASE_EVM: constant(uint256) = 3
PHASE_TX_END: constant(uint256) = 4
PHASE_BLOCK_END: constant(uint256) = 5
PHASE_DONE: constant(uint256) = 6


@deploy
def __init__(flow_part: address, arith_part: address, memory_part: address,
             copy_part: address, storage_part: address, account_part: address,
             block_end_part: address, tx_end_part: address, block_start_part: address,
             tx_start_part: address, return_part: address, selfdestruct_part: address,
             call_part: address, create_part: address):
    flow = flow_part
    arith = arith_part
    memory = memory_part
    copy = copy_part
    storage = storage_part
    account = account_part
    block_end = block_end_part
    tx_end = tx_end_part
    block_start = block_start_part
    tx_start = tx_start_part
    frame_return = return_part
    self_destruct = selfdestruct_part
    frame_call = call_part
    frame_create = create_part


@external
@view
def decides_every_step() -> bool:
    """
    @notice False: the parts decide block start (phase 1), phase 3 (instructions at depth
            0), transaction end (phase 4), block end (phase 5) and the final state's padding
            (phase 6) and the forced deposits of transaction start (phase 2) only; the
            other transaction-start steps revert as not verifiable yet (every phase-3
            instruction has its part; a step a part cannot decide reverts), and a leaf whose
            step reverts stands by default (IStepVerifier.vyi).
            rollup_deploy.deploy_dispute_game refuses this verifier unless told to allow it.
    """
    return False


@external
@view
def __default__() -> bytes32:
    """
    @notice step(bytes32 pre_state, bytes witness) -> bytes32 (IStepVerifier.vyi). Taken by hand
            from the calldata: a declared `Bytes[262144]` argument would be copied to memory
            and every local placed after it, 155,000 gas of memory expansion per call.
    """
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    # the pre-state's phase as the witness claims it (its first word; the part checks it
    # against the pre-state): docs/fault_proofs.md 4
    phase: uint256 = w.uint(0)
    if phase == PHASE_BLOCK_END or phase == PHASE_DONE:
        return self._forward(block_end)
    if phase == PHASE_TX_END:
        return self._forward(tx_end)
    if phase == PHASE_BLOCK_START:
        return self._forward(block_start)
    if phase == PHASE_TX_START:
        return self._forward(tx_start)
    if phase != PHASE_EVM:
        raise concat("StepVerifier: a phase-", uint2str(phase),
                     " step: not verifiable yet")
    # the opcode as the witness claims it: frame.pc and the code cell (checked by the part)
    pc: uint256 = w.uint(core.FRAME_AT + 11 * 32)
    cell: bytes32 = w.word(w.uint(core.STATE_WORDS * 32) + core.CODE_AT + 32)
    op: uint256 = convert(slice(cell, pc % 32, 1), uint256)
    part: uint256 = convert(slice(ROUTES, op, 1), uint256)
    target: address = empty(address)
    # STOP, RETURN, REVERT at depth > 0 return to a caller (3.8): the frame's depth word
    if (op == 0 or op == 243 or op == 253) and w.uint(core.FRAME_AT + 32) != 0:
        return self._forward(frame_return)
    if part == 1:
        target = flow
    elif part == 2:
        target = arith
    elif part == 3:
        target = memory
    elif part == 4:
        target = copy
    elif part == 5:
        target = storage
    elif part == 6:
        target = account
    elif part == 12:
        target = self_destruct
    elif part == 13:
        target = frame_call
    elif part == 14:
        target = frame_create
    else:
        core.not_yet(op)
    return self._forward(target)


@internal
@view
def _forward(target: address) -> bytes32:
    """@notice The part's answer to the unchanged calldata (its revert bubbles up)."""
    result: Bytes[32] = raw_call(target, msg.data, max_outsize=32, is_static_call=True)
    assert len(result) == 32, "StepVerifier: a part returned no commitment"
    answer: bytes32 = convert(result, bytes32)
    if answer == core.HALTED_AT_DEPTH:
        # an exceptional halt at depth > 0, its items checked by the part: the return to the
        # caller is StepReturn's (3.8), which takes any other opcode as such a halt
        again: Bytes[32] = raw_call(frame_return, msg.data, max_outsize=32,
                                    is_static_call=True)
        assert len(again) == 32, "StepVerifier: a part returned no commitment"
        answer = convert(again, bytes32)
    return answer
