# pragma version 0.4.3
"""
@title The transaction-end step's transaction, gas and state (phase 4, docs/fault_proofs.md 4.3)
@notice Called by StepTxEnd with the step's own calldata (step(bytes32, bytes)): it checks the
        pre-state's preimage, proves the transaction against the block's list, reads its
        fields, does the gas accounting (EIP-3529's cap, EIP-7623's floor) and the state writes
        (the sender's refund, the coinbase's tip, EIP-161's clearing), and answers
        abi.encode(state_root, block gas counted, transaction type (256: legacy), tx_count).
        Every item it reads it checks itself; it decides nothing StepTxEnd relies on unchecked.
"""

import blockio
import cells
import state
import witness as w

mpt: public(immutable(address))

PHASE_TX_END: constant(uint256) = 4
CONTEXT_AT: constant(uint256) = 16 * 32
OUTCOME_AT: constant(uint256) = 25 * 32
PROOFS_PTR: constant(uint256) = 30 * 32
MAX_TX_BYTES: constant(uint256) = 49152
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


@deploy
def __init__(mpt_service: address):
    mpt = mpt_service


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
    return f


@internal
@view
def _floor(at: uint256, size: uint256) -> uint256:
    """@notice EIP-7623's floor: 21,000 + 10 per token, a zero byte one token, another four."""
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
    return TX_BASE_GAS + FLOOR_GAS_PER_TOKEN * (size + 3 * nonzero)



@external
@view
def __default__() -> (bytes32, uint256, uint256, uint256):
    """@notice The state root after the transaction end, the block gas it counts, its type and
            the block's transaction count, for the calldata of step(bytes32, bytes)."""
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
    assert w.uint(inputs) == 256, "StepVerifier: block_inputs is not the block's inputs"
    w.need(inputs + 32 + 256)
    assert keccak256(slice(msg.data, base + inputs + 32, 256)) == w.word(288), \
        "StepVerifier: block_inputs is not the block's inputs"
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
    if not txf.has_to and success:
        raise "StepVerifier: the code deposit of a creation: not verifiable yet"

    # 2. gas
    refund_counter: uint256 = 0
    if success:
        refund_counter = w.uint(CONTEXT_AT + 4 * 32)
    floor_gas: uint256 = self._floor(txf.data_at, txf.data_size)
    used: uint256 = txf.gas - gas_left
    refund: uint256 = min(refund_counter, used // 5)
    extra: uint256 = 0
    if floor_gas > used - refund:
        extra = floor_gas - (used - refund)
    charged: uint256 = used - refund + extra
    counted: uint256 = used + extra - min(refund_counter, (used + extra) // 5)

    # 4. the state: the sender's refund, the coinbase's tip, an empty recipient
    root: bytes32 = w.word(CONTEXT_AT)
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

    return root, counted, txf.tx_type, tx_count
