# pragma version 0.4.3
"""
@title Step verifier part: storage and transient storage (SLOAD, SSTORE, TLOAD, TSTORE)
@notice Called by StepRouter with the router's own calldata (any selector reaches
        __default__); checks everything itself. Gas per Prague: EIP-2929 cold/warm slots,
        EIP-2200 net metering with EIP-3529 refunds, the original value read against the
        transaction's start state, the 2,300-gas stipend rule; the order of reads and checks is
        step.py's (3.1), so a halting step carries exactly the fields read before it halts.
"""

import core
import state

WARM_ACCESS: constant(uint256) = 100
COLD_SLOAD: constant(uint256) = 2100
SSTORE_SET: constant(uint256) = 20000
SSTORE_RESET: constant(uint256) = 2900
SSTORE_CLEARS_REFUND: constant(uint256) = 4800
SSTORE_STIPEND: constant(uint256) = 2300


mpt: public(immutable(address))


@deploy
def __init__(mpt_service: address):
    mpt = mpt_service


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it."""
    r: core.Run = core.start()
    if r.halting:
        return core.halt(r)
    op: uint256 = r.op
    slot: uint256 = r.items[0]
    key: bytes32 = state.slot_key(r.frame.address, slot)
    found: bool = False
    value: bytes32 = empty(bytes32)
    if op == 84:  # SLOAD
        warm: bool = False
        r, warm = state.access(r, mpt, key)
        cost: uint256 = COLD_SLOAD
        if warm:
            cost = WARM_ACCESS
        r = core.charge(r, cost)
        if r.halting:
            return core.halt(r)
        if not warm:
            r = state.mark_warm(r, mpt, key)
        account: state.Account = empty(state.Account)
        r, account = state.account(r, mpt, r.frame.address)
        loaded: uint256 = 0
        r, loaded = self._storage(r, account, slot)
        return core.done(r, [loaded])
    if op == 85:
        return self._sstore(r, key)
    stored: Bytes[state.VALUE_BYTES] = b""
    if op == 92:  # TLOAD
        r, found, stored = state.read(r, mpt, state.TRANSIENT_SET, r.ctx.transient_root, key, False)
        return core.done(r, [state.decode_word(found, stored)])
    if op == 93:  # TSTORE
        new: uint256 = r.items[1]
        r, found, stored = state.read(r, mpt, state.TRANSIENT_SET, r.ctx.transient_root, key, new == 0)
        if state.decode_word(found, stored) != new:
            r.ctx.transient_root = state.write(r, mpt, state.TRANSIENT_SET, r.ctx.transient_root, key,
                                               state.encode_word(new))
        return core.done(r, [])
    raise "StepVerifier: opcode routed to the wrong part"


@internal
@view
def _storage(r: core.Run, account: state.Account, slot: uint256) -> (core.Run, uint256):
    """@notice SLOAD's read: the slot of the account (the empty trie for an absent one)."""
    root: bytes32 = state.BLANK_ROOT
    if account.exists:
        root = account.storage_root
    found: bool = False
    stored: Bytes[state.VALUE_BYTES] = b""
    run: core.Run = r
    run, found, stored = state.read(r, mpt, state.STORAGE, root, keccak256(convert(slot, bytes32)),
                                    False)
    return run, state.decode_word(found, stored)


@internal
@view
def _sstore(run: core.Run, key: bytes32) -> bytes32:
    r: core.Run = run
    slot: uint256 = r.items[0]
    new: uint256 = r.items[1]
    if r.gas <= SSTORE_STIPEND:
        return core.halt(r)
    warm: bool = False
    r, warm = state.access(r, mpt, key)
    account: state.Account = empty(state.Account)
    r, account = state.account(r, mpt, r.frame.address)
    if not account.exists:
        raise "StepVerifier: SSTORE to an account absent from the state: not verifiable yet"
    slot_key: bytes32 = keccak256(convert(slot, bytes32))
    found: bool = False
    stored: Bytes[state.VALUE_BYTES] = b""
    r, found, stored = state.read(r, mpt, state.STORAGE, account.storage_root, slot_key, new == 0)
    current: uint256 = state.decode_word(found, stored)
    r, found, stored = state.read(r, mpt, state.ORIGINAL_ACCOUNT, core.tx().tx_start_state_root,
                                  state.address_key(r.frame.address), False)
    original_account: state.Account = state.decode_account(found, stored)
    original_root: bytes32 = state.BLANK_ROOT
    if original_account.exists:
        original_root = original_account.storage_root
    r, found, stored = state.read(r, mpt, state.ORIGINAL_STORAGE, original_root, slot_key, False)
    original: uint256 = state.decode_word(found, stored)
    # EIP-2200 net metering, EIP-2929's cold surcharge, EIP-3529's refunds (gas.sstore_charge)
    cost: uint256 = 0
    refund_up: uint256 = 0
    refund_down: uint256 = 0
    if not warm:
        cost = COLD_SLOAD
    if current == new:
        cost += WARM_ACCESS
    elif original == current:
        if original == 0:
            cost += SSTORE_SET
        else:
            cost += SSTORE_RESET
            if new == 0:
                refund_up += SSTORE_CLEARS_REFUND
    else:
        cost += WARM_ACCESS
        if original != 0:
            if current == 0:
                refund_down += SSTORE_CLEARS_REFUND
            elif new == 0:
                refund_up += SSTORE_CLEARS_REFUND
        if original == new:
            if original == 0:
                refund_up += SSTORE_SET - WARM_ACCESS
            else:
                refund_up += SSTORE_RESET - WARM_ACCESS
    r = core.charge(r, cost)
    if r.halting:
        return core.halt(r)
    assert r.ctx.refund + refund_up >= refund_down, \
        "StepVerifier: the refund counter would go below zero"
    r.ctx.refund = r.ctx.refund + refund_up - refund_down
    if not warm:
        r = state.mark_warm(r, mpt, key)
    if new != current:
        account.storage_root = state.write(r, mpt, state.STORAGE, account.storage_root, slot_key,
                                           state.encode_word(new))
        r.ctx.state_root = state.write(r, mpt, state.ACCOUNT, r.ctx.state_root,
                                       state.address_key(r.frame.address),
                                       state.encode_account(account))
    return core.done(r, [])
