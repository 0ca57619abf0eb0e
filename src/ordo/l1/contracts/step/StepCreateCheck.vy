# pragma version 0.4.3
"""
@title Step verifier service: the first half of a creation step (docs/fault_proofs.md 3.9,
       src/ordo/faultproof/creations.py's _create up to the creator's failure checks)
@notice StepCreate asks it with its own calldata (the step's) and goes on from its answer: one
        contract for the whole creation would pass L1's 24,576-byte code limit. In the
        reference's order: the pre-state, the code cell and the 3 or 4 stack items; 32,000; a
        creation in a static frame halts; EIP-3860's 2 a word (CREATE2: 6 more a word) and the
        init code's memory charged; the creator read (`account`); a balance below the
        endowment, depth 1024 or a nonce at 2^64 - 1 fails the creation (0 pushed, the return
        data emptied). The answer is abi.encode(bytes): 32 bytes, the step's answer when it
        ended here (a halt: core.halt; a failed creation: the next state); else
        abi.encode(core.Run, state.Account), the working state and the creator. A function of
        the calldata only, so the part that asks may take it as its own reading.
"""

import cells
import core
import machine
import mem
import state

CREATE_GAS: constant(uint256) = 32000
INITCODE_WORD_GAS: constant(uint256) = 2
KECCAK_WORD_GAS: constant(uint256) = 6
MAX_CALL_DEPTH: constant(uint256) = 1024
MAX_NONCE: constant(uint256) = 2**64 - 1
OP_CREATE: constant(uint256) = 240
OP_CREATE2: constant(uint256) = 245
ANSWER: constant(uint256) = 2176  # abi.encode(core.Run, state.Account) fits

mpt: public(immutable(address))


@deploy
def __init__(mpt_service: address):
    mpt = mpt_service


@external
@view
def __default__() -> Bytes[ANSWER]:
    """@notice step(bytes32 pre_state, bytes witness)'s creation read up to the creator's
            checks, as StepCreate forwards it."""
    r: core.Run = core.begin()
    op: uint256 = r.op
    assert op == OP_CREATE or op == OP_CREATE2, "StepVerifier: opcode routed to the wrong part"
    r.info.reads = 3
    if op == OP_CREATE2:
        r.info.reads = 4
    r.info.pushes = 1
    if r.frame.stack_size < r.info.reads:
        return abi_encode(core.halt(r))
    r = core.stack(r)  # no overflow: it pops at least 3 and pushes 1
    r = core.charge(r, CREATE_GAS)
    if r.halting or r.frame.is_static != 0:
        return abi_encode(core.halt(r))
    value: uint256 = r.items[0]
    offset: uint256 = r.items[1]
    size: uint256 = r.items[2]
    words_gas: uint256 = max_value(uint256)  # mem.HUGE: a size no gas pays for
    if size < mem.BOUND:
        words_gas = INITCODE_WORD_GAS * mem.words(size)
        if op == OP_CREATE2:
            words_gas += KECCAK_WORD_GAS * mem.words(size)
    r = mem.charge_growth(r, words_gas, offset, size, 0, 0)
    if r.halting:
        return abi_encode(core.halt(r))
    me: uint256 = r.frame.address
    me_key: bytes32 = state.address_key(me)
    p: state.Proof = empty(state.Proof)
    r, p = state.field_proof(r, state.ACCOUNT)
    found: bool = False
    stored: Bytes[state.VALUE_BYTES] = b""
    found, stored = state.read_at(mpt, p, r.ctx.state_root, me_key)
    assert found, "StepVerifier: the creating account is absent from the state"
    creator: state.Account = state.decode_account(found, stored)
    if creator.balance < value or r.frame.depth + 1 > MAX_CALL_DEPTH or \
            creator.nonce + 1 > MAX_NONCE:
        return abi_encode(self._continued(state.lists_read(r, 0, 0), 0))
    return abi_encode(r, creator)


@internal
@view
def _continued(r: core.Run, flag: uint256) -> bytes32:
    """@notice The creator continues at pc + 1 with `flag` pushed and its return data emptied
            (a failed creation, a collision)."""
    core.finished(r)
    f: machine.Frame = core.next_frame(r, r.frame.pc + 1, cells.push(r.below, flag),
                                       r.frame.stack_size - r.info.reads + 1)
    f.returndata_root = core.EMPTY_CELL_ROOT
    f.returndata_size = 0
    return core.commit(r, f)
