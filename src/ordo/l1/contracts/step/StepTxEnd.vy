# pragma version 0.4.3
"""
@title The transaction-end step (phase 4, docs/fault_proofs.md 4.3)
@notice As block_steps.tx_end decides it: the transaction again (proved against the block's
        transactions list), the gas accounting (EIP-3529 refund cap, EIP-7623 floor), the logs
        (their chain, their bloom), the sender's refund, the coinbase's tip (EIP-161: cleared
        when empty), an empty recipient deleted, the receipt and the raw transaction inserted
        into the block's tries (StepIndexTrie), and the state between transactions. The
        witness is abi.encode(4, Block, Tx, Context, Outcome, proofs) with proofs = (bytes
        block_inputs, bytes raw_tx, bytes32[32] tx_siblings, (address, bytes32[], bytes)[]
        logs, Trie sender, Trie coinbase, Trie recipient, Totals totals, bytes[]
        receipt_proof, bytes[] transaction_proof, bytes output, Snapshot snapshot, Trie
        created). The transaction, the gas and the state are StepTxEndState's (L1's size limit:
        both in one contract are 27 KB), called with this calldata, including a creation's
        code deposit.
"""

import blockio
import state
import witness as w

index_trie: public(immutable(address))
state_part: public(immutable(address))

PHASE_TX_START: constant(uint256) = 2
PHASE_TX_END: constant(uint256) = 4
PHASE_BLOCK_END: constant(uint256) = 5
CONTEXT_AT: constant(uint256) = 16 * 32
OUTCOME_AT: constant(uint256) = 25 * 32
PROOFS_PTR: constant(uint256) = 30 * 32
MAX_RECEIPT_LOGS: constant(uint256) = 48
MAX_LOG_DATA: constant(uint256) = 1024
LOG_WORDS: constant(uint256) = 1856
NO_TYPE: constant(uint256) = 256  # StepTxEndState's answer for a legacy transaction


struct Logs:
    chain: bytes32
    count: uint256
    bloom: uint256[8]
    size: uint256
    words: uint256[LOG_WORDS]


@deploy
def __init__(index_trie_service: address, state_service: address):
    index_trie = index_trie_service
    state_part = state_service


