# pragma version 0.4.3
# pragma optimize codesize
"""
@title A started transaction's frame (phase 2 with a Pending part, past its keys and
       authorizations): a call's depth-0 frame opened
@notice docs/fault_proofs.md 4.2 steps 7-8, as tx_start._open_frame decides it: the
        transaction again (txread.transaction), the callee `to` read against the context's
        state root (`callee`, absent = empty account) with its whole code (`callee_code`,
        checked by its hash), the entry snapshot of that context, the value moved when it is
        not 0 (`sender_value` debited, `recipient` credited), and the frame (0, 0, to, origin,
        value, false, cell_root(code), len(code), cell_root(jumpdest_bitmap(code)),
        cell_root(data), len(data), 0, gas - intrinsic, 0, 0, Z, 0, Z, 0, entry_snapshot) with
        py-evm's intrinsic gas (no EIP-3860 words). A callee whose code is a delegation
        0xef0100 ‖ d runs d's code (one level, as py-evm): d warmed through one `accessed` proof,
        `delegate` and `delegate_code` read against the same root. The roots come from StepCode. StepTxPending
        (no authorization list) and StepTxAuthorize (past the last authorization) forward
        their unchanged calldata here once they have checked that no key or authorization is
        left; the router never calls this part itself. A creation goes on to StepTxCreate
        (the calldata forwarded), a precompile target to StepTxPrecompile. Not yet (reverting as not verifiable
        yet, never accepted): calldata over 24,576
        bytes; code over 24,576 bytes is UnsupportedStep.
"""

import blockio
import state
import txio
import txopen
import txread
import witness as w

mpt: public(immutable(address))
code_roots: public(immutable(address))
create: public(immutable(address))
precompile: public(immutable(address))

PHASE_EVM: constant(uint256) = 3
CONTEXT_AT: constant(uint256) = 16 * 32
MAX_CODE: constant(uint256) = 24576
MAX_ENTRIES: constant(uint256) = 4096
LAST_PRECOMPILE: constant(uint256) = 17
# docs/fault_proofs.md 1.1: cell_root(b""), the all-zero tree of depth 32
EMPTY_ROOT: constant(bytes32) = 0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757
# proofs fields (txio's order, after the 32 inline siblings)
F_CALLEE: constant(uint256) = 39
F_CALLEE_CODE: constant(uint256) = 40
READ_CALLEE: constant(uint256) = 256
READ_CALLEE_CODE: constant(uint256) = 512
F_DELEGATE: constant(uint256) = 46
F_DELEGATE_CODE: constant(uint256) = 47
READ_DELEGATE: constant(uint256) = 32768
READ_DELEGATE_CODE: constant(uint256) = 65536


@deploy
def __init__(mpt_service: address, code_service: address, create_part: address,
             precompile_part: address):
    mpt = mpt_service
    code_roots = code_service
    create = create_part
    precompile = precompile_part


