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
        left; the router never calls this part itself. Not yet (reverting as not verifiable
        yet, never accepted): a creation, a transaction to a precompile, calldata over 24,576
        bytes; code over 24,576 bytes is UnsupportedStep.
"""

import blockio
import state
import txio
import txread
import witness as w

mpt: public(immutable(address))
code_roots: public(immutable(address))

PHASE_EVM: constant(uint256) = 3
CONTEXT_AT: constant(uint256) = 16 * 32
MAX_CODE: constant(uint256) = 24576
MAX_ENTRIES: constant(uint256) = 4096
LAST_PRECOMPILE: constant(uint256) = 17
# docs/fault_proofs.md 1.1: cell_root(b""), the all-zero tree of depth 32
EMPTY_ROOT: constant(bytes32) = 0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757
# proofs fields (txio's order, after the 32 inline siblings)
F_SENDER_VALUE: constant(uint256) = 37
F_RECIPIENT: constant(uint256) = 38
F_CALLEE: constant(uint256) = 39
F_CALLEE_CODE: constant(uint256) = 40
READ_SENDER_VALUE: constant(uint256) = 64
READ_RECIPIENT: constant(uint256) = 128
READ_CALLEE: constant(uint256) = 256
READ_CALLEE_CODE: constant(uint256) = 512
F_DELEGATE: constant(uint256) = 46
F_DELEGATE_CODE: constant(uint256) = 47
READ_DELEGATE: constant(uint256) = 32768
READ_DELEGATE_CODE: constant(uint256) = 65536


@deploy
def __init__(mpt_service: address, code_service: address):
    mpt = mpt_service
    code_roots = code_service


@internal
@view
def _roots(at: uint256, size: uint256) -> (bytes32, bytes32):
    """@notice StepCode.roots of the `size` witness bytes at `at`: (cell_root, cell_root of
            the jump-destination bitmap)."""
    data: Bytes[blockio.MAX_BYTES] = blockio.copy(at, size)
    answer: Bytes[64] = raw_call(code_roots, concat(method_id("roots(bytes)"),
                                                    convert(32, bytes32), convert(size, bytes32),
                                                    data, empty(bytes32)),
                                 max_outsize=64, is_static_call=True)
    return extract32(answer, 0), extract32(answer, 32)


@internal
@view
def _intrinsic(t: txread.TxItems, data_at: uint256, data_size: uint256) -> uint256:
    """@notice py-evm's intrinsic gas of a call (transaction_rules.intrinsic_gas without
            EIP-3860's words): 21,000, 4 per zero and 16 per other calldata byte, 2,400 per
            access-list address and 1,900 per key, 25,000 per authorization."""
    gas: uint256 = 21000
    for k: uint256 in range(MAX_CODE // 32):  # a word read per 32 calldata bytes
        if unsafe_mul(k, 32) >= data_size:
            break
        word: uint256 = blockio.word_padded(data_at + unsafe_mul(k, 32))
        for j: uint256 in range(32):
            if unsafe_add(unsafe_mul(k, 32), j) == data_size:
                break
            if (word >> unsafe_mul(8, unsafe_sub(31, j))) & 255 == 0:
                gas = unsafe_add(gas, 4)
            else:
                gas = unsafe_add(gas, 16)
    list_index: uint256 = 0
    if t.tx_type == 1:
        list_index = 7
    elif t.tx_type == 2 or t.tx_type == 4:
        list_index = 8
    if list_index != 0:
        end: uint256 = t.starts[list_index] + t.sizes[list_index]
        q: uint256 = t.starts[list_index]
        for e: uint256 in range(MAX_ENTRIES):
            if q >= end:
                break
            entry_at: uint256 = 0
            entry_size: uint256 = 0
            entry_list: bool = False
            entry_at, entry_size, entry_list = blockio.rlp_item(q, end)
            q = entry_at + entry_size
            address_at: uint256 = 0
            address_size: uint256 = 0
            address_list: bool = False
            address_at, address_size, address_list = blockio.rlp_item(entry_at, q)
            slots_at: uint256 = 0
            slots_size: uint256 = 0
            slots_list: bool = False
            slots_at, slots_size, slots_list = blockio.rlp_item(address_at + address_size, q)
            gas += 2400 + 1900 * (slots_size // 33)  # each key 32 bytes behind its 0xa0 head
    if t.tx_type == 4:
        end: uint256 = t.starts[9] + t.sizes[9]
        q: uint256 = t.starts[9]
        for e: uint256 in range(MAX_ENTRIES):
            if q >= end:
                break
            entry_at: uint256 = 0
            entry_size: uint256 = 0
            entry_list: bool = False
            entry_at, entry_size, entry_list = blockio.rlp_item(q, end)
            q = entry_at + entry_size
            gas += 25000
    return gas


@internal
@view
def _transfer(proofs: uint256, root: bytes32, sender: uint256, to: uint256,
              amount: uint256) -> bytes32:
    """@notice tx_start._transfer: the sender debited (`sender_value`), then `to` credited
            (`recipient`, absent = the empty account)."""
    field: uint256 = txio.field(proofs, F_SENDER_VALUE)
    payer: state.Account = blockio.account(mpt, field, root, sender, False)
    assert payer.exists, "StepVerifier: the sender is absent after buying gas"
    payer.balance -= amount
    new_root: bytes32 = blockio.trie_write(mpt, field, root, state.address_key(sender),
                                           state.encode_account(payer))
    field = txio.field(proofs, F_RECIPIENT)
    payee: state.Account = blockio.account(mpt, field, new_root, to, False)
    if not payee.exists:
        payee = state.Account(exists=True, nonce=0, balance=0, storage_root=state.BLANK_ROOT,
                              code_hash=state.EMPTY_CODE_HASH)
    payee.balance += amount
    return blockio.trie_write(mpt, field, new_root, state.address_key(to),
                              state.encode_account(payee))


@internal
@view
def _open_frame() -> bytes32:
    block_h: bytes32 = empty(bytes32)
    started: bool = False
    block_h, started = txio.pre_state()
    assert started, "StepVerifier: a transaction not started: routed to the wrong part"
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
        raise "StepVerifier: a creation's frame: not verifiable yet"
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
        raise "StepVerifier: a transaction to a precompile: not verifiable yet"
    new_root: bytes32 = root
    if moved > 0:
        new_root = self._transfer(proofs, root, origin, to, moved)
        read = read | READ_SENDER_VALUE | READ_RECIPIENT
    txio.unread_are_zero(proofs, read)

    if data_size > MAX_CODE:
        raise "StepVerifier: calldata over 24,576 bytes: not verifiable yet"
    code_root: bytes32 = empty(bytes32)
    jumpdests_root: bytes32 = empty(bytes32)
    code_root, jumpdests_root = self._roots(code + 32, code_size)
    data_root: bytes32 = empty(bytes32)
    data_bits: bytes32 = empty(bytes32)
    data_root, data_bits = self._roots(data_at, data_size)
    gas: uint256 = blockio.rlp_uint(t.starts[gas_at], t.sizes[gas_at]) - \
        self._intrinsic(t, data_at, data_size)
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
