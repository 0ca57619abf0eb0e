# pragma version 0.4.3
# pragma optimize codesize
"""
@title A transaction's start (phase 2, not started): the block's own transaction or a forced
       one, decoded, checked, its gas bought and its first keys warmed
@notice docs/fault_proofs.md 4.2 steps 0-6, as tx_start.tx_start decides a state that is not
        started. StepTxStart, the one caller, has checked the pre-state, the totals' preimage
        and, for a forced item (not a deposit), block_inputs and `forced_tx` against the queue
        item's transaction_hash; the block's own transaction is `raw_tx` proved as leaf
        tx_index (txread.proved). StepTxDecode decodes the bytes as py-evm does and recovers the
        sender; refused, an own transaction is the invalid final state and a forced one a
        no-op (the cursor advanced). Else `sender` (absent: the empty account), `sender_code`
        by its hash, and state_transition.md 4.3's inclusion rules (StepTxDecode.included):
        refused as above. A forced transaction accepted must be the block's transaction at
        tx_index (byte-equal), else the invalid final state. Then the gas bought and the nonce
        raised (same proof), the warm keys (sender, target, coinbase, the first 32 access-list
        keys: one `accessed` proof each, from the precompiles' set); with keys left or an
        EIP-7702 transaction the post-state is Pending(keys, 0). Else the frame, creation or
        precompile run opens in this same step: StepTxFrame is asked with the started state as
        its pre-state and a witness made of a head (that state's words, and a proofs tuple
        pointing into the whole witness, which follows it, except for the fields this part
        read: zero there) and the whole witness, so StepTxFrame, StepTxCreate and
        StepTxPrecompile decide it as a started state's step. Not yet (reverting): a chain
        with the L1 data fee, a forced transaction over 49,152 bytes and a legacy `v` over 32
        bytes.
"""

import blockio
import cells
import state
import txio
import txread
import witness as w

mpt: public(immutable(address))
decoder: public(immutable(address))
frame: public(immutable(address))
l1_fee: public(immutable(bool))

PHASE_TX_START: constant(uint256) = 2
PHASE_BLOCK_END: constant(uint256) = 5
PHASE_DONE: constant(uint256) = 6
CONTEXT_AT: constant(uint256) = 16 * 32
# the head of the witness handed to StepTxFrame (_started_witness): the state's 28 words and
# the proofs' offset, then at PROOFS_AT the proofs tuple's 48 head words, a zero Trie, zero
# bytes, a blank Totals and the list of `accessed` proofs left (offsets in the tuple)
PROOFS_AT: constant(uint256) = 29 * 32
ZERO_TRIE_AT: constant(uint256) = 48 * 32
ZERO_BYTES_AT: constant(uint256) = ZERO_TRIE_AT + 4 * 32
BLANK_TOTALS_AT: constant(uint256) = ZERO_BYTES_AT + 32
LEFT_AT: constant(uint256) = BLANK_TOTALS_AT + 6 * 32
HEADER_BYTES: constant(uint256) = PROOFS_AT + LEFT_AT + 2 * 32
# the zero Trie ("", ""), zero bytes and the blank Totals (0, 0, "", 0, 0) as ABI
ZERO_BLOBS: constant(uint256[11]) = [64, 96, 0, 0, 0, 0, 0, 160, 0, 0, 0]
BLOOM_BYTES: constant(uint256) = 256
KIND_DEPOSIT: constant(uint256) = 1
MAX_TX: constant(uint256) = 49152
FIRST_KEYS: constant(uint256) = 32
UINT64_MAX: constant(uint256) = 2**64 - 1
# docs/fault_proofs.md 4.2 step 6: the secure trie of the 17 precompile addresses
PRECOMPILES_ACCESSED_ROOT: constant(bytes32) = 0xcc7c09592a19e878e8f0d2fcd3f6308b9a797437938e94b435a539083dca5975
# docs/fault_proofs.md 1.1: cell_root(b""), the all-zero tree of depth 32
EMPTY_ROOT: constant(bytes32) = 0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757
# keccak of the revert data Error("StepVerifier: the step does not read accessed, but it is not zero")
NOT_READ_ACCESSED: constant(bytes32) = 0xb7d405d54c5f2608ed68730d0f2820db9336b28ca552e014f2d0dffc761bdf2e
# StepTxDecode's words
S_SENDER: constant(uint256) = 0
S_TYPE: constant(uint256) = 1
S_HAS_CHAIN: constant(uint256) = 2
S_CHAIN: constant(uint256) = 3
S_BIG: constant(uint256) = 4
S_NONCE: constant(uint256) = 5
S_MAX_FEE: constant(uint256) = 6
S_TIP: constant(uint256) = 7
S_GAS: constant(uint256) = 8
S_CREATE: constant(uint256) = 9
S_TO: constant(uint256) = 10
S_VALUE: constant(uint256) = 11
S_DATA_SIZE: constant(uint256) = 12
S_INTRINSIC: constant(uint256) = 13
S_FLOOR: constant(uint256) = 14
S_LIST_KEYS: constant(uint256) = 15
S_AUTHORIZATIONS: constant(uint256) = 16


