# pragma version 0.4.3
"""
@title The transaction-end step's transaction, gas and state (phase 4, docs/fault_proofs.md 4.3)
@notice Called by StepTxEnd with the step's own calldata (step(bytes32, bytes)): it checks the
        pre-state's preimage, proves the transaction against the block's list, reads its
        fields, does the gas accounting (EIP-3529's cap, EIP-7623's floor) and the state writes
        (the sender's refund, the coinbase's tip, EIP-161's clearing; on a chain with the L1
        data fee the fee vault's credit, 4.3 step 4a), and answers abi.encode(state_root,
        block gas counted, transaction type (256: legacy), tx_count, ...).
        Every item it reads it checks itself; it decides nothing StepTxEnd relies on unchecked.
"""

import blockio
import cells
import state
import witness as w

mpt: public(immutable(address))
l1_fee: public(immutable(bool))
base_fee_scalar: public(immutable(uint256))
blob_base_fee_scalar: public(immutable(uint256))
vault: public(immutable(uint256))

PHASE_TX_END: constant(uint256) = 4
CONTEXT_AT: constant(uint256) = 16 * 32
OUTCOME_AT: constant(uint256) = 25 * 32
PROOFS_PTR: constant(uint256) = 30 * 32
MAX_TX_BYTES: constant(uint256) = 49152
BLOCK_INPUTS_BYTES: constant(uint256) = 256
FEE_BLOCK_INPUTS_BYTES: constant(uint256) = 288
VAULT_AT: constant(uint256) = 1600
FEE_DENOMINATOR: constant(uint256) = 16000000  # 16 * the scalars' millionths
MAX_OUTPUT: constant(uint256) = 1024
MAX_CODE_SIZE: constant(uint256) = 24576
CODE_DEPOSIT_GAS: constant(uint256) = 200
TX_BASE_GAS: constant(uint256) = 21000
FLOOR_GAS_PER_TOKEN: constant(uint256) = 10
LOW_BITS: constant(uint256) = 454086624460063511464984254936031011189294057512315937409637584344757371137  # 0x0101…01
NO_TYPE: constant(uint256) = 256


struct TxFields:
    tx_type: uint256  # NO_TYPE for a legacy transaction
    gas: uint256
    max_fee: uint256
    max_priority_fee: uint256
    has_to: bool
    to: uint256
    data_at: uint256
    data_size: uint256
    nonce: uint256


# The outcome and context words the step goes on with (a failed code deposit restores them
# from the frame's entry snapshot).
struct Context:
    success: bool
    gas_left: uint256
    state_root: bytes32
    refund: uint256
    logs_hash: bytes32
    logs_count: uint256


@deploy
def __init__(mpt_service: address, rules_l1_fee: bool, rules_base_fee_scalar: uint256,
             rules_blob_base_fee_scalar: uint256, rules_vault: address):
    """@notice The chain's l1Fee (scalars and vault); all zero for a chain without it."""
    assert rules_base_fee_scalar < 2**32 and rules_blob_base_fee_scalar < 2**32, \
        "StepVerifier: an L1 fee scalar over 32 bits"
    assert rules_l1_fee or (rules_base_fee_scalar == 0 and rules_blob_base_fee_scalar == 0 and
                            rules_vault == empty(address)), \
        "StepVerifier: l1Fee rules for a chain without the L1 fee"
    mpt = mpt_service
    l1_fee = rules_l1_fee
    base_fee_scalar = rules_base_fee_scalar
    blob_base_fee_scalar = rules_blob_base_fee_scalar
    vault = convert(rules_vault, uint256)


