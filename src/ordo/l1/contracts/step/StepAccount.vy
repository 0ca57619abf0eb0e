# pragma version 0.4.3
"""
@title Step verifier part: other accounts (BALANCE, SELFBALANCE, EXTCODESIZE, EXTCODEHASH,
       EXTCODECOPY)
@notice Called by StepRouter with the router's own calldata (any selector reaches
        __default__); checks everything itself. EIP-2929: the account's key in the accessed set
        decides 100 or 2,600 gas and a cold one is inserted with the same proof; the code of an
        account is the witness's ext_code, checked against the account's code hash.
"""

import core
import mem
import state
import witness as w

WARM_ACCESS: constant(uint256) = 100
COLD_ACCOUNT_ACCESS: constant(uint256) = 2600
COPY_PER_WORD: constant(uint256) = 3
MAX_CODE: constant(uint256) = 24576
CODE_WORDS: constant(uint256) = 768


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
    account: state.Account = empty(state.Account)
    if op == 71:  # SELFBALANCE
        r, account = state.account(r, mpt, r.frame.address)
        return core.done(r, [account.balance])
    holder: uint256 = r.items[0] & (2**160 - 1)
    extra: uint256 = 0
    if op == 60:  # EXTCODECOPY pays its copy and expansion with the access
        size: uint256 = r.items[3]
        cost: uint256 = 0
        grown: uint256 = 0
        cost, grown = mem.expansion(r, r.items[1], size, 0, 0)
        if cost == mem.HUGE or size >= mem.BOUND:
            extra = mem.HUGE
        else:
            extra = COPY_PER_WORD * mem.words(size) + cost
    key: bytes32 = state.address_key(holder)
    warm: bool = False
    r, warm = state.access(r, mpt, key)
    cost: uint256 = COLD_ACCOUNT_ACCESS
    if warm:
        cost = WARM_ACCESS
    if extra == mem.HUGE:
        r.halting = True
    else:
        r = core.charge(r, cost + extra)
    if r.halting:
        return core.halt(r)
    if not warm:
        r = state.mark_warm(r, mpt, key)
    r, account = state.account(r, mpt, holder)
    if op == 49:  # BALANCE
        return core.done(r, [account.balance])
    if op == 63:  # EXTCODEHASH: zero for an absent or empty account (EIP-1052, EIP-161)
        if not account.exists or (account.nonce == 0 and account.balance == 0 and
                                  account.code_hash == state.EMPTY_CODE_HASH):
            return core.done(r, [0])
        return core.done(r, [convert(account.code_hash, uint256)])
    code_at: uint256 = 0
    code_size: uint256 = 0
    r, code_at, code_size = self._code(r, account)
    if op == 59:  # EXTCODESIZE
        return core.done(r, [code_size])
    if op == 60:  # EXTCODECOPY
        dest: uint256 = r.items[1]
        offset: uint256 = r.items[2]
        size: uint256 = r.items[3]
        r.memory_size = mem.grown(r.memory_size, dest, size)
        if size == 0:
            return core.done(r, [])
        mem.cell_span(dest, size)
        r = mem.write_memory(r, dest, self._code_bytes(code_at, code_size, offset, size))
        return core.done(r, [])
    raise "StepVerifier: opcode routed to the wrong part"


@internal
@view
def _code(r: core.Run, account: state.Account) -> (core.Run, uint256, uint256):
    """@notice The witness's ext_code (witness offset of its bytes, and its size), checked to
            hash to the account's code hash (the empty code's for an absent account)."""
    result: core.Run = r
    result.used = r.used | core.USED_EXT_CODE
    at: uint256 = r.proofs + w.uint(r.proofs + core.EXT_CODE_PTR)
    size: uint256 = w.uint(at)
    assert size <= MAX_CODE, "StepVerifier: ext_code over 24,576 bytes"
    w.need(at + 32 + (size + 31) // 32 * 32)
    words: bytes32[CODE_WORDS] = empty(bytes32[CODE_WORDS])
    for k: uint256 in range(CODE_WORDS):
        if 32 * k >= size:
            break
        words[k] = w.word(at + 32 + 32 * k)
    expected: bytes32 = state.EMPTY_CODE_HASH
    if account.exists:
        expected = account.code_hash
    assert keccak256(slice(abi_encode(words), 0, size)) == expected, \
        "StepVerifier: ext_code does not hash to the account's code hash"
    return result, at + 32, size


@internal
@view
def _aligned(code_at: uint256, code_size: uint256, index: uint256) -> uint256:
    """@notice Word `index` of the code (zero past it; the bytes past code_size are masked)."""
    if 32 * index >= code_size:
        return 0
    word: uint256 = convert(w.word(code_at + 32 * index), uint256)
    keep: uint256 = code_size - 32 * index
    if keep < 32:
        word = word >> (8 * (32 - keep)) << (8 * (32 - keep))
    return word


@internal
@view
def _code_bytes(code_at: uint256, code_size: uint256, offset: uint256,
                size: uint256) -> Bytes[mem.BUFFER]:
    """@notice code[offset : offset + size] zero-padded to `size` (at most 1,024 bytes)."""
    got: bytes32[33] = empty(bytes32[33])
    if offset < code_size:
        skew: uint256 = offset % 32
        for k: uint256 in range(33):
            if 32 * k >= size or offset + 32 * k >= code_size:
                break
            index: uint256 = offset // 32 + k
            word: uint256 = self._aligned(code_at, code_size, index) << (8 * skew)
            if skew != 0:
                word = word | (self._aligned(code_at, code_size, index + 1) >> (8 * (32 - skew)))
            got[k] = convert(word, bytes32)
    return slice(mem.join(got), 0, size)