@internal
@view
def _log_data(at: uint256, size: uint256) -> Bytes[MAX_LOG_DATA]:
    words: bytes32[MAX_LOG_DATA // 32] = empty(bytes32[MAX_LOG_DATA // 32])
    w.need(at + size)
    for k: uint256 in range(MAX_LOG_DATA // 32):
        if 32 * k >= size:
            break
        words[k] = convert(blockio.word_padded(at + 32 * k), bytes32)
    return slice(abi_encode(words), 0, size)


@internal
@pure
def _bloom_add(bloom: uint256[8], item_hash: bytes32) -> uint256[8]:
    result: uint256[8] = bloom
    h: uint256 = convert(item_hash, uint256)
    for i: uint256 in [0, 2, 4]:
        bit: uint256 = (h >> (256 - 16 - 8 * i)) & 2047
        result[7 - bit // 256] = result[7 - bit // 256] | (1 << (bit % 256))
    return result


@internal
@view
def _logs(logs_at: uint256) -> Logs:
    """@notice The logs' chain (1.4), their bloom and their RLP list's payload."""
    out: Logs = empty(Logs)
    n: uint256 = w.uint(logs_at)
    assert n <= MAX_RECEIPT_LOGS, "StepVerifier: logs are not the transaction's logs"
    out.count = n
    for i: uint256 in range(MAX_RECEIPT_LOGS):
        if i == n:
            break
        t: uint256 = logs_at + 32 + w.uint(logs_at + 32 + 32 * i)
        emitter: uint256 = w.uint(t)
        assert emitter < 2**160, "StepVerifier: logs are not the transaction's logs"
        topics_at: uint256 = blockio.at(t, 32)
        topic_count: uint256 = w.uint(topics_at)
        assert topic_count <= 4, "StepVerifier: logs are not the transaction's logs"
        data_at: uint256 = blockio.at(t, 64)
        data_size: uint256 = w.uint(data_at)
        assert data_size <= MAX_LOG_DATA, \
            "StepVerifier: log data over 1,024 bytes: not verifiable yet"
        topics: bytes32[4] = empty(bytes32[4])
        address_bytes: Bytes[20] = slice(convert(emitter, bytes32), 12, 20)
        out.bloom = self._bloom_add(out.bloom, keccak256(address_bytes))
        for j: uint256 in range(4):
            if j == topic_count:
                break
            topics[j] = w.word(topics_at + 32 + 32 * j)
            out.bloom = self._bloom_add(out.bloom, keccak256(topics[j]))
        topic_items: Bytes[132] = slice(
            concat(b"\xa0", topics[0], b"\xa0", topics[1], b"\xa0", topics[2], b"\xa0",
                   topics[3]), 0, 33 * topic_count)
        data: Bytes[MAX_LOG_DATA] = self._log_data(data_at + 32, data_size)
        data_item: Bytes[MAX_LOG_DATA + 4] = data
        if not (data_size == 1 and convert(slice(data, 0, 1), uint256) < 128):
            data_item = concat(blockio.length_head(data_size, 128), data)
        topics_list: Bytes[136] = concat(blockio.length_head(33 * topic_count, 192), topic_items)
        payload_size: uint256 = 21 + len(topics_list) + len(data_item)
        entry: Bytes[1300] = concat(blockio.length_head(payload_size, 192), b"\x94",
                                    address_bytes, topics_list, data_item)
        out.chain = keccak256(concat(out.chain, keccak256(entry)))
        # append the entry to the list's payload, word by word at any byte offset
        offset: uint256 = out.size % 32
        base: uint256 = out.size // 32
        padded: Bytes[1332] = concat(entry, empty(bytes32))
        for j: uint256 in range(41):
            if 32 * j >= len(entry):
                break
            v: uint256 = convert(extract32(padded, 32 * j), uint256)
            out.words[base + j] = out.words[base + j] | (v >> (8 * offset))
            if offset > 0:
                out.words[base + j + 1] = out.words[base + j + 1] | (v << (8 * (32 - offset)))
        out.size += len(entry)
    return out


@internal
@view
def _insert(root: bytes32, index: uint256, stored: Bytes[blockio.MAX_BYTES],
            proof_at: uint256) -> bytes32:
    """@notice StepIndexTrie.insert with the witness's bytes[] proof at `proof_at` (its nodes
            must lie one after the other, as the canonical encoding puts them)."""
    count: uint256 = w.uint(proof_at)
    pos: uint256 = proof_at + 32 + 32 * count
    first: uint256 = pos
    for k: uint256 in range(12):
        if k == count:
            break
        assert proof_at + 32 + w.uint(proof_at + 32 + 32 * k) == pos, \
            "StepVerifier: an index-trie proof that is not canonically encoded"
        pos += 32 + (w.uint(pos) + 31) // 32 * 32
    assert count <= 12, "StepVerifier: an index-trie proof of too many nodes"
    pad: uint256 = (32 - len(stored) % 32) % 32
    answer: Bytes[32] = raw_call(
        index_trie,
        concat(method_id("insert(bytes32,uint256,uint256,uint256)"), root,
               convert(index, bytes32), convert(len(stored), bytes32), convert(count, bytes32),
               stored, slice(empty(bytes32), 0, pad), blockio.copy(first, pos - first)),
        max_outsize=32, is_static_call=True)
    return extract32(answer, 0)


@internal
@view
def _tx_end() -> bytes32:
    w.need(PROOFS_PTR + 32)
    base: uint256 = w.base()
    block_h: bytes32 = keccak256(slice(msg.data, base + 32, 320))
    assert keccak256(abi_encode(PHASE_TX_END, block_h, keccak256(slice(msg.data, base + 352, 160)),
                                keccak256(slice(msg.data, base + CONTEXT_AT, 288)),
                                keccak256(slice(msg.data, base + OUTCOME_AT, 160)))) \
        == w.pre_state(), "StepVerifier: the witness is not the pre-state's preimage"
    proofs: uint256 = w.uint(PROOFS_PTR)
    index: uint256 = w.uint(416)
    success: bool = w.uint(OUTCOME_AT) != 0

    # 1, 2 and 4: the transaction, the gas and the state (StepTxEndState reads the same
    # witness from the same calldata and checks what it reads itself)
    answer: Bytes[224] = raw_call(state_part, msg.data, max_outsize=224, is_static_call=True)
    assert len(answer) == 224, "StepVerifier: the state part returned nothing"
    root: bytes32 = extract32(answer, 0)
    counted: uint256 = convert(extract32(answer, 32), uint256)
    tx_type: uint256 = convert(extract32(answer, 64), uint256)
    tx_count: uint256 = convert(extract32(answer, 96), uint256)
    # after a creation's code deposit that failed: no success, the snapshot's logs
    success = convert(extract32(answer, 128), uint256) != 0
    logs_hash: bytes32 = extract32(answer, 160)
    logs_count: uint256 = convert(extract32(answer, 192), uint256)
    raw: uint256 = blockio.at(proofs, 32)
    raw_bytes: Bytes[blockio.MAX_BYTES] = blockio.copy(raw + 32, w.uint(raw))

    # 3. the logs
    if logs_count > MAX_RECEIPT_LOGS:
        raise "StepVerifier: more than 48 logs: not verifiable yet"
    logs: Logs = self._logs(blockio.at(proofs, 1088))
    assert logs.count == logs_count and logs.chain == logs_hash, \
        "StepVerifier: logs are not the transaction's logs"

    # 5. the totals, the receipt and the transaction into the block's tries, the bloom
    cumulative: uint256 = w.uint(CONTEXT_AT + 7 * 32) + counted
    totals: uint256 = blockio.at(proofs, 1216)
    bloom_at: uint256 = blockio.at(totals, 64)
    assert w.uint(bloom_at) == 256, "StepVerifier: a bloom is 256 bytes"
    w.need(bloom_at + 32 + 256)
    forced_next: uint256 = w.uint(totals + 96)
    forced_end: uint256 = w.uint(totals + 128)
    assert forced_next <= forced_end, "StepVerifier: a forced-item cursor out of order"
    assert keccak256(concat(w.word(totals), w.word(totals + 32),
                            slice(msg.data, base + bloom_at + 32, 256),
                            convert(forced_next, bytes32), convert(forced_end, bytes32))) \
        == w.word(CONTEXT_AT + 8 * 32), \
        "StepVerifier: totals is not the preimage of the context's totals_hash"
    bloom: uint256[8] = logs.bloom
    for k: uint256 in range(8):
        bloom[k] = bloom[k] | w.uint(bloom_at + 32 + 32 * k)
    status: Bytes[1] = b"\x80"
    if success:
        status = b"\x01"
    cumulative_item: Bytes[33] = state.encode_int(cumulative)
    logs_payload: Bytes[LOG_WORDS * 32] = slice(abi_encode(logs.words), 0, logs.size)
    logs_head: Bytes[4] = blockio.length_head(logs.size, 192)
    payload_size: uint256 = 1 + len(cumulative_item) + 259 + len(logs_head) + logs.size
    type_byte: Bytes[1] = b""
    if tx_type != NO_TYPE:
        type_byte = slice(convert(tx_type, bytes32), 31, 1)
    receipt: Bytes[62000] = concat(type_byte, blockio.length_head(payload_size, 192), status,
                                   cumulative_item, b"\xb9\x01\x00", abi_encode(logs.bloom),
                                   logs_head, logs_payload)
    receipts_root: bytes32 = self._insert(w.word(totals), index, receipt,
                                          blockio.at(proofs, 1248))
    transactions_root: bytes32 = self._insert(w.word(totals + 32), index,
                                              raw_bytes,
                                              blockio.at(proofs, 1280))

    # 6. the state between transactions (or block end after the last)
    new_totals: bytes32 = keccak256(concat(receipts_root, transactions_root, abi_encode(bloom),
                                           convert(forced_next, bytes32),
                                           convert(forced_end, bytes32)))
    context_h: bytes32 = keccak256(abi_encode(
        root, state.BLANK_ROOT, state.BLANK_ROOT, state.BLANK_ROOT, empty(uint256),
        empty(bytes32), empty(uint256), cumulative, new_totals))
    phase: uint256 = PHASE_BLOCK_END
    next_index: uint256 = 0
    if forced_next < forced_end or index + 1 < tx_count:
        phase = PHASE_TX_START
        next_index = index + 1
    tx_h: bytes32 = keccak256(abi_encode(empty(uint256), empty(uint256), next_index,
                                         empty(bytes32), empty(bytes32)))
    return keccak256(abi_encode(phase, block_h, tx_h, context_h, empty(bytes32)))


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for phase 4."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_TX_END, "StepVerifier: phase routed to the wrong part"
    return self._tx_end()
