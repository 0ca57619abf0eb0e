# pragma version 0.4.3
# pragma optimize codesize
"""
@title Step verifier part: CALL, CALLCODE, DELEGATECALL, STATICCALL (docs/fault_proofs.md 3.8,
       src/ordo/faultproof/frames.py's _call)
@notice In the reference's order: a value in a static CALL halts; the memory of both ranges is
        charged and the call data read (`memory`, at most 32 cells); the code source made warm
        (`accessed`, 100 / 2,600) and read (`account`) with its whole code (`ext_code`, by its
        code hash); an EIP-7702 designator there is followed (the delegate warmed by
        `tries[0]`, read by `tries[1]`, its code the rest of `ext_code`, 100 / 2,600 more); a
        CALL or STATICCALL to an empty account present in the state reverts as not verifiable
        yet (the reference's UnsupportedStep); the value and new-account costs (9,000, 25,000),
        EIP-150's 63/64 and the stipend; the caller's account (next `tries`) when value moves;
        an insufficient balance or depth 1024 fails with 0 pushed and the child's gas back; a
        precompile callee (0x01-0x11) runs in this step through StepPrecompile (success: the
        value moved, the gas left back, the output the return data and written into the
        caller's memory by `caller_memory`, 1 pushed; failure: 0, the child's gas used);
        otherwise the child frame opens: the entry snapshot, the value moved (the caller
        debited, the recipient credited by the next `tries`), the suspended caller hashed into
        `parent_frame`, the code's and bitmap's roots by StepCode, the call data's root.
"""

import blockio
import cells
import core
import machine
import mem
import state
import witness as w

CALL_VALUE_GAS: constant(uint256) = 9000
NEW_ACCOUNT_GAS: constant(uint256) = 25000
CALL_STIPEND: constant(uint256) = 2300
WARM_ACCESS: constant(uint256) = 100
COLD_ACCOUNT_ACCESS: constant(uint256) = 2600
MAX_CALL_DEPTH: constant(uint256) = 1024
MAX_CODE: constant(uint256) = 24576
DESIGNATOR: constant(uint256) = 23  # 0xef0100 ‖ delegate
DELEGATION_PREFIX: constant(uint256) = 15663360  # 0xef0100
OP_CALL: constant(uint256) = 241
OP_CALLCODE: constant(uint256) = 242
OP_DELEGATECALL: constant(uint256) = 244
OP_STATICCALL: constant(uint256) = 250
LAST_PRECOMPILE: constant(uint256) = 17
PRECOMPILE_OUTPUT: constant(uint256) = 1024
CHECKED: constant(uint256) = 3328  # StepCallCheck.ANSWER

mpt: public(immutable(address))
code_roots: public(immutable(address))
precompiles: public(immutable(address))
check: public(immutable(address))


struct Callee:
    at: uint256  # witness offset of the code that runs
    size: uint256
    listed: uint256  # tries read so far


