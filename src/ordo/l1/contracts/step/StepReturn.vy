# pragma version 0.4.3
"""
@title Step verifier part: STOP, RETURN and REVERT at depth > 0, the return to a caller
       (docs/fault_proofs.md 3.8)
@notice The router sends these three opcodes here when the frame's depth is not 0, and any
        other step at depth > 0 that its part answered with core.HALTED_AT_DEPTH (an
        exceptional halt: this part then takes the step as halting). The child
        halts (its own exceptional halts included: stack underflow, memory out of gas), the
        context is rolled back to its entry snapshot after REVERT and an exceptional halt, the
        suspended caller is read from `parent` and checked against `parent_frame`, the output
        is written into the caller's memory from `caller_memory` (each cell against the
        caller's memory root as the earlier cells left it), and the caller resumes with the
        flag pushed, the child's gas left returned and the return data replaced, as
        src/ordo/faultproof/frames.py's return_to_caller; the return of a creation frame
        deposits the code and pushes the address (3.9, through StepMpt).
"""

import cells
import core
import machine
import mem
import state
import witness as w

CALLER_MEMORY_PTR: constant(uint256) = 139 * 32
TRIES_PTR: constant(uint256) = 140 * 32
CREATE_MARK: constant(uint256) = max_value(uint256)
PARENT_BYTES: constant(uint256) = 20 * 32
CODE_DEPOSIT_GAS: constant(uint256) = 200
MAX_CODE_SIZE: constant(uint256) = 24576

mpt: public(immutable(address))


@deploy
def __init__(mpt_service: address):
    mpt = mpt_service


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it."""
    r: core.Run = core.begin()
    op: uint256 = r.op
    assert r.frame.depth != 0, "StepVerifier: a halt at depth 0 is not a return to a caller"
    if op != 0 and op != 243 and op != 253:
        # the router sends another opcode here only when its part answered HALTED_AT_DEPTH:
        # the step halts exceptionally, the part checked what it read before the halt
        return self._returned(r, False, b"", True, True, False)
    # core.start()'s checks for these three: a stack underflow halts; no static write, no
    # static gas, no overflow (they push nothing)
    if r.frame.stack_size < r.info.reads:
        return self._returned(r, False, b"", True, True, True)
    if op == 0:
        return self._returned(r, True, b"", False, False, True)
    r = core.stack(r)
    offset: uint256 = r.items[0]
    size: uint256 = r.items[1]
    r = mem.charge_growth(r, 0, offset, size, 0, 0)
    if r.halting:
        return self._returned(r, False, b"", True, True, True)
    output: Bytes[mem.BUFFER] = b""
    r, output = mem.read_memory(r, offset, size)
    return self._returned(r, op == 243, output, op == 253, False, True)


@internal
@view
def _returned(r: core.Run, success: bool, output: Bytes[mem.BUFFER], rollback: bool,
              burn: bool, own: bool) -> bytes32:
    """@notice The caller's state after the child halted; `burn` for an exceptional halt (no
            gas back, no return data, nothing written to the caller's memory); `own` when this
            part read the step's items (else the halting instruction's part checked them)."""
    c: machine.Context = r.ctx
    used: core.Run = r
    if rollback:
        c = core.rolled_back(r)
        used.used = used.used | core.USED_SNAPSHOT
    at: uint256 = r.proofs + core.PARENT_AT
    w.need(at + PARENT_BYTES)
    words: Bytes[PARENT_BYTES] = slice(msg.data, w.base() + at, PARENT_BYTES)
    assert keccak256(words) == r.frame.parent_frame, \
        "StepVerifier: the parent frame is not the preimage of parent_frame"
    used.used = used.used | core.USED_PARENT
    parent: machine.Frame = abi_decode(words, machine.Frame)
    if parent.returndata_size == CREATE_MARK:
        return self._created(r, used, c, parent, success, output, burn, own)
    memory_root: bytes32 = parent.memory_root
    written: uint256 = 0
    returned: Bytes[mem.BUFFER] = b""
    gas: uint256 = parent.gas
    if not burn:
        returned = output
        gas += r.gas
        size: uint256 = min(parent.returndata_size, len(output))
        memory_root, written = mem.write_caller(r, memory_root,
                                                  convert(parent.returndata_root, uint256),
                                                  slice(output, 0, size))
    if own:
        # after another part's exceptional halt, that part checked the lists (core.halt's
        # finished, or the lists it read itself, as SELFDESTRUCT's two proofs): a burned
        # return writes no caller memory and reads no trie here
        assert written == w.uint(r.proofs + w.uint(r.proofs + CALLER_MEMORY_PTR)), \
            "StepVerifier: caller memory cells given that the return does not write"
        assert w.uint(r.proofs + w.uint(r.proofs + TRIES_PTR)) == 0, \
            "StepVerifier: trie proofs given that the return does not read"
        used.used = used.used | core.USED_LISTS
        core.finished(used)
    flag: uint256 = 0
    if success:
        flag = 1
    resumed: machine.Frame = parent
    resumed.gas = gas
    resumed.stack_hash = cells.push(parent.stack_hash, flag)
    resumed.stack_size = parent.stack_size + 1
    resumed.memory_root = memory_root
    resumed.returndata_root = mem.output_root(returned)
    resumed.returndata_size = len(returned)
    return machine.state_hash(core.PHASE_EVM, r.block_h, r.tx_h, machine.context_hash(c),
                              machine.frame_hash(resumed))


@internal
@view
def _created(r: core.Run, used: core.Run, ctx: machine.Context, parent: machine.Frame,
             ok: bool, output: Bytes[mem.BUFFER], burned: bool, own: bool) -> bytes32:
    """@notice The creator's state after its creation frame halted (3.9, creations.py's
            creation_returned): the code deposit (200 gas a byte; EIP-3541's 0xef or too little
            gas fails it, rolled back to the snapshot; EIP-170 cannot be reached within 3.3's
            32 cells), the new account's code hash written through `tries[0]`, the address
            (or 0) pushed; nothing is written to the caller's memory."""
    c: machine.Context = ctx
    u: core.Run = used
    success: bool = ok
    burn: bool = burned
    gas_left: uint256 = r.gas
    deposits: uint256 = 0
    created: uint256 = convert(parent.returndata_root, uint256) % 2**160
    if success:
        cost: uint256 = CODE_DEPOSIT_GAS * len(output)
        first: uint256 = 0
        if len(output) > 0:
            first = convert(slice(output, 0, 1), uint256)
        if len(output) > MAX_CODE_SIZE or first == 239 or cost > gas_left:
            c = core.rolled_back(r)
            u.used = u.used | core.USED_SNAPSHOT
            success = False
            burn = True
        else:
            if len(output) > 0:
                c.state_root = self._deposit(r, c.state_root, created, keccak256(output))
                deposits = 1
            gas_left -= cost
    if own:
        # as in _returned: after another part's halt that part checked the lists
        assert w.uint(r.proofs + w.uint(r.proofs + TRIES_PTR)) == deposits, \
            "StepVerifier: trie proofs given that the return does not read"
        assert w.uint(r.proofs + w.uint(r.proofs + CALLER_MEMORY_PTR)) == 0, \
            "StepVerifier: caller memory cells given that the return does not write"
        u.used = u.used | core.USED_LISTS
        core.finished(u)
    returned: Bytes[mem.BUFFER] = b""
    if not success and not burn:
        returned = output
    flag: uint256 = 0
    gas: uint256 = parent.gas
    if success:
        flag = created
    if not burn:
        gas += gas_left
    resumed: machine.Frame = parent
    resumed.gas = gas
    resumed.stack_hash = cells.push(parent.stack_hash, flag)
    resumed.stack_size = parent.stack_size + 1
    resumed.returndata_root = mem.output_root(returned)
    resumed.returndata_size = len(returned)
    return machine.state_hash(core.PHASE_EVM, r.block_h, r.tx_h, machine.context_hash(c),
                              machine.frame_hash(resumed))