@internal
@view
def _open_frame() -> bytes32:
    block_h: bytes32 = empty(bytes32)
    started: bool = False
    # started: StepTxPending and StepTxAuthorize, the only callers, checked it
    block_h, started = txio.pre_state()
    base: uint256 = w.base()
    proofs: uint256 = w.uint(txio.PROOFS_PTR)
    origin: uint256 = w.uint(352)
    root: bytes32 = w.word(CONTEXT_AT)
    accessed: bytes32 = w.word(CONTEXT_AT + 32)
    refund: uint256 = w.uint(CONTEXT_AT + 128)
    t: txread.TxItems = txread.transaction(proofs, w.uint(416))
    gas_at: uint256 = 2  # legacy: nonce, gas price, gas, to, value, data
    if t.tx_type == 1:
        gas_at = 3
    elif t.tx_type == 2 or t.tx_type == 4:
        gas_at = 4
    if t.sizes[gas_at + 1] != 20:
        # a creation (`to` empty): StepTxCreate's, to the unchanged calldata
        return extract32(raw_call(create, msg.data, max_outsize=32, is_static_call=True), 0)
    to: uint256 = blockio.rlp_uint(t.starts[gas_at + 1], 20)
    moved: uint256 = blockio.rlp_uint(t.starts[gas_at + 2], t.sizes[gas_at + 2])
    data_at: uint256 = t.starts[gas_at + 3]
    data_size: uint256 = t.sizes[gas_at + 3]

    # the callee and its code, against the root before the value moves
    callee: state.Account = blockio.account(mpt, txio.field(proofs, F_CALLEE), root, to, False)
    code: uint256 = txio.field(proofs, F_CALLEE_CODE)
    code_size: uint256 = w.uint(code)
    if not callee.exists:
        callee.code_hash = state.EMPTY_CODE_HASH  # absent: the empty account's code
    assert keccak256(blockio.copy(code + 32, code_size)) == callee.code_hash, \
        "StepVerifier: callee_code does not hash to the account's code hash"
    read: uint256 = txio.READ_BLOCK_INPUTS | txio.READ_RAW_TX | txio.READ_TX_SIBLINGS | \
        READ_CALLEE | READ_CALLEE_CODE
    delegated: bool = code_size == 23 and w.uint(code + 32) >> 232 == 15663360  # 0xef0100
    if delegated:
        # one level, as py-evm: the delegate warmed (`accessed`), its code run (`delegate_code`)
        d: uint256 = w.uint(code + 32 + 3) >> 96
        proofs_list: uint256 = txio.field(proofs, txio.F_ACCESSED)
        s: txread.Warm = txread.warm(mpt, txread.Warm(accessed_root=accessed, key_index=0,
                                                      proof_index=0),
                                     state.address_key(d), 0, 1, proofs_list)
        assert w.uint(proofs_list) == s.proof_index, \
            "StepVerifier: the witness has more accessed-set proofs than the step reads"
        accessed = s.accessed_root
        delegate: state.Account = blockio.account(mpt, txio.field(proofs, F_DELEGATE), root, d,
                                                  False)
        code = txio.field(proofs, F_DELEGATE_CODE)
        code_size = w.uint(code)
        if not delegate.exists:
            delegate.code_hash = state.EMPTY_CODE_HASH
        assert keccak256(blockio.copy(code + 32, code_size)) == delegate.code_hash, \
            "StepVerifier: delegate_code does not hash to the account's code hash"
        delegated = code_size == 23 and w.uint(code + 32) >> 232 == 15663360
        read = read | txio.READ_ACCESSED | READ_DELEGATE | READ_DELEGATE_CODE
    if code_size > MAX_CODE:
        raise "StepVerifier: code over 24,576 bytes: not verifiable"
    snapshot: bytes32 = keccak256(abi_encode(root, accessed, state.BLANK_ROOT, state.BLANK_ROOT,
                                             refund, empty(bytes32), empty(uint256)))
    if to >= 1 and to <= LAST_PRECOMPILE and not delegated:
        return extract32(raw_call(precompile, msg.data, max_outsize=32, is_static_call=True), 0)
    new_root: bytes32 = root
    if moved > 0:
        new_root = txopen.transfer(mpt, proofs, root, origin, to, moved)
        read = read | txopen.READ_SENDER_VALUE | txopen.READ_RECIPIENT
    txio.unread_are_zero(proofs, read)

    if data_size > MAX_CODE:
        raise "StepVerifier: calldata over 24,576 bytes: not verifiable yet"
    code_root: bytes32 = empty(bytes32)
    jumpdests_root: bytes32 = empty(bytes32)
    code_root, jumpdests_root = txopen.roots(code_roots, code + 32, code_size,
                                             method_id("roots(bytes)"))
    data_root: bytes32 = empty(bytes32)
    data_bits: bytes32 = empty(bytes32)  # data has no bitmap
    data_root, data_bits = txopen.roots(code_roots, data_at, data_size,
                                        method_id("cells_root(bytes)"))
    gas: uint256 = blockio.rlp_uint(t.starts[gas_at], t.sizes[gas_at]) - \
        txopen.intrinsic(t, data_at, data_size)
    frame_h: bytes32 = keccak256(abi_encode(
        empty(bytes32), empty(uint256), convert(to, address), convert(origin, address), moved,
        False, code_root, code_size, jumpdests_root, data_root, data_size, empty(uint256), gas,
        empty(bytes32), empty(uint256), EMPTY_ROOT, empty(uint256), EMPTY_ROOT,
        empty(uint256), snapshot))
    context_h: bytes32 = keccak256(concat(new_root, accessed,
                                          slice(msg.data, base + CONTEXT_AT + 64, 224)))
    return keccak256(abi_encode(PHASE_EVM, block_h, keccak256(slice(msg.data, base + 352, 160)),
                                context_h, frame_h))


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for a started transaction
            whose frame opens."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == txio.PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    return self._open_frame()
