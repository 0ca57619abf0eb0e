# pragma version 0.4.3
"""
@title The block-end step (phase 5) and the padding steps of the final state (phase 6)
@notice docs/fault_proofs.md 4.4 and 4.5, as block_steps.block_end and verify_block_step decide
        them. Phase 5: the witness is abi.encode(5, Block, Tx, Context, proofs) with proofs =
        (bytes block_inputs, bytes extra_data, (bytes32, bytes32, bytes32) parent, Trie
        coinbase, Trie message_passer, Totals totals); the step touches the coinbase (inserted
        empty when absent), reads the message passer's storage root, assembles the header as
        the engine does (its parent_beacon_block_root the inputs' L1 fee word, zero when they
        have eight words) and returns the final state keccak(abi(6, output_root)). Phase 6: the
        witness is abi.encode(6, output_root) and the final state steps to itself. Every item
        is checked against the pre-state; nothing is defaulted.
"""

import blockio
import state
import witness as w

mpt: public(immutable(address))

PHASE_BLOCK_END: constant(uint256) = 5
PHASE_DONE: constant(uint256) = 6
CONTEXT_AT: constant(uint256) = 16 * 32
PROOFS_PTR: constant(uint256) = 25 * 32
BLOOM_BYTES: constant(uint256) = 256
MAX_EXTRA: constant(uint256) = 32
MESSAGE_PASSER: constant(uint256) = 452844882519113179962934879276157788071152058390  # 0x4f52444f…0016
EMPTY_UNCLES_HASH: constant(bytes32) = 0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347
EMPTY_REQUESTS_HASH: constant(bytes32) = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855


@deploy
def __init__(mpt_service: address):
    mpt = mpt_service


@internal
@pure
def _rlp_bytes32(item: bytes32) -> Bytes[33]:
    return concat(b"\xa0", item)


@internal
@pure
def _rlp_short(data: Bytes[MAX_EXTRA]) -> Bytes[33]:
    """@notice RLP of a string of at most 32 bytes."""
    if len(data) == 1 and convert(slice(data, 0, 1), uint256) < 128:
        return data
    return concat(slice(convert(128 + len(data), bytes32), 31, 1), data)