@internal
@view
def _deposit(r: core.Run, root: bytes32, holder: uint256, code_hash: bytes32) -> bytes32:
    """@notice The state root with the created account's code hash set, through `tries[0]`
            (against `root`; the account must be there, `extra` must be empty)."""
    at: uint256 = r.proofs + w.uint(r.proofs + TRIES_PTR)
    assert w.uint(at) >= 1, "StepVerifier: too few listed trie proofs (tries)"
    t: uint256 = at + 32 + w.uint(at + 32)
    p: uint256 = t + w.uint(t)
    e: uint256 = t + w.uint(t + 32)
    p_size: uint256 = w.uint(p)
    if p_size > state.MAX_PROOF:
        raise "StepVerifier: a trie proof over 16,384 bytes: not verifiable yet"
    assert w.uint(e) == 0, "StepVerifier: an extra node for a proof that deletes nothing"
    w.need(p + 32 + (p_size + 31) // 32 * 32)
    key: bytes32 = state.address_key(holder)
    proof: Bytes[state.MAX_PROOF] = state._bytes(p + 32, p_size)
    answer: Bytes[256] = raw_call(
        mpt, concat(method_id("read(bytes32,bytes32,uint256)"), root, key,
                    convert(p_size, bytes32), proof),
        max_outsize=256, is_static_call=True)
    size: uint256 = convert(extract32(answer, 64), uint256)
    assert size <= state.VALUE_BYTES, "StepVerifier: a trie value over 128 bytes"
    padded: Bytes[384] = concat(answer, empty(bytes32), empty(bytes32), empty(bytes32),
                                empty(bytes32))
    value: Bytes[state.VALUE_BYTES] = slice(slice(padded, 96, state.VALUE_BYTES), 0, size)
    assert convert(extract32(answer, 0), uint256) != 0, \
        "StepVerifier: the created account is absent at its code deposit"
    # rlp([nonce, balance, storage_root, code_hash]) as the state holds it ends with 0xa0 and
    # the code hash: only those 32 bytes change
    assert size >= 70 and convert(slice(value, size - 33, 1), uint256) == 160, \
        "StepVerifier: an account that is not RLP of four items"
    stored: Bytes[state.VALUE_BYTES + 32] = concat(slice(value, 0, size - 32), code_hash)
    words: Bytes[state.VALUE_BYTES + 160] = concat(stored, empty(bytes32), empty(bytes32),
                                                   empty(bytes32), empty(bytes32))
    written: Bytes[32] = raw_call(
        mpt, concat(method_id("write(bytes32,bytes32,bytes32[4],uint256,uint256,uint256)"),
                    root, key, extract32(words, 0), extract32(words, 32),
                    extract32(words, 64), extract32(words, 96),
                    convert(len(stored), bytes32), convert(p_size, bytes32),
                    convert(0, bytes32), proof),
        max_outsize=32, is_static_call=True)
    return extract32(written, 0)
