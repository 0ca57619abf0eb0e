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
        credited, the cursor advanced, every field the step does not read zero). Not yet: a
        forced transaction, a block's own transaction, the sub-steps of a started one (access
        list, EIP-7702 authorizations, the frame): each reverts as not verifiable yet, never
        accepted.
"""

import blockio
import state
import witness as w

mpt: public(immutable(address))
queue: public(immutable(address))

PHASE_TX_START: constant(uint256) = 2
PHASE_BLOCK_END: constant(uint256) = 5
CONTEXT_AT: constant(uint256) = 16 * 32
PENDING_AT: constant(uint256) = 25 * 32
PROOFS_PTR: constant(uint256) = 28 * 32
BLOOM_BYTES: constant(uint256) = 256
KIND_DEPOSIT: constant(uint256) = 1
# the proofs' head, in words: where each field's offset (or inline value) lies
F_BLOCK_INPUTS: constant(uint256) = 0
F_RAW_TX: constant(uint256) = 1
F_TX_SIBLINGS: constant(uint256) = 2
F_SENDER: constant(uint256) = 34
F_SENDER_CODE: constant(uint256) = 35
F_ACCESSED: constant(uint256) = 36
F_SENDER_VALUE: constant(uint256) = 37
F_RECIPIENT: constant(uint256) = 38
F_CALLEE: constant(uint256) = 39
F_CALLEE_CODE: constant(uint256) = 40
F_TOTALS: constant(uint256) = 41
F_FORCED_TX: constant(uint256) = 42
F_DEPOSIT: constant(uint256) = 43
F_AUTHORITY: constant(uint256) = 44
F_AUTHORITY_CODE: constant(uint256) = 45
F_DELEGATE: constant(uint256) = 46
F_DELEGATE_CODE: constant(uint256) = 47


struct Totals:
    receipts_root: bytes32
    transactions_root: bytes32
    bloom_at: uint256
    forced_next: uint256
    forced_end: uint256


@deploy
def __init__(mpt_service: address, forced_queue: address):
    mpt = mpt_service
    queue = forced_queue


@internal
@view
def _field(proofs: uint256, slot: uint256) -> uint256:
    """@notice The witness offset of dynamic field `slot` of the proofs."""
    return blockio.at(proofs, 32 * slot)


@internal
@view
def _totals(proofs: uint256, totals_hash: bytes32) -> Totals:
    """@notice The preimage of the context's totals_hash (block_steps._totals)."""
    at: uint256 = self._field(proofs, F_TOTALS)
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
    """@notice block_inputs by the block's inputs_hash, eight canonical words: its tx_count."""
    at: uint256 = self._field(proofs, F_BLOCK_INPUTS)
    assert w.uint(at) == 256, "StepVerifier: block_inputs is not the block's inputs"
    w.need(at + 32 + 256)
    assert keccak256(slice(msg.data, w.base() + at + 32, 256)) == inputs_hash, \
        "StepVerifier: block_inputs is not the block's inputs"
    for k: uint256 in [0, 1, 3]:
        assert w.uint(at + 32 + 32 * k) < 2**64, \
            "StepVerifier: block inputs: a uint64 or address word with high bytes set"
    assert w.uint(at + 32 + 64) < 2**160, \
        "StepVerifier: block inputs: a uint64 or address word with high bytes set"
    return w.uint(at + 32 + 7 * 32)


@internal
@pure
def _name(k: uint256) -> String[16]:
    """@notice The name of proofs field `k` (block_witness.TxStartProofs)."""
    if k == 0:
        return "block_inputs"
    if k == 1:
        return "raw_tx"
    if k == 2:
        return "tx_siblings"
    if k == 3:
        return "sender"
    if k == 4:
        return "sender_code"
    if k == 5:
        return "accessed"
    if k == 6:
        return "sender_value"
    if k == 7:
        return "recipient"
    if k == 8:
        return "callee"
    if k == 9:
        return "callee_code"
    if k == 10:
        return "totals"
    if k == 11:
        return "forced_tx"
    if k == 12:
        return "deposit"
    if k == 13:
        return "authority"
    if k == 14:
        return "authority_code"
    if k == 15:
        return "delegate"
    return "delegate_code"


@internal
@view
def _unread_are_zero(proofs: uint256, read: uint256):
    """@notice Every field whose bit is not set in `read` is zero (tx_start's WitnessIO):
            empty bytes and lists, a Trie ("", ""), 32 zero siblings."""
    for k: uint256 in range(17):
        if (read >> k) & 1 == 1:
            continue
        slot: uint256 = k
        if k > 2:
            slot = k + 31  # after the 32 inline siblings
        zero: bool = True
        if k == 2:
            for h: uint256 in range(32):
                if w.word(proofs + 32 * (F_TX_SIBLINGS + h)) != empty(bytes32):
                    zero = False
        elif k == 10:
            zero = True  # totals is always read
        else:
            at: uint256 = self._field(proofs, slot)
            if k in [3, 6, 7, 8, 12, 13, 15]:
                zero = w.uint(at + w.uint(at)) == 0 and w.uint(at + w.uint(at + 32)) == 0
            else:
                zero = w.uint(at) == 0
        if not zero:
            raise concat("StepVerifier: the step does not read ", self._name(k),
                         ", but it is not zero")


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
    field: uint256 = self._field(proofs, F_DEPOSIT)
    a: state.Account = blockio.account(mpt, field, root, recipient, False)
    if not a.exists:
        a = state.Account(exists=True, nonce=0, balance=0, storage_root=state.BLANK_ROOT,
                          code_hash=state.EMPTY_CODE_HASH)
    a.balance += amount
    new_root: bytes32 = blockio.trie_write(mpt, field, root, state.address_key(recipient),
                                           state.encode_account(a))
    # read: block_inputs, totals, deposit
    self._unread_are_zero(proofs, (1 << 0) | (1 << 10) | (1 << 12))
    return self._between(block_h, tx_index, tx_count, new_root, cumulative_gas,
                         self._totals_hash(t, t.forced_next + 1), t.forced_next + 1 < t.forced_end)


@internal
@view
def _tx_start() -> bytes32:
    # the pre-state: its preimage's parts lie in the witness as static words
    w.need(PROOFS_PTR + 32)
    base: uint256 = w.base()
    block_h: bytes32 = keccak256(slice(msg.data, base + 32, 320))
    tx_h: bytes32 = keccak256(slice(msg.data, base + 352, 160))
    context_h: bytes32 = keccak256(slice(msg.data, base + CONTEXT_AT, 288))
    started: uint256 = w.uint(PENDING_AT)
    assert started <= 1, "StepVerifier: the witness is not the pre-state's preimage"
    fourth: bytes32 = empty(bytes32)
    if started == 1:
        fourth = keccak256(slice(msg.data, base + PENDING_AT + 32, 64))
    else:
        assert w.uint(PENDING_AT + 32) == 0 and w.uint(PENDING_AT + 64) == 0, \
            "StepVerifier: a transaction not started has no next key or authorization"
    assert keccak256(abi_encode(PHASE_TX_START, block_h, tx_h, context_h, fourth)) \
        == w.pre_state(), "StepVerifier: the witness is not the pre-state's preimage"
    if started == 1:
        raise "StepVerifier: a started transaction's sub-step: not verifiable yet"
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
        raise "StepVerifier: a forced transaction's start: not verifiable yet"
    raise "StepVerifier: a transaction's start: not verifiable yet"


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for phase 2."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    return self._tx_start()