@internal
@view
def _tx_fields(at: uint256, size: uint256) -> TxFields:
    """@notice The fields of the raw transaction at witness offset `at` that the end reads."""
    end: uint256 = at + size
    f: TxFields = empty(TxFields)
    first: uint256 = blockio.byte_at(at)
    list_at: uint256 = at
    if first >= 192:
        f.tx_type = NO_TYPE
    else:
        assert first == 1 or first == 2 or first == 4, "StepVerifier: a transaction type Ordo refuses"
        f.tx_type = first
        list_at = at + 1
    start: uint256 = 0
    length: uint256 = 0
    is_list: bool = False
    start, length, is_list = blockio.rlp_item(list_at, end)
    assert is_list and start + length == end, "StepVerifier: a transaction that is not RLP"
    starts: uint256[10] = empty(uint256[10])
    sizes: uint256[10] = empty(uint256[10])
    p: uint256 = start
    for k: uint256 in range(10):
        if p >= end:
            break
        item_at: uint256 = 0
        item_size: uint256 = 0
        item_list: bool = False
        item_at, item_size, item_list = blockio.rlp_item(p, end)
        starts[k] = item_at
        sizes[k] = item_size
        p = item_at + item_size
    # positions of gas price (or priority fee, max fee), gas, to and data per type
    fee: uint256 = 1
    gas: uint256 = 2
    if f.tx_type == 1:
        fee = 2
        gas = 3
    elif f.tx_type == 2 or f.tx_type == 4:
        fee = 2
        gas = 4
    f.max_priority_fee = blockio.rlp_uint(starts[fee], sizes[fee])
    f.max_fee = f.max_priority_fee
    if gas == fee + 2:
        f.max_fee = blockio.rlp_uint(starts[fee + 1], sizes[fee + 1])
    f.gas = blockio.rlp_uint(starts[gas], sizes[gas])
    f.has_to = sizes[gas + 1] != 0
    if f.has_to:
        assert sizes[gas + 1] == 20, "StepVerifier: a transaction that is not RLP"
        f.to = blockio.rlp_uint(starts[gas + 1], 20)
    f.data_at = starts[gas + 3]
    f.data_size = sizes[gas + 3]
    nonce: uint256 = 0
    if f.tx_type != NO_TYPE:
        nonce = 1
    f.nonce = blockio.rlp_uint(starts[nonce], sizes[nonce])
    return f


