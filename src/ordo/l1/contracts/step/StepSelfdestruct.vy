# pragma version 0.4.3
# pragma optimize codesize
"""
@title Step verifier part: SELFDESTRUCT of an account older than the transaction (EIP-6780;
       docs/fault_proofs.md 3.9, src/ordo/faultproof/creations.py's _selfdestruct)
@notice The beneficiary made warm (2,600 when cold), the created set read (`tries[0]`: an
        account created in this transaction reverts as not verifiable yet, its deletion
        belongs to the transaction's end), the own balance (`account`), the beneficiary
        (`tries[1]`: 25,000 more when absent and the balance is not zero; an empty account
        present in the state reverts as not verifiable yet) credited and the own account
        (`tries[2]`) emptied of its balance; then the frame halts as STOP does: the
        transaction-end state at depth 0, the return to the caller (flag 1, gas back, no
        return data) at depth > 0. Static-mode use, a stack underflow and running out of gas are
        exceptional halts (core.halt).
"""

import cells
import core
import machine
import state
import witness as w

SELFDESTRUCT_GAS: constant(uint256) = 5000
COLD_ACCOUNT_ACCESS: constant(uint256) = 2600
NEW_ACCOUNT_GAS: constant(uint256) = 25000
PARENT_BYTES: constant(uint256) = 20 * 32

mpt: public(immutable(address))


@deploy
def __init__(mpt_service: address):
    mpt = mpt_service


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it."""
    r: core.Run = core.begin()
    assert r.op == 255, "StepVerifier: opcode routed to the wrong part"
    r.info.reads = 1  # the shared table marks the frame family; SELFDESTRUCT reads one item
    if r.frame.stack_size < 1:
        return core.halt(r)
    r = core.stack(r)
    r = core.charge(r, SELFDESTRUCT_GAS)
    if r.halting or r.frame.is_static != 0:
        return core.halt(r)
    me: uint256 = r.frame.address
    beneficiary: uint256 = r.items[0] % 2**160
    key: bytes32 = state.address_key(beneficiary)
    p: state.Proof = empty(state.Proof)
    r, p = state.field_proof(r, state.ACCESSED)
    warm: bool = False
    value: Bytes[state.VALUE_BYTES] = b""
    warm, value = state.read_at(mpt, p, r.ctx.accessed_root, key)
    if not warm:
        r = core.charge(r, COLD_ACCOUNT_ACCESS)
        if r.halting:
            return core.halt(r)
        r.ctx.accessed_root = state.write_at(mpt, p, r.ctx.accessed_root, key, b"\x01")
    found: bool = False
    found, value = state.listed_read(mpt, r, 0, r.ctx.created_root, state.address_key(me))
    if found:
        raise "StepVerifier: SELFDESTRUCT of a new account: not verifiable yet"
    r, p = state.field_proof(r, state.ACCOUNT)
    found, value = state.read_at(mpt, p, r.ctx.state_root, state.address_key(me))
    own: state.Account = state.decode_account(found, value)
    listed: uint256 = 1
    if beneficiary != me:
        listed = 2
        found, value = state.listed_read(mpt, r, 1, r.ctx.state_root, key)
        receiver: state.Account = state.decode_account(found, value)
        if receiver.exists and receiver.nonce == 0 and receiver.balance == 0 and \
                receiver.code_hash == state.EMPTY_CODE_HASH:
            raise "StepVerifier: SELFDESTRUCT to an empty account: not verifiable yet"
        if not receiver.exists and own.balance != 0:
            r = core.charge(r, NEW_ACCOUNT_GAS)
            if r.halting:
                return core.halt(state.lists_read(r, 2, 0))
        if own.balance != 0:
            if not receiver.exists:
                receiver.storage_root = state.BLANK_ROOT
                receiver.code_hash = state.EMPTY_CODE_HASH
            receiver.balance += own.balance
            r.ctx.state_root = state.listed_write(mpt, r, 1, r.ctx.state_root, key,
                                                  state.encode_account(receiver))
            listed = 3
            found, value = state.listed_read(mpt, r, 2, r.ctx.state_root,
                                             state.address_key(me))
            # present: its balance was read from the root before, only the beneficiary changed
            drained: state.Account = state.decode_account(found, value)
            drained.balance = 0
            r.ctx.state_root = state.listed_write(mpt, r, 2, r.ctx.state_root,
                                                  state.address_key(me),
                                                  state.encode_account(drained))
    r = state.lists_read(r, listed, 0)
    if r.frame.depth == 0:
        return core.ended(r, True, core.EMPTY_CELL_ROOT, 0, False)
    return self._returned(r)


@internal
@view
def _returned(r: core.Run) -> bytes32:
    """@notice A STOP-like halt at depth > 0: the caller resumes with 1 pushed, the gas left
            returned and the return data emptied (nothing is written to its memory)."""
    at: uint256 = r.proofs + core.PARENT_AT
    w.need(at + PARENT_BYTES)
    words: Bytes[PARENT_BYTES] = slice(msg.data, w.base() + at, PARENT_BYTES)
    assert keccak256(words) == r.frame.parent_frame, \
        "StepVerifier: the parent frame is not the preimage of parent_frame"
    used: core.Run = r
    used.used = r.used | core.USED_PARENT
    core.finished(used)
    # never a creation's caller: init code runs at an address in the created set (refused)
    parent: machine.Frame = abi_decode(words, machine.Frame)
    resumed: machine.Frame = parent
    resumed.gas = parent.gas + r.gas
    resumed.stack_hash = cells.push(parent.stack_hash, 1)
    resumed.stack_size = parent.stack_size + 1
    resumed.returndata_root = core.EMPTY_CELL_ROOT
    resumed.returndata_size = 0
    return machine.state_hash(core.PHASE_EVM, r.block_h, r.tx_h, machine.context_hash(r.ctx),
                              machine.frame_hash(resumed))
