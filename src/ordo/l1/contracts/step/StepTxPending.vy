# pragma version 0.4.3
"""
@title A started transaction's sub-steps (phase 2 with a Pending part): warm keys and
       EIP-7702 authorizations
@notice docs/fault_proofs.md 4.2, as tx_start.tx_start decides a started state: the
        transaction again (block_inputs by the block's inputs_hash, raw_tx as leaf tx_index
        of its txs_root), its warm keys (sender, recipient or the created address, coinbase,
        then each access-list address and its storage keys) and, while keys are left, the next
        32 of them inserted into the accessed set, one `accessed` proof each (read, then
        written with 0x01 through the same proof); the post-state is the same transaction,
        Pending(next_key + inserted, next_authorization). StepTxStart forwards started states
        here with its calldata. After the keys, an EIP-7702 transaction's authorizations are
        StepTxAuthorize's (this part forwards its calldata there); without authorizations, the
        frame a started transaction opens after its keys is StepTxFrame's (forwarded there
        too). The transaction decoded
        at its start, so it is read for its fields only (as StepTxEndState reads it).
"""

import blockio
import state
import txio
import txread
import witness as w

mpt: public(immutable(address))
authorize: public(immutable(address))
frame: public(immutable(address))

PHASE_TX_START: constant(uint256) = 2
CONTEXT_AT: constant(uint256) = 16 * 32
WARM_KEYS_PER_STEP: constant(uint256) = 32
MAX_ENTRIES: constant(uint256) = 4096


@deploy
def __init__(mpt_service: address, authorize_part: address, frame_part: address):
    mpt = mpt_service
    authorize = authorize_part
    frame = frame_part


@internal
@view
def _forward(target: address) -> bytes32:
    """@notice The authorization or frame part's answer to the unchanged calldata."""
    result: Bytes[32] = raw_call(target, msg.data, max_outsize=32, is_static_call=True)
    assert len(result) == 32, "StepVerifier: a part returned no commitment"
    return convert(result, bytes32)


@internal
@view
def _tx_pending() -> bytes32:
    block_h: bytes32 = empty(bytes32)
    started: bool = False
    block_h, started = txio.pre_state()
    assert started, "StepVerifier: a transaction not started: routed to the wrong part"
    base: uint256 = w.base()
    proofs: uint256 = w.uint(txio.PROOFS_PTR)
    coinbase: uint256 = w.uint(96)
    origin: uint256 = w.uint(352)
    index: uint256 = w.uint(416)
    next_key: uint256 = w.uint(txio.PENDING_AT + 32)
    next_authorization: uint256 = w.uint(txio.PENDING_AT + 64)

    txread.checked(proofs)  # for this part and the ones it forwards to (txread.transaction)
    t: txread.TxItems = txread.transaction(proofs, index)
    tx_type: uint256 = t.tx_type
    starts: uint256[13] = t.starts
    sizes: uint256[13] = t.sizes
    nonce_at: uint256 = 0
    to_at: uint256 = 3
    list_index: uint256 = 0  # 0: no access list (legacy)
    if tx_type == 1:
        nonce_at = 1
        to_at = 4
        list_index = 7
    elif tx_type == 2 or tx_type == 4:
        nonce_at = 1
        to_at = 5
        list_index = 8
    # the keys' walk: sender, target, coinbase, then the access list's
    end_key: uint256 = next_key + WARM_KEYS_PER_STEP
    proofs_list: uint256 = txio.field(proofs, txio.F_ACCESSED)
    s: txread.Warm = txread.Warm(accessed_root=w.word(CONTEXT_AT + 32), key_index=0, proof_index=0)
    target: uint256 = 0
    if sizes[to_at] == 20:
        target = blockio.rlp_uint(starts[to_at], 20)
    else:
        nonce: uint256 = blockio.rlp_uint(starts[nonce_at], sizes[nonce_at])
        sender_item: Bytes[21] = concat(b"\x94", slice(convert(origin, bytes32), 12, 20))
        payload: Bytes[54] = concat(sender_item, state.encode_int(nonce))
        target = convert(keccak256(concat(slice(convert(192 + len(payload), bytes32), 31, 1),
                                          payload)), uint256) % 2**160
    s = txread.warm(mpt, s, state.address_key(origin), next_key, end_key, proofs_list)
    s = txread.warm(mpt, s, state.address_key(target), next_key, end_key, proofs_list)
    s = txread.warm(mpt, s, state.address_key(coinbase), next_key, end_key, proofs_list)
    if list_index != 0:
        entries_end: uint256 = starts[list_index] + sizes[list_index]
        q: uint256 = starts[list_index]
        for e: uint256 in range(MAX_ENTRIES):
            if q >= entries_end or s.key_index >= end_key:
                break
            entry_at: uint256 = 0
            entry_size: uint256 = 0
            entry_list: bool = False
            entry_at, entry_size, entry_list = blockio.rlp_item(q, entries_end)
            q = entry_at + entry_size
            address_at: uint256 = 0
            address_size: uint256 = 0
            address_list: bool = False
            address_at, address_size, address_list = blockio.rlp_item(entry_at, q)
            assert address_size == 20, "StepVerifier: a transaction that is not RLP"
            holder: uint256 = blockio.rlp_uint(address_at, 20)
            s = txread.warm(mpt, s, state.address_key(holder), next_key, end_key, proofs_list)
            slots_at: uint256 = 0
            slots_size: uint256 = 0
            slots_list: bool = False
            slots_at, slots_size, slots_list = blockio.rlp_item(address_at + 20, q)
            r: uint256 = slots_at
            for j: uint256 in range(MAX_ENTRIES):
                if r >= slots_at + slots_size or s.key_index >= end_key:
                    break
                slot_at: uint256 = 0
                slot_size: uint256 = 0
                slot_list: bool = False
                slot_at, slot_size, slot_list = blockio.rlp_item(r, slots_at + slots_size)
                assert slot_size == 32, "StepVerifier: a transaction that is not RLP"
                r = slot_at + 32
                s = txread.warm(mpt, s, state.slot_key(holder, convert(w.word(slot_at), uint256)),
                               next_key, end_key, proofs_list)
    if s.proof_index == 0:
        # no key left at next_key: the next EIP-7702 authorization, or the frame
        if tx_type == 4:
            return self._forward(authorize)
        return self._forward(frame)
    assert w.uint(proofs_list) == s.proof_index, \
        "StepVerifier: the witness has more accessed-set proofs than the step reads"
    txio.unread_are_zero(proofs, txio.READ_BLOCK_INPUTS | txio.READ_RAW_TX |
                         txio.READ_TX_SIBLINGS | txio.READ_ACCESSED)
    return txread.post(block_h, w.word(CONTEXT_AT), s.accessed_root,
                      w.uint(CONTEXT_AT + 128), next_key + s.proof_index, next_authorization)


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for a started transaction."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    return self._tx_pending()
