# pragma version 0.4.3
"""
@title The transaction-start step (phase 2): the forced items' deposits
@notice docs/fault_proofs.md 4.2, as tx_start.tx_start decides it. The witness is
        abi.encode(2, Block, Tx, Context, (bool started, uint256 next_key, uint256
        next_authorization), proofs) with proofs = (bytes block_inputs, bytes raw_tx,
        bytes32[32] tx_siblings, Trie sender, bytes sender_code, Trie[] accessed, Trie
        sender_value, Trie recipient, Trie callee, bytes callee_code, Totals totals, bytes
        forced_tx, Trie deposit, Trie authority, bytes authority_code, Trie delegate, bytes
        delegate_code). Decided here: the pre-state, the totals' preimage, and a forced-queue
        deposit (the item read from the L1 ForcedInclusionQueue at step time, its recipient
        credited, the cursor advanced, every field the step does not read zero). A started
        transaction's sub-steps are StepTxPending's, a forced transaction's and the block's own
        transaction's start StepTxOwn's (this part forwards its calldata to them).
"""

import blockio
import state
import txio
import witness as w

mpt: public(immutable(address))
queue: public(immutable(address))
pending: public(immutable(address))
own: public(immutable(address))

PHASE_TX_START: constant(uint256) = 2
PHASE_BLOCK_END: constant(uint256) = 5
CONTEXT_AT: constant(uint256) = 16 * 32
PENDING_AT: constant(uint256) = 25 * 32
PROOFS_PTR: constant(uint256) = 28 * 32
BLOOM_BYTES: constant(uint256) = 256
KIND_DEPOSIT: constant(uint256) = 1


struct Totals:
    receipts_root: bytes32
    transactions_root: bytes32
    bloom_at: uint256
    forced_next: uint256
    forced_end: uint256


@deploy
def __init__(mpt_service: address, forced_queue: address, pending_part: address,
             own_part: address):
    mpt = mpt_service
    queue = forced_queue
    pending = pending_part
    own = own_part


@internal
@view
def _forward(target: address) -> bytes32:
    """@notice The answer of the part for a started transaction to the unchanged calldata."""
    result: Bytes[32] = raw_call(target, msg.data, max_outsize=32, is_static_call=True)
    assert len(result) == 32, "StepVerifier: a part returned no commitment"
    return convert(result, bytes32)


@internal
@view
def _totals(proofs: uint256, totals_hash: bytes32) -> Totals:
    """@notice The preimage of the context's totals_hash (block_steps._totals)."""
    at: uint256 = txio.field(proofs, txio.F_TOTALS)
    bloom_at: uint256 = blockio.at(at, 64)
    assert w.uint(bloom_at) == BLOOM_BYTES, "StepVerifier: a bloom is 256 bytes"
    w.need(bloom_at + 32 + BLOOM_BYTES)
    t: Totals = Totals(receipts_root=w.word(at), transactions_root=w.word(at + 32),
                       bloom_at=bloom_at + 32, forced_next=w.uint(at + 96),
                       forced_end=w.uint(at + 128))
    assert t.forced_next <= t.forced_end, "StepVerifier: a forced-item cursor out of order"
    assert self._totals_hash(t, t.forced_next) == totals_hash, \
        "StepVerifier: totals is not the preimage of the context's totals_hash"
    return t


@internal
@view
def _totals_hash(t: Totals, forced_next: uint256) -> bytes32:
    return keccak256(concat(t.receipts_root, t.transactions_root,
                            slice(msg.data, w.base() + t.bloom_at, BLOOM_BYTES),
                            convert(forced_next, bytes32), convert(t.forced_end, bytes32)))


@internal
@view
def _tx_count(proofs: uint256, inputs_hash: bytes32) -> uint256:
    """@notice block_inputs by the block's inputs_hash, eight canonical words (nine with a
            non-zero L1 fee word: blockio.fee_word): its tx_count."""
    at: uint256 = txio.field(proofs, txio.F_BLOCK_INPUTS)
    blockio.fee_word(at, inputs_hash)  # eight words, or nine with a non-zero L1 fee word
    for k: uint256 in [0, 1, 3]:
        assert w.uint(at + 32 + 32 * k) < 2**64, \
            "StepVerifier: block inputs: a uint64 or address word with high bytes set"
    assert w.uint(at + 32 + 64) < 2**160, \
        "StepVerifier: block inputs: a uint64 or address word with high bytes set"
    return w.uint(at + 32 + 7 * 32)


