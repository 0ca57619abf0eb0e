# pragma version 0.4.3
"""
@title Step verifier service: the first half of a call step (docs/fault_proofs.md 3.8,
       src/ordo/faultproof/frames.py's _call up to the code source's account)
@notice StepCall asks it with its own calldata (the step's) and goes on from its answer: one
        contract for the whole call would pass L1's 24,576-byte code limit. In the reference's
        order: the pre-state, the code cell and the 6 or 7 stack items; a value in a static
        CALL halts; the memory of both ranges is charged and the call data read (`memory`, at
        most 32 cells); the code source made warm (`accessed`, 100 / 2,600 charged) and read
        (`account`). The answer is abi.encode(bytes): 32 bytes, the step's answer when it
        halted here (core.halt: the transaction-end state at depth 0, HALTED_AT_DEPTH above);
        else abi.encode(core.Run, state.Account, call data), the step's working state so far.
        The answer is a function of the calldata only, so the part that asks (the one the
        router calls) may take it as its own reading.
"""

import core
import mem
import state

WARM_ACCESS: constant(uint256) = 100
COLD_ACCOUNT_ACCESS: constant(uint256) = 2600
OP_CALL: constant(uint256) = 241
OP_CALLCODE: constant(uint256) = 242
OP_DELEGATECALL: constant(uint256) = 244
OP_STATICCALL: constant(uint256) = 250
ANSWER: constant(uint256) = 3328  # abi.encode(core.Run, state.Account, Bytes[1056]) fits

mpt: public(immutable(address))


@deploy
def __init__(mpt_service: address):
    mpt = mpt_service


@external
@view
def __default__() -> Bytes[ANSWER]:
    """@notice step(bytes32 pre_state, bytes witness)'s call step read up to the code source's
            account, as StepCall forwards it."""
    r: core.Run = core.begin()
    op: uint256 = r.op
    assert op == OP_CALL or op == OP_CALLCODE or op == OP_DELEGATECALL or op == OP_STATICCALL, \
        "StepVerifier: opcode routed to the wrong part"
    r.info.reads = 6
    if op == OP_CALL or op == OP_CALLCODE:
        r.info.reads = 7
    r.info.pushes = 1
    if r.frame.stack_size < r.info.reads:
        return abi_encode(core.halt(r))
    r = core.stack(r)  # no overflow: it pops at least 6 and pushes 1; static gas 0
    k: uint256 = r.info.reads - 4  # the first of the four memory items
    if op == OP_CALL and r.frame.is_static != 0 and r.items[2] != 0:
        return abi_encode(core.halt(r))
    r = mem.charge_growth(r, 0, r.items[k], r.items[k + 1], r.items[k + 2], r.items[k + 3])
    if r.halting:
        return abi_encode(core.halt(r))
    data: Bytes[mem.BUFFER] = b""
    r, data = mem.read_memory(r, r.items[k], r.items[k + 1])
    key: bytes32 = state.address_key(r.items[1] % 2**160)
    p: state.Proof = empty(state.Proof)
    r, p = state.field_proof(r, state.ACCESSED)
    warm: bool = False
    stored: Bytes[state.VALUE_BYTES] = b""
    warm, stored = state.read_at(mpt, p, r.ctx.accessed_root, key)
    if warm:
        r = core.charge(r, WARM_ACCESS)
    else:
        r = core.charge(r, COLD_ACCOUNT_ACCESS)
    if r.halting:
        return abi_encode(core.halt(r))
    if not warm:
        r.ctx.accessed_root = state.write_at(mpt, p, r.ctx.accessed_root, key, b"\x01")
    r, p = state.field_proof(r, state.ACCOUNT)
    found: bool = False
    found, stored = state.read_at(mpt, p, r.ctx.state_root, key)
    return abi_encode(r, state.decode_account(found, stored), data)