@internal
@view
def _nonzero(at: uint256, size: uint256) -> uint256:
    """@notice The number of non-zero bytes among `size` bytes at witness offset `at`."""
    nonzero: uint256 = 0
    for k: uint256 in range(MAX_TX_BYTES // 32):
        if 32 * k >= size:
            break
        x: uint256 = blockio.word_padded(at + 32 * k)
        if size - 32 * k < 32:
            x = x & ~((1 << (8 * (32 - (size - 32 * k)))) - 1)
        x = x | (x >> 4)
        x = x | (x >> 2)
        x = x | (x >> 1)
        nonzero += unsafe_mul(x & LOW_BITS, LOW_BITS) >> 248
    return nonzero


@internal
@view
def _l1_fee(raw_size: uint256, nonzero: uint256, fee_word: uint256) -> uint256:
    """@notice core.l1_fee.l1_fee: the calldata gas of the signed encoding (4 a zero byte, 16
            another; `nonzero` of its `raw_size` bytes are not zero) times the prices of the
            fee word (L1 base fee ‖ blob base fee, 16 bytes each) weighted by the scalars,
            over 16,000,000."""
    l1_gas: uint256 = 4 * raw_size + 12 * nonzero
    scaled: uint256 = 16 * base_fee_scalar * (fee_word >> 128) + \
        blob_base_fee_scalar * (fee_word % 2**128)
    return l1_gas * scaled // FEE_DENOMINATOR



@internal
@view
def _cell_root(at: uint256, size: uint256) -> bytes32:
    """@notice The cell root (1.1) of `size` bytes (at most 32 cells) at witness offset `at`."""
    nodes: bytes32[32] = empty(bytes32[32])
    count: uint256 = (size + 31) // 32
    for k: uint256 in range(32):
        if k == count:
            break
        word: uint256 = blockio.word_padded(at + 32 * k)
        if size - 32 * k < 32:
            word = word & ~((1 << (8 * (32 - (size - 32 * k)))) - 1)
        nodes[k] = convert(word, bytes32)
    zero: bytes32 = empty(bytes32)
    for height: uint256 in range(32):
        if count > 0:
            half: uint256 = (count + 1) // 2
            for k: uint256 in range(16):
                if k == half:
                    break
                right: bytes32 = zero
                if 2 * k + 1 < count:
                    right = nodes[2 * k + 1]
                nodes[k] = keccak256(concat(nodes[2 * k], right))
            count = half
        zero = keccak256(concat(zero, zero))
    if size == 0:
        return zero  # the empty string's root: the all-zero tree's
    return nodes[0]


@internal
@view
def _deposit(proofs: uint256, creator: uint256, nonce: uint256, c: Context) -> Context:
    """@notice A creation's code deposit (py-evm's apply_create_message): the frame's output
            becomes the new account's code for 200 gas a byte; over 24,576 bytes, starting
            with 0xef or with too little gas left, the creation fails: all gas used, the context
            rolled back to the frame's entry snapshot."""
    out: Context = c
    output: uint256 = blockio.at(proofs, 1312)
    size: uint256 = w.uint(output)
    if size > MAX_OUTPUT:
        raise "StepVerifier: a creation's output over 1,024 bytes: not verifiable yet"
    assert size == w.uint(OUTCOME_AT + 96) and \
        self._cell_root(output + 32, size) == w.word(OUTCOME_AT + 64), \
        "StepVerifier: output is not the frame's return data"
    cost: uint256 = CODE_DEPOSIT_GAS * size
    first: uint256 = 0
    if size > 0:
        first = blockio.byte_at(output + 32)
    if size > MAX_CODE_SIZE or first == 239 or cost > c.gas_left:
        snap: uint256 = proofs + 1344
        w.need(snap + 7 * 32)
        assert keccak256(slice(msg.data, w.base() + snap, 224)) == w.word(OUTCOME_AT + 128), \
            "StepVerifier: snapshot is not the preimage of the frame's entry snapshot"
        out.state_root = w.word(snap)
        out.refund = w.uint(snap + 4 * 32)
        out.logs_hash = w.word(snap + 5 * 32)
        out.logs_count = w.uint(snap + 6 * 32)
        out.success = False
        out.gas_left = 0
        return out
    if size == 0:
        return out
    nonce_item: Bytes[33] = state.encode_int(nonce)
    created: uint256 = convert(keccak256(concat(
        blockio.length_head(21 + len(nonce_item), 192), b"\x94",
        slice(convert(creator, bytes32), 12, 20), nonce_item)), uint256) % 2**160
    field: uint256 = blockio.at(proofs, 1568)
    account: state.Account = blockio.account(mpt, field, c.state_root, created, False)
    assert account.exists, "StepVerifier: the created account is absent at its code deposit"
    account.code_hash = keccak256(blockio.small(output + 32, size))
    out.state_root = blockio.trie_write(mpt, field, c.state_root, state.address_key(created),
                                        state.encode_account(account))
    out.gas_left = c.gas_left - cost
    return out


@external
@view
def __default__() -> (bytes32, uint256, uint256, uint256, bool, bytes32, uint256):
    """@notice The state root after the transaction end, the block gas it counts, its type,
            the block's transaction count, and (after a creation's code deposit) whether the
            transaction succeeded and its logs' chain and count, for the calldata of
            step(bytes32, bytes)."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_TX_END, "StepVerifier: phase routed to the wrong part"
    w.need(PROOFS_PTR + 32)
    base: uint256 = w.base()
    assert keccak256(abi_encode(PHASE_TX_END, keccak256(slice(msg.data, base + 32, 320)),
                                keccak256(slice(msg.data, base + 352, 160)),
                                keccak256(slice(msg.data, base + CONTEXT_AT, 288)),
                                keccak256(slice(msg.data, base + OUTCOME_AT, 160)))) \
        == w.pre_state(), "StepVerifier: the witness is not the pre-state's preimage"
    proofs: uint256 = w.uint(PROOFS_PTR)
    coinbase: uint256 = w.uint(96)
    base_fee: uint256 = w.uint(160)
    origin: uint256 = w.uint(352)
    gas_price: uint256 = w.uint(384)
    index: uint256 = w.uint(416)
    success: bool = w.uint(OUTCOME_AT) != 0
    gas_left: uint256 = w.uint(OUTCOME_AT + 32)

    # 1. the transaction, proved against the block's list
    inputs: uint256 = blockio.at(proofs, 0)
    fee_word: uint256 = blockio.fee_word(inputs, w.word(288))
    tx_count: uint256 = w.uint(inputs + 32 + 7 * 32)
    assert index < tx_count, "StepVerifier: no transaction at this index"
    raw: uint256 = blockio.at(proofs, 32)
    raw_size: uint256 = w.uint(raw)
    raw_bytes: Bytes[blockio.MAX_BYTES] = blockio.copy(raw + 32, raw_size)
    w.need(proofs + 64 + 32 * 32)
    assert cells.root_at(index, keccak256(raw_bytes), base + proofs + 64) \
        == w.word(inputs + 32 + 6 * 32), \
        "StepVerifier: raw_tx is not the block's transaction at this index"
    if raw_size > MAX_TX_BYTES:
        raise "StepVerifier: a transaction over 49,152 bytes: not verifiable yet"
    txf: TxFields = self._tx_fields(raw + 32, raw_size)
    c: Context = Context(success=success, gas_left=gas_left, state_root=w.word(CONTEXT_AT),
                         refund=w.uint(CONTEXT_AT + 4 * 32),
                         logs_hash=w.word(CONTEXT_AT + 5 * 32),
                         logs_count=w.uint(CONTEXT_AT + 6 * 32))
    if not txf.has_to and success:
        c = self._deposit(proofs, origin, txf.nonce, c)
    success = c.success
    gas_left = c.gas_left

    # 2. gas
    refund_counter: uint256 = 0
    if success:
        refund_counter = c.refund
    data_nonzero: uint256 = self._nonzero(txf.data_at, txf.data_size)
    floor_gas: uint256 = TX_BASE_GAS + FLOOR_GAS_PER_TOKEN * (txf.data_size + 3 * data_nonzero)
    used: uint256 = txf.gas - gas_left
    refund: uint256 = min(refund_counter, used // 5)
    extra: uint256 = 0
    if floor_gas > used - refund:
        extra = floor_gas - (used - refund)
    charged: uint256 = used - refund + extra
    counted: uint256 = used + extra - min(refund_counter, (used + extra) // 5)

    # 4. the state: the sender's refund, the coinbase's tip, an empty recipient
    root: bytes32 = c.state_root
    field: uint256 = blockio.at(proofs, 1120)
    payer: state.Account = blockio.account(mpt, field, root, origin, False)
    assert payer.exists, "StepVerifier: the sender's account is absent at transaction end"
    payer.balance += (txf.gas - charged) * gas_price
    root = blockio.trie_write(mpt, field, root, state.address_key(origin),
                              state.encode_account(payer))
    field = blockio.at(proofs, 1152)
    tip: uint256 = charged * min(txf.max_fee - base_fee, txf.max_priority_fee)
    before: state.Account = blockio.account(mpt, field, root, coinbase, True)
    after: state.Account = before
    if not before.exists:
        after = state.Account(exists=True, nonce=0, balance=0, storage_root=state.BLANK_ROOT,
                              code_hash=state.EMPTY_CODE_HASH)
    after.balance += tip
    if blockio.is_empty(after):
        if before.exists:
            root = blockio.trie_write(mpt, field, root, state.address_key(coinbase), b"")
        else:
            blockio.no_extra(field)
    else:
        blockio.no_extra(field)
        root = blockio.trie_write(mpt, field, root, state.address_key(coinbase),
                                  state.encode_account(after))
    if success and txf.has_to and txf.to != coinbase:
        field = blockio.at(proofs, 1184)
        touched: state.Account = blockio.account(mpt, field, root, txf.to, True)
        if touched.exists and blockio.is_empty(touched):
            root = blockio.trie_write(mpt, field, root, state.address_key(txf.to), b"")
        else:
            blockio.no_extra(field)
    # 4a. the fee vault: the base fee of the charged gas and the L1 fee (state_transition.md
    # 6.4 rule 3), created by its first credit
    if l1_fee:
        # the raw transaction's non-zero bytes: the data's (counted above) and those around it
        data_end: uint256 = txf.data_at + txf.data_size
        nonzero: uint256 = data_nonzero + self._nonzero(raw + 32, txf.data_at - raw - 32) + \
            self._nonzero(data_end, raw + 32 + raw_size - data_end)
        share: uint256 = charged * base_fee + self._l1_fee(raw_size, nonzero, fee_word)
        field = blockio.at(proofs, VAULT_AT)
        credited: state.Account = blockio.account(mpt, field, root, vault, False)
        if not credited.exists:
            if share == 0:
                raise "StepVerifier: a zero fee-vault credit to an absent vault: not verifiable"
            credited = state.Account(exists=True, nonce=0, balance=0,
                                     storage_root=state.BLANK_ROOT,
                                     code_hash=state.EMPTY_CODE_HASH)
        credited.balance += share
        root = blockio.trie_write(mpt, field, root, state.address_key(vault),
                                  state.encode_account(credited))

    return root, counted, txf.tx_type, tx_count, success, c.logs_hash, c.logs_count