@internal
@view
def _block_end() -> bytes32:
    # the pre-state: its preimage's parts lie in the witness as static words
    w.need(PROOFS_PTR + 32)
    base: uint256 = w.base()
    block_h: bytes32 = keccak256(slice(msg.data, base + 32, 320))
    tx_h: bytes32 = keccak256(slice(msg.data, base + 352, 160))
    context_h: bytes32 = keccak256(slice(msg.data, base + CONTEXT_AT, 288))
    assert keccak256(abi_encode(PHASE_BLOCK_END, block_h, tx_h, context_h, empty(bytes32))) \
        == w.pre_state(), "StepVerifier: the witness is not the pre-state's preimage"
    number: uint256 = w.uint(32)
    timestamp: uint256 = w.uint(64)
    coinbase: uint256 = w.uint(96)
    gas_limit: uint256 = w.uint(128)
    base_fee: uint256 = w.uint(160)
    mix_hash: bytes32 = w.word(192)
    parent_output_root: bytes32 = w.word(256)
    inputs_hash: bytes32 = w.word(288)
    root: bytes32 = w.word(CONTEXT_AT)
    cumulative_gas: uint256 = w.uint(CONTEXT_AT + 7 * 32)
    totals_hash: bytes32 = w.word(CONTEXT_AT + 8 * 32)
    proofs: uint256 = w.uint(PROOFS_PTR)

    # 1. block_inputs (eight canonical words, nine with an L1 fee word) and extra_data; the
    # parent output's preimage
    inputs: uint256 = blockio.at(proofs, 0)
    fee_word: uint256 = blockio.fee_word(inputs, inputs_hash)
    for k: uint256 in [0, 1, 3]:
        assert w.uint(inputs + 32 + 32 * k) < 2**64, \
            "StepVerifier: block inputs: a uint64 or address word with high bytes set"
    assert w.uint(inputs + 32 + 64) < 2**160, \
        "StepVerifier: block inputs: a uint64 or address word with high bytes set"
    extra_at: uint256 = blockio.at(proofs, 32)
    extra_size: uint256 = w.uint(extra_at)
    if extra_size > MAX_EXTRA:
        # block start sends a block with longer extra data to the invalid final state (4.1)
        raise "StepVerifier: extra data over 32 bytes at block end: not verifiable yet"
    extra: Bytes[MAX_EXTRA] = b""
    if extra_size > 0:
        extra = slice(concat(w.word(extra_at + 32), b""), 0, extra_size)
    assert keccak256(extra) == w.word(inputs + 32 + 4 * 32), \
        "StepVerifier: extra_data is not the block's"
    parent_hash: bytes32 = w.word(proofs + 128)
    assert keccak256(concat(empty(bytes32), w.word(proofs + 64), w.word(proofs + 96),
                            parent_hash)) == parent_output_root, \
        "StepVerifier: parent is not the preimage of the parent output root"

    # 2. the zero block reward's touch: an absent coinbase is inserted as the empty account
    coinbase_trie: uint256 = blockio.at(proofs, 160)
    found: bool = False
    found_value: Bytes[state.VALUE_BYTES] = b""
    found, found_value = blockio.trie_read(mpt, coinbase_trie, root, state.address_key(coinbase),
                                           False)
    if not found:
        root = blockio.trie_write(mpt, coinbase_trie, root, state.address_key(coinbase),
                                 state.encode_account(state.Account(
                                     exists=True, nonce=0, balance=0,
                                     storage_root=state.BLANK_ROOT,
                                     code_hash=state.EMPTY_CODE_HASH)))
    # 3. the message passer's storage root in that state
    found, found_value = blockio.trie_read(mpt, blockio.at(proofs, 192), root,
                                           state.address_key(MESSAGE_PASSER), False)
    passer_root: bytes32 = state.BLANK_ROOT
    if found:
        passer_root = state.decode_account(found, found_value).storage_root

    # the totals' preimage, with no forced item left
    totals: uint256 = blockio.at(proofs, 224)
    bloom_at: uint256 = blockio.at(totals, 64)
    assert w.uint(bloom_at) == BLOOM_BYTES, "StepVerifier: a bloom is 256 bytes"
    w.need(bloom_at + 32 + BLOOM_BYTES)
    bloom: Bytes[BLOOM_BYTES] = slice(msg.data, base + bloom_at + 32, BLOOM_BYTES)
    receipts_root: bytes32 = w.word(totals)
    transactions_root: bytes32 = w.word(totals + 32)
    forced_next: uint256 = w.uint(totals + 96)
    forced_end: uint256 = w.uint(totals + 128)
    assert forced_next <= forced_end, "StepVerifier: a forced-item cursor out of order"
    assert keccak256(concat(receipts_root, transactions_root, bloom, convert(forced_next, bytes32),
                            convert(forced_end, bytes32))) == totals_hash, \
        "StepVerifier: totals is not the preimage of the context's totals_hash"
    assert forced_next == forced_end, "StepVerifier: block end with forced items left"

    # 4. the header as the engine assembles it (state_transition.md 2.1), its hash
    head: Bytes[578] = concat(
        self._rlp_bytes32(parent_hash), self._rlp_bytes32(EMPTY_UNCLES_HASH), b"\x94",
        slice(convert(coinbase, bytes32), 12, 20), self._rlp_bytes32(root),
        self._rlp_bytes32(transactions_root), self._rlp_bytes32(receipts_root), b"\xb9\x01\x00",
        bloom, b"\x80", state.encode_int(number), state.encode_int(gas_limit),
        state.encode_int(cumulative_gas), state.encode_int(timestamp))
    tail: Bytes[209] = concat(
        self._rlp_short(extra), self._rlp_bytes32(mix_hash),
        b"\x88\x00\x00\x00\x00\x00\x00\x00\x00", state.encode_int(base_fee),
        self._rlp_bytes32(state.BLANK_ROOT), b"\x80\x80",
        self._rlp_bytes32(convert(fee_word, bytes32)),
        self._rlp_bytes32(EMPTY_REQUESTS_HASH))
    payload: Bytes[787] = concat(head, tail)
    header_hash: bytes32 = keccak256(concat(
        b"\xf9", slice(convert(len(payload), bytes32), 30, 2), payload))

    # 5. the final state
    output_root: bytes32 = keccak256(concat(empty(bytes32), root, passer_root, header_hash))
    return keccak256(abi_encode(PHASE_DONE, output_root))


@internal
@view
def _done() -> bytes32:
    """@notice A final state steps to itself (the padding of the trace to 2^32 steps)."""
    output_root: bytes32 = w.word(32)
    assert keccak256(abi_encode(PHASE_DONE, output_root)) == w.pre_state(), \
        "StepVerifier: the witness is not the final state's preimage"
    return w.pre_state()


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for phases 5 and 6."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    phase: uint256 = w.uint(0)
    if phase == PHASE_BLOCK_END:
        return self._block_end()
    assert phase == PHASE_DONE, "StepVerifier: phase routed to the wrong part"
    return self._done()