@internal
@view
def _between(block_h: bytes32, tx_index: uint256, tx_count: uint256, root: bytes32,
             cumulative_gas: uint256, totals: bytes32, forced_pending: bool) -> bytes32:
    """@notice block_steps.between_transactions: phase 2 before transaction `tx_index` or the
            next forced item, else block end; the per-transaction roots empty."""
    context_h: bytes32 = keccak256(abi_encode(
        root, state.BLANK_ROOT, state.BLANK_ROOT, state.BLANK_ROOT, empty(uint256),
        empty(bytes32), empty(uint256), cumulative_gas, totals))
    if forced_pending or tx_index < tx_count:
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
@view
def _deposit(proofs: uint256, block_h: bytes32, tx_index: uint256, tx_count: uint256,
             root: bytes32, cumulative_gas: uint256, t: Totals, recipient: uint256,
             amount: uint256) -> bytes32:
    """@notice A forced deposit: `recipient` (absent: the empty account) credited with
            `amount`; no gas, no nonce, no receipt."""
    field: uint256 = txio.field(proofs, txio.F_DEPOSIT)
    a: state.Account = blockio.account(mpt, field, root, recipient, False)
    if not a.exists:
        a = state.Account(exists=True, nonce=0, balance=0, storage_root=state.BLANK_ROOT,
                          code_hash=state.EMPTY_CODE_HASH)
    a.balance += amount
    new_root: bytes32 = blockio.trie_write(mpt, field, root, state.address_key(recipient),
                                           state.encode_account(a))
    # read: block_inputs, totals, deposit
    txio.unread_are_zero(proofs, (1 << 0) | (1 << 10) | (1 << 12))
    return self._between(block_h, tx_index, tx_count, new_root, cumulative_gas,
                         self._totals_hash(t, t.forced_next + 1), t.forced_next + 1 < t.forced_end)


@internal
@view
def _tx_start() -> bytes32:
    block_h: bytes32 = empty(bytes32)
    started: bool = False
    block_h, started = txio.pre_state()
    if started:
        # access-list keys past the first 32, EIP-7702 authorizations, the frame: its own part
        return self._forward(pending)
    inputs_hash: bytes32 = w.word(9 * 32)
    tx_index: uint256 = w.uint(13 * 32)
    root: bytes32 = w.word(CONTEXT_AT)
    cumulative_gas: uint256 = w.uint(CONTEXT_AT + 7 * 32)
    proofs: uint256 = w.uint(PROOFS_PTR)

    t: Totals = self._totals(proofs, w.word(CONTEXT_AT + 8 * 32))
    if t.forced_next < t.forced_end:
        # queue item forced_next, as L1 holds it (the queue only appends, never changes one)
        assert queue != empty(address), "StepVerifier: a forced item on a chain without L1"
        answer: Bytes[224] = raw_call(queue, concat(method_id("items(uint256)"),
                                                    convert(t.forced_next, bytes32)),
                                      max_outsize=224, is_static_call=True)
        assert len(answer) == 224, "StepVerifier: the forced queue did not answer an item"
        tx_count: uint256 = self._tx_count(proofs, inputs_hash)
        if convert(extract32(answer, 0), uint256) == KIND_DEPOSIT:
            return self._deposit(proofs, block_h, tx_index, tx_count, root, cumulative_gas, t,
                                 convert(extract32(answer, 96), uint256),
                                 convert(extract32(answer, 128), uint256))
        # a forced transaction: its bytes are the item's; the rest is StepTxOwn's
        forced: uint256 = txio.field(proofs, txio.F_FORCED_TX)
        assert keccak256(blockio.copy(forced + 32, w.uint(forced))) == extract32(answer, 64), \
            "StepVerifier: forced_tx is not the queue item's"
        return self._forward(own)
    return self._forward(own)  # the block's own transaction: StepTxOwn's


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for phase 2."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    return self._tx_start()
