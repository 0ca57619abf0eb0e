# pragma version 0.4.3
"""
@title A started EIP-7702 transaction's authorizations, one sub-step each (phase 2)
@notice docs/fault_proofs.md 4.2 step 9, as tx_start._authorize decides it: once every warm
        key is inserted, authorization `next_authorization` is skipped (post Pending(k, j + 1),
        nothing else) unless its chain id is 0 or the chain's, its nonce below 2^64 - 1, its
        s at most n / 2 (py-evm's Authorization.validate) and its signature over keccak(0x05 ‖
        rlp([chain_id, address, nonce])) recovers an authority (L1's ecrecover); then the
        authority is warmed (`accessed`), its account (`authority`) and code
        (`authority_code`, checked by its hash) read, and unless the code is neither empty nor
        a delegation or the nonce differs, the account is written with the delegation's code
        hash (the empty code's for the zero address) and its nonce raised, 12,500 refunded
        when it existed. StepTxPending forwards these steps here with its calldata; this part
        checks the whole witness itself, that no warm key is left included. Past the last
        authorization it forwards the calldata to StepTxFrame, which opens the frame.
"""

import blockio
import state
import txio
import txread
import witness as w

mpt: public(immutable(address))
frame: public(immutable(address))

PHASE_TX_START: constant(uint256) = 2
CONTEXT_AT: constant(uint256) = 16 * 32
MAX_ENTRIES: constant(uint256) = 4096
SECP256K1_N: constant(uint256) = 115792089237316195423570985008687907852837564279074904382605163141518161494337
ECRECOVER: constant(address) = 0x0000000000000000000000000000000000000001
RECOVER_GAS: constant(uint256) = 6000
# L1's ecrecover costs 3,000: the call gets twice that (review finding L1, informational)
AUTHORIZATION_REFUND: constant(uint256) = 12500


@deploy
def __init__(mpt_service: address, frame_part: address):
    mpt = mpt_service
    frame = frame_part


@internal
@view
def _key_count(t: txread.TxItems) -> uint256:
    """@notice How many keys tx_start.warm_keys gives: sender, target, coinbase, then each
            access-list address and its storage keys."""
    count: uint256 = 3
    end: uint256 = t.starts[8] + t.sizes[8]
    q: uint256 = t.starts[8]
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
        count += 1 + slots_size // 33  # each key a 32-byte string behind its 0xa0 head
    return count


@internal
@view
def _authority(list_at: uint256, list_size: uint256, index: uint256) -> (uint256, uint256,
                                                                        uint256, bool):
    """@notice Authorization `index`'s (address, nonce, authority) when it passes py-evm's
            validate and its signature recovers (L1's ecrecover), else skipped (False)."""
    end: uint256 = list_at + list_size
    q: uint256 = list_at
    entry_at: uint256 = 0
    entry_size: uint256 = 0
    entry_list: bool = False
    for e: uint256 in range(MAX_ENTRIES):
        assert q < end, "StepVerifier: no authorization at this index"
        entry_at, entry_size, entry_list = blockio.rlp_item(q, end)
        q = entry_at + entry_size
        if e == index:
            break
    starts: uint256[6] = empty(uint256[6])
    sizes: uint256[6] = empty(uint256[6])
    p: uint256 = entry_at
    for k: uint256 in range(6):
        item_list: bool = False
        starts[k], sizes[k], item_list = blockio.rlp_item(p, q)
        p = starts[k] + sizes[k]
    auth_chain: uint256 = blockio.rlp_uint(starts[0], sizes[0])
    assert sizes[1] == 20, "StepVerifier: a transaction that is not RLP"
    delegate: uint256 = blockio.rlp_uint(starts[1], 20)
    nonce: uint256 = blockio.rlp_uint(starts[2], sizes[2])
    y_parity: uint256 = blockio.rlp_uint(starts[3], sizes[3])
    r: uint256 = blockio.rlp_uint(starts[4], sizes[4])
    s: uint256 = blockio.rlp_uint(starts[5], sizes[5])
    # Authorization.validate: chain id 0 or the chain's, nonce below 2^64 - 1, s <= n / 2
    if auth_chain != 0 and auth_chain != w.uint(224):
        return delegate, nonce, 0, False
    if nonce >= 2**64 - 1 or s > SECP256K1_N // 2 or y_parity > 1:
        return delegate, nonce, 0, False
    # keccak(0x05 ‖ rlp([chain_id, address, nonce])): the three items as the transaction holds them
    triple: uint256 = starts[2] + sizes[2] - entry_at
    digest: bytes32 = keccak256(concat(b"\x05", blockio.length_head(triple, 192),
                                       blockio.small(entry_at, triple)))
    ok: bool = False
    answer: Bytes[32] = b""
    # a bounded call: a failed one (too little gas) reverts, never taken as a bad signature
    # (which succeeds with no output: the authorization is skipped)
    ok, answer = raw_call(ECRECOVER, abi_encode(digest, 27 + y_parity, r, s), max_outsize=32,
                          gas=RECOVER_GAS, is_static_call=True, revert_on_failure=False)
    assert ok, "StepVerifier: L1's ecrecover failed"
    if len(answer) != 32:
        return delegate, nonce, 0, False
    return delegate, nonce, convert(answer, uint256), True


