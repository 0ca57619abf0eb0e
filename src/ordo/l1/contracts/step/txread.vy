# pragma version 0.4.3
"""
@title A started transaction read again, for the parts of its sub-steps (docs/fault_proofs.md 4.2)
@notice block_inputs by the block's inputs_hash (checked(): eight words, or nine with a
        non-zero L1 fee word), raw_tx as leaf tx_index of its txs_root (over
        49,152 bytes: not verifiable yet), then its top-level RLP items; the transaction decoded
        when it started, so its fields are read, not decoded again (as StepTxEndState reads
        them). Also the walk's insertion into the accessed set and the started post-state.
"""

import blockio
import cells
import state
import txio
import witness as w

MAX_TX_BYTES: constant(uint256) = 49152
PHASE_TX_START: constant(uint256) = 2
CONTEXT_AT: constant(uint256) = 16 * 32


struct TxItems:
    tx_type: uint256  # 0 for a legacy transaction
    starts: uint256[13]
    sizes: uint256[13]


struct Warm:
    accessed_root: bytes32
    key_index: uint256  # the index of the next key the walk meets
    proof_index: uint256  # the next `accessed` proof of the witness


@internal
@view
def checked(proofs: uint256) -> uint256:
    """@notice block_inputs by the block's inputs_hash (blockio.fee_word: eight words, or nine
            with a non-zero L1 fee word, as block_parts.decode_block_inputs): its offset."""
    inputs: uint256 = txio.field(proofs, txio.F_BLOCK_INPUTS)
    blockio.fee_word(inputs, w.word(288))
    return inputs


@internal
@view
def transaction(proofs: uint256, index: uint256) -> TxItems:
    """@notice The block's transaction at `index`, proved, as its top-level RLP items."""
    base: uint256 = w.base()
    # the transaction again, proved against the block's list (block_steps._transaction)
    # block_inputs only read here: checked() (above) by StepTxPending, the part every started
    # state's calldata enters (StepTxAuthorize, StepTxFrame, StepTxCreate and StepTxPrecompile
    # get it unchanged from there), or by StepTxOwn in proved() for the witness head it hands
    # StepTxFrame; StepTxFrame has no room for the check under the size limit
    inputs: uint256 = txio.field(proofs, txio.F_BLOCK_INPUTS)
    w.need(inputs + 32 + 256)
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
    return TxItems(tx_type=tx_type, starts=starts, sizes=sizes)


@internal
@view
def proved(proofs: uint256, index: uint256) -> (uint256, uint256, uint256):
    """@notice The block's transaction at `index` proved against the block's list
            (block_steps._transaction): (tx_count, the witness offset of raw_tx's bytes, their
            size), for StepTxOwn, which decodes them itself. transaction() above repeats these
            lines rather than call this: the call costs StepTxFrame about 100 bytes it does
            not have under the size limit."""
    base: uint256 = w.base()
    inputs: uint256 = self.checked(proofs)
    tx_count: uint256 = w.uint(inputs + 32 + 7 * 32)
    assert index < tx_count, "StepVerifier: no transaction at this index"
    raw: uint256 = txio.field(proofs, txio.F_RAW_TX)
    raw_size: uint256 = w.uint(raw)
    raw_bytes: Bytes[blockio.MAX_BYTES] = blockio.copy(raw + 32, raw_size)
    w.need(proofs + 64 + 32 * 32)
    assert cells.root_at(index, keccak256(raw_bytes), base + proofs + 64) \
        == w.word(inputs + 32 + 6 * 32), \
        "StepVerifier: raw_tx is not the block's transaction at this index"
    if raw_size > MAX_TX_BYTES:
        raise "StepVerifier: a transaction over 49,152 bytes: not verifiable yet"
    return tx_count, raw + 32, raw_size


@internal
@view
def warm(mpt: address, w_: Warm, key: bytes32, first: uint256, end: uint256, proofs_list: uint256) -> Warm:
    """@notice Key number `w_.key_index` of the walk: inserted when it is in [first, end)."""
    out: Warm = w_
    if w_.key_index >= first and w_.key_index < end:
        count: uint256 = w.uint(proofs_list)
        assert w_.proof_index < count, "StepVerifier: the witness has too few accessed-set proofs"
        field: uint256 = proofs_list + 32 + w.uint(proofs_list + 32 + 32 * w_.proof_index)
        # the read and the write share one proof, and Mpt.write walks and checks it as a read
        # does (1.3.1), so the write alone decides: half the gas of a read and a write
        blockio.no_extra(field)
        out.accessed_root = blockio.trie_write(mpt, field, w_.accessed_root, key, b"\x01")
        out.proof_index += 1
    out.key_index += 1
    return out


@internal
@view
def post(block_h: bytes32, root: bytes32, accessed_root: bytes32, refund: uint256,
          next_key: uint256, next_authorization: uint256) -> bytes32:
    """@notice The started state with the context's state root, accessed root and refund
            replaced and Pending(next_key, next_authorization)."""
    base: uint256 = w.base()
    context_h: bytes32 = keccak256(concat(root, accessed_root,
                                          slice(msg.data, base + CONTEXT_AT + 64, 64),
                                          convert(refund, bytes32),
                                          slice(msg.data, base + CONTEXT_AT + 160, 128)))
    return keccak256(abi_encode(PHASE_TX_START, block_h,
                                keccak256(slice(msg.data, base + 352, 160)), context_h,
                                keccak256(abi_encode(next_key, next_authorization))))


