# pragma version 0.4.3
"""
@title A started transaction's sub-steps (phase 2 with a Pending part): its warm keys
@notice docs/fault_proofs.md 4.2, as tx_start.tx_start decides a started state: the
        transaction again (block_inputs by the block's inputs_hash, raw_tx as leaf tx_index
        of its txs_root), its warm keys (sender, recipient or the created address, coinbase,
        then each access-list address and its storage keys) and, while keys are left, the next
        32 of them inserted into the accessed set, one `accessed` proof each (read, then
        written with 0x01 through the same proof); the post-state is the same transaction,
        Pending(next_key + inserted, next_authorization). StepTxStart forwards started states
        here with its calldata. Not yet: an EIP-7702 authorization and the frame a started
        transaction opens after its keys revert as not verifiable yet. The transaction decoded
        at its start, so it is read for its fields only (as StepTxEndState reads it).
"""

import blockio
import cells
import state
import txio
import witness as w

mpt: public(immutable(address))

PHASE_TX_START: constant(uint256) = 2
CONTEXT_AT: constant(uint256) = 16 * 32
MAX_TX_BYTES: constant(uint256) = 49152
WARM_KEYS_PER_STEP: constant(uint256) = 32
MAX_ENTRIES: constant(uint256) = 4096


struct Warm:
    accessed_root: bytes32
    key_index: uint256  # the index of the next key the walk meets
    proof_index: uint256  # the next `accessed` proof of the witness


@deploy
def __init__(mpt_service: address):
    mpt = mpt_service


@internal
@view
def _warm(w_: Warm, key: bytes32, first: uint256, end: uint256, proofs_list: uint256) -> Warm:
    """@notice Key number `w_.key_index` of the walk: inserted when it is in [first, end)."""
    out: Warm = w_
    if w_.key_index >= first and w_.key_index < end:
        count: uint256 = w.uint(proofs_list)
        assert w_.proof_index < count, "StepVerifier: the witness has too few accessed-set proofs"
        field: uint256 = proofs_list + 32 + w.uint(proofs_list + 32 + 32 * w_.proof_index)
        found: bool = False
        value: Bytes[state.VALUE_BYTES] = b""
        found, value = blockio.trie_read(mpt, field, w_.accessed_root, key, False)
        out.accessed_root = blockio.trie_write(mpt, field, w_.accessed_root, key, b"\x01")
        out.proof_index += 1
    out.key_index += 1
    return out


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

    # the transaction again, proved against the block's list (block_steps._transaction)
    inputs: uint256 = txio.field(proofs, txio.F_BLOCK_INPUTS)
    assert w.uint(inputs) == 256, "StepVerifier: block_inputs is not the block's inputs"
    w.need(inputs + 32 + 256)
    assert keccak256(slice(msg.data, base + inputs + 32, 256)) == w.word(288), \
        "StepVerifier: block_inputs is not the block's inputs"
    assert index < w.uint(inputs + 32 + 7 * 32), "StepVerifier: no transaction at this index"
    raw: uint256 = txio.field(proofs, txio.F_RAW_TX)
    raw_size: uint256 = w.uint(raw)
    raw_bytes: Bytes[blockio.MAX_BYTES] = blockio.copy(raw + 32, raw_size)
    w.need(proofs + 64 + 32 * 32)
    assert cells.root_at(index, keccak256(raw_bytes), base + proofs + 64) \
        == w.word(inputs + 32 + 6 * 32), \
        "StepVerifier: raw_tx is not the block's transaction at this index"
    if raw_size > MAX_TX_BYTES:
        raise "StepVerifier: a transaction over 49,152 bytes: not verifiable yet"

    # its fields: type, nonce, to, the access list (it decoded when it started)
    at: uint256 = raw + 32
    end: uint256 = at + raw_size
    first_byte: uint256 = blockio.byte_at(at)
    tx_type: uint256 = 0
    list_at: uint256 = at
    if first_byte < 192:
        tx_type = first_byte
        list_at = at + 1
    start: uint256 = 0
    length: uint256 = 0
    is_list: bool = False
    start, length, is_list = blockio.rlp_item(list_at, end)
    assert is_list and start + length == end, "StepVerifier: a transaction that is not RLP"
    starts: uint256[13] = empty(uint256[13])
    sizes: uint256[13] = empty(uint256[13])
    p: uint256 = start
    for k: uint256 in range(13):
        if p >= end:
            break
        item_list: bool = False
        starts[k], sizes[k], item_list = blockio.rlp_item(p, end)
        p = starts[k] + sizes[k]
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
    s: Warm = Warm(accessed_root=w.word(CONTEXT_AT + 32), key_index=0, proof_index=0)
    target: uint256 = 0
    if sizes[to_at] == 20:
        target = blockio.rlp_uint(starts[to_at], 20)
    else:
        nonce: uint256 = blockio.rlp_uint(starts[nonce_at], sizes[nonce_at])
        sender_item: Bytes[21] = concat(b"\x94", slice(convert(origin, bytes32), 12, 20))
        payload: Bytes[54] = concat(sender_item, state.encode_int(nonce))
        target = convert(keccak256(concat(slice(convert(192 + len(payload), bytes32), 31, 1),
                                          payload)), uint256) % 2**160
    s = self._warm(s, state.address_key(origin), next_key, end_key, proofs_list)
    s = self._warm(s, state.address_key(target), next_key, end_key, proofs_list)
    s = self._warm(s, state.address_key(coinbase), next_key, end_key, proofs_list)
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
            s = self._warm(s, state.address_key(holder), next_key, end_key, proofs_list)
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
                s = self._warm(s, state.slot_key(holder, convert(w.word(slot_at), uint256)),
                               next_key, end_key, proofs_list)
    if s.proof_index == 0:
        # no key left at next_key: an authorization or the frame comes next
        raise "StepVerifier: a started transaction's authorization or frame: not verifiable yet"
    assert w.uint(proofs_list) == s.proof_index, \
        "StepVerifier: the witness has more accessed-set proofs than the step reads"
    txio.unread_are_zero(proofs, txio.READ_BLOCK_INPUTS | txio.READ_RAW_TX |
                         txio.READ_TX_SIBLINGS | txio.READ_ACCESSED)
    context_h: bytes32 = keccak256(concat(slice(msg.data, base + CONTEXT_AT, 32),
                                          s.accessed_root,
                                          slice(msg.data, base + CONTEXT_AT + 64, 224)))
    return keccak256(abi_encode(PHASE_TX_START, block_h,
                                keccak256(slice(msg.data, base + 352, 160)), context_h,
                                keccak256(abi_encode(next_key + s.proof_index,
                                                     next_authorization))))


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for a started transaction."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    return self._tx_pending()