@internal
@view
def _authorize(proofs: uint256, block_h: bytes32, list_at: uint256, list_size: uint256,
               next_key: uint256, index: uint256) -> bytes32:
    """@notice EIP-7702 authorization `index` (tx_start._authorize): skipped unless valid;
            else the authority warmed, and unless its code is another contract's or its nonce
            differs, its code set to the delegation and its nonce raised (12,500 refunded when
            the account existed)."""
    root: bytes32 = w.word(CONTEXT_AT)
    accessed_root: bytes32 = w.word(CONTEXT_AT + 32)
    refund: uint256 = w.uint(CONTEXT_AT + 128)
    read: uint256 = txio.READ_BLOCK_INPUTS | txio.READ_RAW_TX | txio.READ_TX_SIBLINGS
    proofs_list: uint256 = txio.field(proofs, txio.F_ACCESSED)
    delegate: uint256 = 0
    nonce: uint256 = 0
    authority: uint256 = 0
    valid: bool = False
    delegate, nonce, authority, valid = self._authority(list_at, list_size, index)
    warmed: uint256 = 0
    if valid:
        warmed = 1
        read |= txio.READ_ACCESSED | txio.READ_AUTHORITY | txio.READ_AUTHORITY_CODE
        s: txread.Warm = txread.warm(mpt, txread.Warm(accessed_root=accessed_root, key_index=0, proof_index=0),
                             state.address_key(authority), 0, 1, proofs_list)
        accessed_root = s.accessed_root
        field: uint256 = txio.field(proofs, txio.F_AUTHORITY)
        a: state.Account = blockio.account(mpt, field, root, authority, False)
        code_hash: bytes32 = state.EMPTY_CODE_HASH
        if a.exists:
            code_hash = a.code_hash
        code_at: uint256 = txio.field(proofs, txio.F_AUTHORITY_CODE)
        code_size: uint256 = w.uint(code_at)
        assert keccak256(blockio.copy(code_at + 32, code_size)) == code_hash, \
            "StepVerifier: authority_code does not hash to the account's code hash"
        delegation: bool = code_size == 23 and (w.uint(code_at + 32) >> 232) == 15663360
        if (code_size == 0 or delegation) and a.nonce == nonce:
            designation: bytes32 = state.EMPTY_CODE_HASH
            if delegate != 0:
                designation = keccak256(concat(b"\xef\x01\x00",
                                               slice(convert(delegate, bytes32), 12, 20)))
            if a.exists:
                refund += AUTHORIZATION_REFUND
            else:
                a = state.Account(exists=True, nonce=0, balance=0,
                                  storage_root=state.BLANK_ROOT, code_hash=empty(bytes32))
            a.code_hash = designation
            a.nonce += 1
            root = blockio.trie_write(mpt, field, root, state.address_key(authority),
                                      state.encode_account(a))
    assert w.uint(proofs_list) == warmed, \
        "StepVerifier: the witness has more accessed-set proofs than the step reads"
    txio.unread_are_zero(proofs, read)
    return txread.post(block_h, root, accessed_root, refund, next_key, index + 1)


@internal
@view
def _tx_authorize() -> bytes32:
    block_h: bytes32 = empty(bytes32)
    started: bool = False
    block_h, started = txio.pre_state()
    assert started, "StepVerifier: a transaction not started: routed to the wrong part"
    proofs: uint256 = w.uint(txio.PROOFS_PTR)
    next_key: uint256 = w.uint(txio.PENDING_AT + 32)
    next_authorization: uint256 = w.uint(txio.PENDING_AT + 64)
    t: txread.TxItems = txread.transaction(proofs, w.uint(416))
    assert t.tx_type == 4, "StepVerifier: not an EIP-7702 transaction: routed to the wrong part"
    assert next_key >= self._key_count(t), \
        "StepVerifier: warm keys are left: routed to the wrong part"
    # the authorizations' count: past the last, the frame opens
    end: uint256 = t.starts[9] + t.sizes[9]
    q: uint256 = t.starts[9]
    count: uint256 = 0
    for e: uint256 in range(MAX_ENTRIES):
        if q >= end:
            break
        entry_at: uint256 = 0
        entry_size: uint256 = 0
        entry_list: bool = False
        entry_at, entry_size, entry_list = blockio.rlp_item(q, end)
        q = entry_at + entry_size
        count += 1
    if next_authorization >= count:
        # past the last authorization the frame opens: StepTxFrame's, to the same calldata
        result: Bytes[32] = raw_call(frame, msg.data, max_outsize=32, is_static_call=True)
        assert len(result) == 32, "StepVerifier: a part returned no commitment"
        return convert(result, bytes32)
    return self._authorize(proofs, block_h, t.starts[9], t.sizes[9], next_key,
                           next_authorization)


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for an authorization."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    return self._tx_authorize()