interface Decoder:
    def included(words: uint256[17], nonce: uint256, balance: uint256, eoa: bool,
                 chain_id: uint256, base_fee: uint256, gas_limit: uint256,
                 cumulative_gas: uint256) -> bool: view


struct Totals:
    receipts_root: bytes32
    transactions_root: bytes32
    bloom_at: uint256
    forced_next: uint256
    forced_end: uint256


struct Decoded:
    words: uint256[17]
    keys: bytes32[FIRST_KEYS]


@deploy
def __init__(mpt_service: address, decoder_service: address, frame_part: address,
             with_l1_fee: bool):
    mpt = mpt_service
    decoder = decoder_service
    frame = frame_part
    l1_fee = with_l1_fee


@internal
@view
def _totals(proofs: uint256) -> Totals:
    """@notice The totals (StepTxStart checked them against the context's totals_hash)."""
    at: uint256 = txio.field(proofs, txio.F_TOTALS)
    return Totals(receipts_root=w.word(at), transactions_root=w.word(at + 32),
                  bloom_at=blockio.at(at, 64) + 32, forced_next=w.uint(at + 96),
                  forced_end=w.uint(at + 128))


@internal
@view
def _totals_hash(t: Totals, forced_next: uint256) -> bytes32:
    return keccak256(concat(t.receipts_root, t.transactions_root,
                            slice(msg.data, w.base() + t.bloom_at, BLOOM_BYTES),
                            convert(forced_next, bytes32), convert(t.forced_end, bytes32)))


@internal
@view
def _decode(at: uint256, size: uint256) -> (bool, Decoded):
    """@notice StepTxDecode's answer for the `size` witness bytes at `at`: (False, _) when the
            reference refuses them; any other failure reverts the step."""
    if size > MAX_TX:
        raise "StepVerifier: a forced transaction over 49,152 bytes: not verifiable yet"
    ok: bool = False
    answer: Bytes[1568] = b""
    ok, answer = raw_call(decoder, concat(method_id("decode(bytes)"), convert(32, bytes32),
                                          convert(size, bytes32), blockio.copy(at, size),
                                          empty(bytes32), empty(bytes32)),
                          max_outsize=1568, is_static_call=True, revert_on_failure=False)
    if ok:
        return True, abi_decode(answer, Decoded)
    assert keccak256(answer) == keccak256(concat(method_id("Error(string)"),
                                                 convert(32, bytes32), convert(21, bytes32),
                                                 b"StepTxDecode: refused", empty(bytes11))), \
        "StepVerifier: the transaction decoder failed (out of gas)"
    return False, empty(Decoded)