@deploy
def __init__(mpt_service: address, code_service: address, precompile_service: address,
             check_service: address):
    mpt = mpt_service
    code_roots = code_service
    precompiles = precompile_service
    check = check_service


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it."""
    # the first half (StepCallCheck): its answer is a function of this same calldata
    answer: Bytes[CHECKED + 64] = raw_call(check, msg.data, max_outsize=CHECKED + 64,
                                           is_static_call=True)
    read: Bytes[CHECKED] = abi_decode(answer, Bytes[CHECKED])
    if len(read) == 32:
        return extract32(read, 0)  # it halted there
    r: core.Run = empty(core.Run)
    account: state.Account = empty(state.Account)
    data: Bytes[mem.BUFFER] = b""
    r, account, data = abi_decode(read, (core.Run, state.Account, Bytes[mem.BUFFER]))
    op: uint256 = r.op
    transfers: bool = op == OP_CALL or op == OP_CALLCODE
    gas_arg: uint256 = r.items[0]
    source: uint256 = r.items[1] % 2**160
    value: uint256 = 0
    if transfers:
        value = r.items[2]
    elif op == OP_DELEGATECALL:
        value = r.frame.value
    out_offset: uint256 = r.items[r.info.reads - 2]
    out_size: uint256 = r.items[r.info.reads - 1]
    moves: bool = transfers and value != 0
    callee: Callee = empty(Callee)
    r, callee = self._callee_code(r, account)
    if r.halting:
        return core.halt(state.lists_read(r, callee.listed, 0))
    if (op == OP_CALL or op == OP_STATICCALL) and account.exists and account.nonce == 0 and \
            account.balance == 0 and account.code_hash == state.EMPTY_CODE_HASH:
        raise "StepVerifier: a call to an empty account present in the state: not verifiable yet"
    extra: uint256 = 0
    if moves:
        extra = CALL_VALUE_GAS
        if op == OP_CALL and (not account.exists or (account.nonce == 0 and
                                                     account.balance == 0 and
                                                     account.code_hash == state.EMPTY_CODE_HASH)):
            extra += NEW_ACCOUNT_GAS
    if r.gas < extra:
        r.halting = True
        return core.halt(state.lists_read(r, callee.listed, 0))
    left: uint256 = r.gas - extra
    child_gas: uint256 = min(gas_arg, left - left // 64)
    r.gas -= child_gas + extra
    if moves:
        child_gas += CALL_STIPEND
    sender: uint256 = r.frame.address
    if op == OP_DELEGATECALL:
        sender = r.frame.caller
    recipient: uint256 = r.frame.address
    if op == OP_CALL or op == OP_STATICCALL:
        recipient = source
    payer: state.Account = empty(state.Account)
    if moves:
        payer = state.listed_account(mpt, r, callee.listed, r.frame.address)
        callee.listed += 1
    if (moves and (not payer.exists or payer.balance < value)) or \
            r.frame.depth + 1 > MAX_CALL_DEPTH:
        r.gas += child_gas
        return self._continued(state.lists_read(r, callee.listed, 0), 0, core.EMPTY_CELL_ROOT,
                               0)
    if source >= 1 and source <= LAST_PRECOMPILE:
        return self._precompile(r, source, data, child_gas, moves, payer, callee.listed,
                                recipient, value, out_offset, out_size)
    entry: bytes32 = machine.snapshot(r.ctx)
    if moves:
        r.ctx.state_root = self._transfer(r, callee.listed - 1, payer, recipient, value)
        if recipient != r.frame.address:
            callee.listed += 1
    r = state.lists_read(r, callee.listed, 0)
    core.finished(r)
    suspended: machine.Frame = core.next_frame(r, r.frame.pc + 1, r.below,
                                               r.frame.stack_size - r.info.reads)
    suspended.returndata_root = convert(out_offset, bytes32)
    suspended.returndata_size = out_size
    child: machine.Frame = empty(machine.Frame)
    child.parent_frame = machine.frame_hash(suspended)
    child.depth = r.frame.depth + 1
    child.address = recipient
    child.caller = sender
    child.value = value
    child.is_static = r.frame.is_static
    if op == OP_STATICCALL:
        child.is_static = 1
    roots: Bytes[64] = raw_call(code_roots, concat(method_id("roots(bytes)"),
                                                   convert(32, bytes32),
                                                   convert(callee.size, bytes32),
                                                   blockio.copy(callee.at, callee.size),
                                                   empty(bytes32)),
                                max_outsize=64, is_static_call=True)
    child.code_root = extract32(roots, 0)
    child.jumpdests_root = extract32(roots, 32)
    child.code_size = callee.size
    child.calldata_root = mem.output_root(data)
    child.calldata_size = len(data)
    child.gas = child_gas
    child.memory_root = core.EMPTY_CELL_ROOT
    child.returndata_root = core.EMPTY_CELL_ROOT
    child.entry_snapshot = entry
    return core.commit(r, child)


@internal
@view
def _callee_code(r: core.Run, account: state.Account) -> (core.Run, Callee):
    """@notice frames._callee_code: the code the call runs, from `ext_code` checked by the code
            source's code hash; through an EIP-7702 designator the delegate's (warmed and
            charged; `tries[0]` and `tries[1]`). `halting` when that charge cannot be paid."""
    result: core.Run = r
    result.used = r.used | core.USED_EXT_CODE
    at: uint256 = r.proofs + w.uint(r.proofs + core.EXT_CODE_PTR)
    size: uint256 = w.uint(at)
    assert size <= MAX_CODE + DESIGNATOR, "StepVerifier: ext_code over 24,599 bytes"
    w.need(at + 32 + (size + 31) // 32 * 32)
    expected: bytes32 = state.EMPTY_CODE_HASH
    if account.exists:
        expected = account.code_hash
    head: bytes32 = empty(bytes32)
    if size >= DESIGNATOR:
        head = w.word(at + 32)
    if size >= DESIGNATOR and convert(head, uint256) >> 232 == DELEGATION_PREFIX and \
            keccak256(slice(head, 0, DESIGNATOR)) == expected:
        delegate: uint256 = (convert(head, uint256) >> 72) % 2**160
        key: bytes32 = state.address_key(delegate)
        found: bool = False
        ignored: Bytes[state.VALUE_BYTES] = b""
        found, ignored = state.listed_read(mpt, result, 0, result.ctx.accessed_root, key)
        target: state.Account = state.listed_account(mpt, result, 1, delegate)
        code_hash: bytes32 = state.EMPTY_CODE_HASH
        if target.exists:
            code_hash = target.code_hash
        assert keccak256(blockio.copy(at + 32 + DESIGNATOR, size - DESIGNATOR)) == code_hash, \
            "StepVerifier: ext_code's delegated code does not hash to the delegate's code hash"
        if found:
            result = core.charge(result, WARM_ACCESS)
        else:
            result = core.charge(result, COLD_ACCOUNT_ACCESS)
        if not result.halting and not found:
            result.ctx.accessed_root = state.listed_write(mpt, result, 0,
                                                          result.ctx.accessed_root, key, b"\x01")
        return result, Callee(at=at + 32 + DESIGNATOR, size=size - DESIGNATOR, listed=2)
    assert size <= MAX_CODE, "StepVerifier: ext_code over 24,576 bytes"
    assert keccak256(blockio.copy(at + 32, size)) == expected, \
        "StepVerifier: ext_code does not hash to the account's code hash"
    return result, Callee(at=at + 32, size=size, listed=0)


@internal
@view
def _transfer(r: core.Run, k: uint256, payer: state.Account, recipient: uint256,
              amount: uint256) -> bytes32:
    """@notice frames._transfer: the caller (read by `tries[k]`) debited, the recipient
            (`tries[k + 1]`, against the root after the debit, absent = empty) credited;
            nothing when the recipient is the caller."""
    me: uint256 = r.frame.address
    if recipient == me:
        return r.ctx.state_root
    debited: state.Account = payer
    debited.balance -= amount
    root: bytes32 = state.listed_write(mpt, r, k, r.ctx.state_root, state.address_key(me),
                                       state.encode_account(debited))
    found: bool = False
    stored: Bytes[state.VALUE_BYTES] = b""
    key: bytes32 = state.address_key(recipient)
    found, stored = state.listed_read(mpt, r, k + 1, root, key)
    credited: state.Account = state.decode_account(found, stored)
    if not found:
        credited.storage_root = state.BLANK_ROOT
        credited.code_hash = state.EMPTY_CODE_HASH
    credited.balance += amount
    return state.listed_write(mpt, r, k + 1, root, key, state.encode_account(credited))


@internal
@view
def _precompile(r: core.Run, source: uint256, data: Bytes[mem.BUFFER], child_gas: uint256,
                moves: bool, payer: state.Account, listed: uint256, recipient: uint256,
                amount: uint256, out_offset: uint256, out_size: uint256) -> bytes32:
    """@notice frames._precompile: StepPrecompile's run on the call data with the child's gas;
            the value moves only on success, a failure uses the child's gas."""
    answer: Bytes[PRECOMPILE_OUTPUT + 128] = raw_call(precompiles, concat(
        method_id("run_output(uint256,uint256,bytes)"), convert(source, bytes32),
        convert(child_gas, bytes32), convert(96, bytes32), convert(len(data), bytes32), data,
        empty(bytes32)), max_outsize=PRECOMPILE_OUTPUT + 128, is_static_call=True)
    ok: bool = False
    gas_left: uint256 = 0
    output: Bytes[PRECOMPILE_OUTPUT] = b""
    ok, gas_left, output = abi_decode(answer, (bool, uint256, Bytes[PRECOMPILE_OUTPUT]))
    if not ok:
        return self._continued(state.lists_read(r, listed, 0), 0, core.EMPTY_CELL_ROOT, 0)
    result: core.Run = r
    count: uint256 = listed
    if moves:
        result.ctx.state_root = self._transfer(r, listed - 1, payer, recipient, amount)
        if recipient != r.frame.address:
            count += 1
    result.gas += gas_left
    written: uint256 = 0
    result.memory_root, written = mem.write_caller(result, result.memory_root, out_offset,
                                                   slice(output, 0, min(out_size, len(output))))
    return self._continued(state.lists_read(result, count, written), 1,
                           mem.output_root(output), len(output))


@internal
@view
def _continued(r: core.Run, flag: uint256, returndata_root: bytes32,
               returndata_size: uint256) -> bytes32:
    """@notice The caller continues at pc + 1 with `flag` pushed and its return data replaced
            (a failed call, a precompile's run)."""
    core.finished(r)
    f: machine.Frame = core.next_frame(r, r.frame.pc + 1, cells.push(r.below, flag),
                                       r.frame.stack_size - r.info.reads + 1)
    f.returndata_root = returndata_root
    f.returndata_size = returndata_size
    return core.commit(r, f)
