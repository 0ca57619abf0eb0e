# pragma version 0.4.3
# pragma optimize codesize
"""
@title Step verifier part: CREATE and CREATE2 (docs/fault_proofs.md 3.9,
       src/ordo/faultproof/creations.py's _create)
@notice Up to the creator's failure checks the service StepCreateCheck decides (asked
        with this part's own calldata: one contract would pass the size limit); then in the
        reference's order the init code read (`memory`, at most 32 cells), all but 1/64 of
        the gas left to the child, the address keccak(rlp([creator, nonce]))[12:] or keccak(0xff ‖ creator ‖ salt ‖
        keccak(init code))[12:], the creator's nonce raised (same `account` proof), the address
        made warm (`accessed`, no charge); the new address's account (`tries[0]`): a nonce or
        code there is a collision (0 pushed, the child's gas not returned), storage without
        either reverts as not verifiable yet (the reference's UnsupportedStep); else the entry
        snapshot, nonce 1 written, the endowment moved (`tries[1]` the creator debited,
        `tries[2]` the new account credited), the address inserted into the created set (next
        `tries`), and the init code's frame opened under the suspended creator
        (returndata_size CREATE_MARK, returndata_root the address), its roots by StepCode.
"""

import cells
import core
import machine
import mem
import state

CREATE_MARK: constant(uint256) = max_value(uint256)
OP_CREATE: constant(uint256) = 240
OP_CREATE2: constant(uint256) = 245
CHECKED: constant(uint256) = 2176  # StepCreateCheck.ANSWER

mpt: public(immutable(address))
code_roots: public(immutable(address))
check: public(immutable(address))


@deploy
def __init__(mpt_service: address, code_service: address, check_service: address):
    mpt = mpt_service
    code_roots = code_service
    check = check_service


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it."""
    # the first half (StepCreateCheck): its answer is a function of this same calldata
    answer: Bytes[CHECKED + 64] = raw_call(check, msg.data, max_outsize=CHECKED + 64,
                                           is_static_call=True)
    read: Bytes[CHECKED] = abi_decode(answer, Bytes[CHECKED])
    if len(read) == 32:
        return extract32(read, 0)  # it halted there, or the creation failed
    r: core.Run = empty(core.Run)
    creator: state.Account = empty(state.Account)
    r, creator = abi_decode(read, (core.Run, state.Account))
    op: uint256 = r.op
    value: uint256 = r.items[0]
    me: uint256 = r.frame.address
    me_key: bytes32 = state.address_key(me)
    p: state.Proof = empty(state.Proof)
    r, p = state.field_proof(r, state.ACCOUNT)
    found: bool = False
    stored: Bytes[state.VALUE_BYTES] = b""
    init_code: Bytes[mem.BUFFER] = b""
    r, init_code = mem.read_memory(r, r.items[1], r.items[2])
    child_gas: uint256 = r.gas - r.gas // 64
    r.gas -= child_gas
    created: uint256 = 0
    if op == OP_CREATE:
        payload: Bytes[54] = concat(b"\x94", slice(convert(me, bytes32), 12, 20),
                                    state.encode_nonce(creator.nonce))
        created = convert(keccak256(concat(slice(convert(192 + len(payload), bytes32), 31, 1),
                                           payload)), uint256) % 2**160
    else:
        created = convert(keccak256(concat(b"\xff", slice(convert(me, bytes32), 12, 20),
                                           convert(r.items[3], bytes32),
                                           keccak256(init_code))), uint256) % 2**160
    bumped: state.Account = creator
    bumped.nonce = creator.nonce + 1
    r.ctx.state_root = state.write_at(mpt, p, r.ctx.state_root, me_key,
                                      state.encode_account(bumped))
    key: bytes32 = state.address_key(created)
    r, p = state.field_proof(r, state.ACCESSED)
    found, stored = state.read_at(mpt, p, r.ctx.accessed_root, key)
    if not found:
        r.ctx.accessed_root = state.write_at(mpt, p, r.ctx.accessed_root, key, b"\x01")
    found, stored = state.listed_read(mpt, r, 0, r.ctx.state_root, key)
    existing: state.Account = state.decode_account(found, stored)
    if found and (existing.nonce != 0 or existing.code_hash != state.EMPTY_CODE_HASH):
        return self._continued(state.lists_read(r, 1, 0), 0)  # a collision
    if found and existing.storage_root != state.BLANK_ROOT:
        raise "StepVerifier: a creation over an account with storage: not verifiable yet"
    entry: bytes32 = machine.snapshot(r.ctx)
    if not found:
        existing.storage_root = state.BLANK_ROOT
        existing.code_hash = state.EMPTY_CODE_HASH
    existing.nonce = 1
    r.ctx.state_root = state.listed_write(mpt, r, 0, r.ctx.state_root, key,
                                          state.encode_account(existing))
    listed: uint256 = 1
    if value != 0:
        payer: state.Account = state.listed_account(mpt, r, 1, me)
        payer.balance -= value
        r.ctx.state_root = state.listed_write(mpt, r, 1, r.ctx.state_root, me_key,
                                              state.encode_account(payer))
        existing = state.listed_account(mpt, r, 2, created)
        existing.balance += value
        r.ctx.state_root = state.listed_write(mpt, r, 2, r.ctx.state_root, key,
                                              state.encode_account(existing))
        listed = 3
    found, stored = state.listed_read(mpt, r, listed, r.ctx.created_root, key)
    if not found:
        r.ctx.created_root = state.listed_write(mpt, r, listed, r.ctx.created_root, key,
                                                b"\x01")
    r = state.lists_read(r, listed + 1, 0)
    core.finished(r)
    suspended: machine.Frame = core.next_frame(r, r.frame.pc + 1, r.below,
                                               r.frame.stack_size - r.info.reads)
    suspended.returndata_root = convert(created, bytes32)
    suspended.returndata_size = CREATE_MARK
    roots: Bytes[64] = raw_call(code_roots, concat(method_id("roots(bytes)"),
                                                   convert(32, bytes32),
                                                   convert(len(init_code), bytes32), init_code,
                                                   empty(bytes32)),
                                max_outsize=64, is_static_call=True)
    child: machine.Frame = empty(machine.Frame)
    child.parent_frame = machine.frame_hash(suspended)
    child.depth = r.frame.depth + 1
    child.address = created
    child.caller = me
    child.value = value
    child.code_root = extract32(roots, 0)
    child.code_size = len(init_code)
    child.jumpdests_root = extract32(roots, 32)
    child.calldata_root = core.EMPTY_CELL_ROOT
    child.gas = child_gas
    child.memory_root = core.EMPTY_CELL_ROOT
    child.returndata_root = core.EMPTY_CELL_ROOT
    child.entry_snapshot = entry
    return core.commit(r, child)


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