@internal
@view
def _between(block_h: bytes32, tx_count: uint256, root: bytes32, t: Totals) -> bytes32:
    """@notice A forced transaction refused: block_steps.between_transactions with the state
            unchanged and the cursor advanced."""
    tx_index: uint256 = w.uint(416)
    context_h: bytes32 = keccak256(abi_encode(
        root, state.BLANK_ROOT, state.BLANK_ROOT, state.BLANK_ROOT, empty(uint256),
        empty(bytes32), empty(uint256), w.uint(CONTEXT_AT + 7 * 32),
        self._totals_hash(t, t.forced_next + 1)))
    if t.forced_next + 1 < t.forced_end or tx_index < tx_count:
        return keccak256(abi_encode(PHASE_TX_START, block_h,
                                    keccak256(abi_encode(empty(address), empty(uint256),
                                                         tx_index, empty(bytes32),
                                                         empty(bytes32))),
                                    context_h, empty(bytes32)))
    return keccak256(abi_encode(PHASE_BLOCK_END, block_h,
                                keccak256(abi_encode(empty(address), empty(uint256),
                                                     empty(uint256), empty(bytes32),
                                                     empty(bytes32))),
                                context_h, empty(bytes32)))


@internal
@pure
def _invalid() -> bytes32:
    """@notice The invalid final state keccak(abi(6, 0)) (docs/fault_proofs.md 4)."""
    return keccak256(abi_encode(PHASE_DONE, empty(bytes32)))


@internal
@view
def _start(proofs: uint256, block_h: bytes32, d: Decoded, a: state.Account, read: uint256,
           totals_h: bytes32) -> (bytes32, Bytes[HEADER_BYTES]):
    """@notice 4.2 steps 5-6: the gas bought and the nonce raised, the first keys warmed; then
            (the post-state Pending(keys, 0), no header), or (the started state, its witness
            header) for StepTxFrame."""
    root: bytes32 = w.word(CONTEXT_AT)
    sender: uint256 = d.words[S_SENDER]
    price: uint256 = min(d.words[S_MAX_FEE], d.words[S_TIP] + w.uint(160))
    bought: state.Account = a
    bought.balance -= d.words[S_GAS] * price
    bought.nonce += 1
    entered: bytes32 = blockio.trie_write(mpt, txio.field(proofs, txio.F_SENDER), root,
                                          state.address_key(sender),
                                          state.encode_account(bought))
    target: uint256 = d.words[S_TO]
    if d.words[S_CREATE] == 1:
        payload: Bytes[54] = concat(b"\x94", slice(convert(sender << 96, bytes32), 0, 20),
                                    state.encode_int(d.words[S_NONCE]))
        target = convert(keccak256(concat(slice(convert(192 + len(payload), bytes32), 31, 1),
                                          payload)), uint256) % 2**160
    proofs_list: uint256 = txio.field(proofs, txio.F_ACCESSED)
    s: txread.Warm = txread.Warm(accessed_root=PRECOMPILES_ACCESSED_ROOT, key_index=0,
                                 proof_index=0)
    end: uint256 = 3 + FIRST_KEYS
    s = txread.warm(mpt, s, state.address_key(sender), 0, end, proofs_list)
    s = txread.warm(mpt, s, state.address_key(target), 0, end, proofs_list)
    s = txread.warm(mpt, s, state.address_key(w.uint(96)), 0, end, proofs_list)
    for k: uint256 in range(FIRST_KEYS):
        if k == d.words[S_LIST_KEYS]:
            break
        s = txread.warm(mpt, s, d.keys[k], 0, end, proofs_list)
    tx_h: bytes32 = keccak256(abi_encode(convert(sender, address), price, w.uint(416), root,
                                         EMPTY_ROOT))
    base: uint256 = w.base()
    context: Bytes[288] = concat(entered, s.accessed_root,
                                 slice(msg.data, base + CONTEXT_AT + 64, 192), totals_h)
    post: bytes32 = keccak256(abi_encode(PHASE_TX_START, block_h, tx_h, keccak256(context),
                                         keccak256(abi_encode(s.proof_index, empty(uint256)))))
    if d.words[S_LIST_KEYS] > FIRST_KEYS or d.words[S_TYPE] == 4:
        assert w.uint(proofs_list) == s.proof_index, \
            "StepVerifier: the witness has more accessed-set proofs than the step reads"
        txio.unread_are_zero(proofs, read | txio.READ_ACCESSED)
        return post, b""
    if read & txio.READ_FORCED_TX == 0:
        assert w.uint(txio.field(proofs, txio.F_FORCED_TX)) == 0, \
            "StepVerifier: the step does not read forced_tx, but it is not zero"
    # the frame, creation or precompile run opens in this step: StepTxFrame is handed the
    # started state as a started state's witness (_started_witness) before the whole witness
    state_words: Bytes[896] = concat(
        convert(PHASE_TX_START, bytes32), slice(msg.data, base + 32, 320),
        abi_encode(convert(sender, address), price, w.uint(416), root, EMPTY_ROOT), context,
        convert(1, bytes32), convert(s.proof_index, bytes32), empty(bytes32))
    return post, self._started_witness(proofs, state_words, s.proof_index)


@internal
@view
def _started_witness(proofs: uint256, state_words: Bytes[896], used: uint256
                     ) -> Bytes[HEADER_BYTES]:
    """@notice The head of the witness StepTxFrame is handed: the started state's words, then
            a proofs tuple whose fields point into the whole witness that follows (offsets
            past this head), except those this step read: `sender`, `sender_code`, `totals`
            and `forced_tx` point at zero blobs here, `accessed` at a list of the proofs left
            after the `used` ones (at most one: a delegate's)."""
    moved: uint256 = HEADER_BYTES + proofs - PROOFS_AT  # an old offset, seen from the new tuple
    head: uint256[48] = empty(uint256[48])
    for k: uint256 in range(48):
        head[k] = w.uint(proofs + 32 * k)
        if k >= 2 and k < 34:
            continue  # the 32 inline siblings
        head[k] += moved
    head[34] = ZERO_TRIE_AT
    head[35] = ZERO_BYTES_AT
    head[41] = BLANK_TOTALS_AT
    head[42] = ZERO_BYTES_AT
    head[36] = LEFT_AT
    listed: uint256 = txio.field(proofs, txio.F_ACCESSED)
    count: uint256 = w.uint(listed)
    assert count <= used + 1, \
        "StepVerifier: the witness has more accessed-set proofs than the step reads"
    left: uint256[2] = empty(uint256[2])
    if count == used + 1:
        # its element, seen from the new list's items (at LEFT_AT + 32 of the new tuple)
        left = [1, HEADER_BYTES + listed + 32 + w.uint(listed + 32 + 32 * used) - PROOFS_AT -
                LEFT_AT - 32]
    return concat(state_words, convert(PROOFS_AT, bytes32), abi_encode(head),
                  abi_encode(ZERO_BLOBS), abi_encode(left))


@external
@view
def step(pre_state: bytes32, witness: Bytes[w.MAX_WITNESS]) -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for a transaction's start."""
    w.check_calldata()
    assert w.uint(0) == PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    assert not l1_fee, \
        "StepVerifier: a transaction's start on a chain with the L1 data fee: not verifiable yet"
    # StepTxStart, the one caller, checked the pre-state (not started), the totals' preimage,
    # block_inputs by its hash and a forced transaction's bytes against its queue item
    block_h: bytes32 = keccak256(slice(msg.data, w.base() + 32, 320))
    proofs: uint256 = w.uint(txio.PROOFS_PTR)
    root: bytes32 = w.word(CONTEXT_AT)
    t: Totals = self._totals(proofs)
    read: uint256 = txio.READ_BLOCK_INPUTS | txio.READ_TOTALS
    forced: bool = t.forced_next < t.forced_end
    tx_count: uint256 = 0
    raw_at: uint256 = 0
    raw_size: uint256 = 0
    if forced:
        # StepTxStart read the queue item (not a deposit) and checked forced_tx against it
        tx_count = w.uint(txio.field(proofs, txio.F_BLOCK_INPUTS) + 32 + 7 * 32)
        raw_at = txio.field(proofs, txio.F_FORCED_TX)
        raw_size = w.uint(raw_at)
        raw_at += 32
        read |= txio.READ_FORCED_TX
    else:
        tx_count, raw_at, raw_size = txread.proved(proofs, w.uint(416))
        read |= txio.READ_RAW_TX | txio.READ_TX_SIBLINGS
    ok: bool = False
    d: Decoded = empty(Decoded)
    ok, d = self._decode(raw_at, raw_size)
    included: bool = ok
    a: state.Account = empty(state.Account)
    if ok:
        a = blockio.account(mpt, txio.field(proofs, txio.F_SENDER), root, d.words[S_SENDER],
                            False)
        if not a.exists:
            a = state.Account(exists=True, nonce=0, balance=0, storage_root=state.BLANK_ROOT,
                              code_hash=state.EMPTY_CODE_HASH)
        code: uint256 = txio.field(proofs, txio.F_SENDER_CODE)
        assert keccak256(blockio.copy(code + 32, w.uint(code))) == a.code_hash, \
            "StepVerifier: sender_code does not hash to the account's code hash"
        read |= txio.READ_SENDER | txio.READ_SENDER_CODE
        code_size: uint256 = w.uint(code)
        included = staticcall Decoder(decoder).included(
            d.words, a.nonce, a.balance,
            code_size == 0 or (code_size == 23 and w.uint(code + 32) >> 232 == 15663360),
            w.uint(224), w.uint(160), w.uint(128), w.uint(CONTEXT_AT + 7 * 32))
    totals_h: bytes32 = w.word(CONTEXT_AT + 8 * 32)
    if forced:
        if not included:
            txio.unread_are_zero(proofs, read)
            return self._between(block_h, tx_count, root, t)
        totals_h = self._totals_hash(t, t.forced_next + 1)
        if w.uint(416) >= tx_count:
            txio.unread_are_zero(proofs, read)
            return self._invalid()
        # derivation's leading-transactions rule: the block's transaction at tx_index
        posted_at: uint256 = 0
        posted_size: uint256 = 0
        tx_count, posted_at, posted_size = txread.proved(proofs, w.uint(416))
        read |= txio.READ_RAW_TX | txio.READ_TX_SIBLINGS
        if posted_size != raw_size or keccak256(blockio.copy(posted_at, posted_size)) != \
                keccak256(blockio.copy(raw_at, raw_size)):
            txio.unread_are_zero(proofs, read)
            return self._invalid()
    elif not included:
        txio.unread_are_zero(proofs, read)
        return self._invalid()
    post: bytes32 = empty(bytes32)
    header: Bytes[HEADER_BYTES] = b""
    post, header = self._start(proofs, block_h, d, a, read, totals_h)
    if len(header) == 0:
        return post
    done: bool = False
    answer: Bytes[512] = b""
    done, answer = raw_call(frame, concat(method_id("step(bytes32,bytes)"), post,
                                        convert(64, bytes32),
                                        convert(HEADER_BYTES + len(witness), bytes32),
                                        header, witness),
                          max_outsize=512, is_static_call=True, revert_on_failure=False)
    if done:
        return extract32(answer, 0)
    # the proof left over for a frame that reads none: in this step, one proof too many
    assert keccak256(answer) != NOT_READ_ACCESSED, \
        "StepVerifier: the witness has more accessed-set proofs than the step reads"
    raw_revert(answer)
