# pragma version 0.4.3
"""
@title The block-start step (phase 1)
@notice docs/fault_proofs.md 4.1, as block_steps.block_start and verify_block_step decide it.
        The witness is abi.encode(1, parent_output_root, inputs_root, k, proofs) with proofs =
        ((bytes32, bytes32, bytes32) parent, bytes parent_header, bytes[] ancestors, bytes
        block_inputs, bytes32[32] inputs_siblings, bytes extra_data, Trie
        beacon_roots_account, Trie history_account), on a chain with the L1 data fee followed
        by Trie oracle_account, Trie oracle_slot_0, Trie oracle_slot_1, Trie oracle_slot_2
        (FeeBlockStartProofs). The step checks the parent output's
        preimage and header, the block's inputs as leaf k of inputs_root, its extra data, the
        header rules and the forced items (read from the L1 ForcedInclusionQueue at step time),
        the L1 fee word (4.1 3a), each rule broken sending the trace to the invalid final state
        keccak(abi(6, 0)); then the block-hash list by the chain of ancestor headers, the
        EIP-4788 / EIP-2935 accounts of the parent state (their contracts' code: not verifiable
        yet), on a fee chain the GasPriceOracle's slots 0-2 written (4.1 6a), and returns the
        first transaction start (phase 2), or block end (phase 5) for a block with no item and
        no transaction. The chain's rules (chain id, base-fee floor, elasticity, denominator,
        anchored, L1 data fee with its two scalars) and the queue's address are fixed at
        deployment: no hash commits to them.
"""

import blockio
import state
import witness as w

mpt: public(immutable(address))
queue: public(immutable(address))
chain_id: public(immutable(uint256))
base_fee_floor: public(immutable(uint256))
elasticity_multiplier: public(immutable(uint256))
base_fee_max_change_denominator: public(immutable(uint256))
anchored: public(immutable(bool))
l1_fee: public(immutable(bool))
oracle: public(immutable(address))

PHASE_BLOCK_START: constant(uint256) = 1
PHASE_TX_START: constant(uint256) = 2
PHASE_BLOCK_END: constant(uint256) = 5
PHASE_DONE: constant(uint256) = 6
PROOFS_PTR: constant(uint256) = 4 * 32
SIBLINGS_AT: constant(uint256) = 6 * 32
HEADER_FIELDS: constant(uint256) = 21
MAX_HEADER: constant(uint256) = 1024
HEADER_WORDS: constant(uint256) = 32
MAX_HASHES: constant(uint256) = 256
MAX_EXTRA: constant(uint256) = 32
BUILDER_LENGTH: constant(uint256) = 20
MIN_GAS_LIMIT: constant(uint256) = 5000
UINT64: constant(uint256) = 2**64
BLOCK_INPUTS_BYTES: constant(uint256) = 256
FEE_BLOCK_INPUTS_BYTES: constant(uint256) = 288
ORACLE_AT: constant(uint256) = 9 * 32 + 32 * 32
BLOOM_WORDS: constant(uint256) = 8
ZERO_TX_HASH: constant(bytes32) = 0xdfded4ed5ac76ba7379cfe7b3b0f53e768dca8d45a34854e649cfc3c18cbd9cd
# keccak(abi(0, 0, 0, 0, 0)): the transaction part between transactions
BEACON_ROOTS: constant(uint256) = 339909022928299415537769066420252604268194818  # 0x000f3d…ac02
HISTORY_STORAGE: constant(uint256) = 21693734551179282564423033930679318143314229  # 0x0000f9…2935
BEACON_ROOTS_CODE_HASH: constant(bytes32) = 0xf57acd40259872606d76197ef052f3d35588dadf919ee1f0e3cb9b62d3f4b02c
HISTORY_STORAGE_CODE_HASH: constant(bytes32) = 0x6e49e66782037c0555897870e29fa5e552daf4719552131a0abce779daec0a5d


struct Header:
    parent_hash: bytes32
    state_root: bytes32
    number: uint256
    gas_limit: uint256
    gas_used: uint256
    timestamp: uint256
    extra_data: Bytes[MAX_EXTRA]
    extra_size: uint256
    mix_hash: bytes32
    base_fee: uint256
    fee_word: bytes32


struct Inputs:
    number: uint256
    timestamp: uint256
    coinbase: uint256
    gas_limit: uint256
    extra_data_hash: bytes32
    mix_hash: bytes32
    txs_root: bytes32
    tx_count: uint256
    fee_word: bytes32
    inputs_hash: bytes32


@deploy
def __init__(mpt_service: address, forced_queue: address, rules_chain_id: uint256,
             rules_base_fee_floor: uint256, rules_elasticity_multiplier: uint256,
             rules_base_fee_max_change_denominator: uint256, rules_anchored: bool,
             rules_l1_fee: bool, oracle_service: address):
    assert rules_elasticity_multiplier > 0 and rules_base_fee_max_change_denominator > 0, \
        "StepVerifier: the chain's fee rules need a positive elasticity and denominator"
    assert forced_queue != empty(address) or not rules_anchored, \
        "StepVerifier: an anchored chain's block start reads the forced queue"
    assert rules_l1_fee == (oracle_service != empty(address)), \
        "StepVerifier: a chain with the L1 fee writes the oracle through StepOracle, only it"
    mpt = mpt_service
    queue = forced_queue
    chain_id = rules_chain_id
    base_fee_floor = rules_base_fee_floor
    elasticity_multiplier = rules_elasticity_multiplier
    base_fee_max_change_denominator = rules_base_fee_max_change_denominator
    anchored = rules_anchored
    l1_fee = rules_l1_fee
    oracle = oracle_service


@internal
@view
def _copy(at: uint256, size: uint256, what: String[40]) -> Bytes[MAX_HEADER]:
    """@notice `size` bytes (at most 1,024) of the witness at `at`."""
    if size > MAX_HEADER:
        raise concat("StepVerifier: ", what, " over 1,024 bytes: not verifiable yet")
    w.need(at + size)
    start: uint256 = w.base() + at
    if start + MAX_HEADER <= len(msg.data):
        # one copy from the calldata (an ancestor header: 254 of them in a step)
        return slice(slice(msg.data, start, MAX_HEADER), 0, size)
    words: bytes32[HEADER_WORDS] = empty(bytes32[HEADER_WORDS])
    for k: uint256 in range(HEADER_WORDS):
        if 32 * k >= size:
            break
        words[k] = convert(blockio.word_padded(at + 32 * k), bytes32)
    return slice(abi_encode(words), 0, size)


@internal
@pure
def _byte(data: Bytes[MAX_HEADER], at: uint256) -> uint256:
    return convert(slice(data, at, 1), uint256)


@internal
@pure
def _fields(data: Bytes[MAX_HEADER], reason: String[60],
            shape: String[60]) -> (uint256[HEADER_FIELDS], uint256[HEADER_FIELDS]):
    """
    @notice The 21 strings of a Prague header (where each payload starts and its size), each
            item canonical RLP as pyrlp's strict decoder requires. Item 0 is the outer list.
            Written in one loop: the header is read in place, never passed to a helper (an
            internal call copies its 1 KB argument).
    """
    starts: uint256[HEADER_FIELDS] = empty(uint256[HEADER_FIELDS])
    sizes: uint256[HEADER_FIELDS] = empty(uint256[HEADER_FIELDS])
    n: uint256 = len(data)
    at: uint256 = 0
    end: uint256 = n
    for k: uint256 in range(HEADER_FIELDS + 1):
        if k > 0 and at == end:
            raise shape
        assert at < end, reason
        head: uint256 = convert(slice(data, at, 1), uint256)
        start: uint256 = at
        size: uint256 = 1
        is_list: bool = head >= 192
        if head >= 128:
            base: uint256 = 128
            if is_list:
                base = 192
            start = at + 1
            if head < base + 56:
                size = head - base
                if size == 1 and not is_list:
                    assert start < end and convert(slice(data, start, 1), uint256) >= 128, \
                        reason
            else:
                count: uint256 = head - base - 55
                assert count <= 3 and at + count < end, reason
                assert convert(slice(data, at + 1, 1), uint256) != 0, reason
                size = 0
                for b: uint256 in range(3):
                    if b == count:
                        break
                    size = size * 256 + convert(slice(data, at + 1 + b, 1), uint256)
                assert size >= 56, reason
                start = at + 1 + count
        assert start + size <= end, reason
        if k == 0:
            assert start + size == n, reason
            assert is_list, shape
            at = start
            end = start + size
        else:
            assert not is_list, shape
            starts[k - 1] = start
            sizes[k - 1] = size
            at = start + size
    assert at == end, shape
    return starts, sizes


@internal
@pure
def _hash_field(data: Bytes[MAX_HEADER], start: uint256, size: uint256,
                reason: String[60]) -> bytes32:
    assert size == 32, reason
    return extract32(data, start)


@internal
@pure
def _int_field(data: Bytes[MAX_HEADER], start: uint256, size: uint256) -> uint256:
    """@notice A minimal big-endian integer (at most 32 bytes)."""
    assert size == 0 or self._byte(data, start) != 0, \
        "StepVerifier: a header integer that is not minimal big-endian"
    assert size <= 32, "StepVerifier: a header integer over 32 bytes: not verifiable yet"
    value: uint256 = 0
    for k: uint256 in range(32):
        if k == size:
            break
        value = value * 256 + self._byte(data, start + k)
    return value


@internal
@view
def _parent_header(at: uint256, block_hash: bytes32) -> Header:
    """@notice The parent header, hashing to the parent output's block hash, decoded."""
    data: Bytes[MAX_HEADER] = self._copy(at + 32, w.uint(at), "parent_header")
    assert keccak256(data) == block_hash, "StepVerifier: parent_header is not the parent block's"
    starts: uint256[HEADER_FIELDS] = empty(uint256[HEADER_FIELDS])
    sizes: uint256[HEADER_FIELDS] = empty(uint256[HEADER_FIELDS])
    starts, sizes = self._fields(data, "StepVerifier: a header that is not RLP",
                                 "StepVerifier: a header that is not a list of 21 strings")
    hash_reason: String[60] = "StepVerifier: a header hash field that is not 32 bytes"
    h: Header = empty(Header)
    h.parent_hash = self._hash_field(data, starts[0], sizes[0], hash_reason)
    h.state_root = self._hash_field(data, starts[3], sizes[3], hash_reason)
    h.mix_hash = self._hash_field(data, starts[13], sizes[13], hash_reason)
    h.fee_word = self._hash_field(data, starts[19], sizes[19], hash_reason)
    h.number = self._int_field(data, starts[8], sizes[8])
    h.gas_limit = self._int_field(data, starts[9], sizes[9])
    h.gas_used = self._int_field(data, starts[10], sizes[10])
    h.timestamp = self._int_field(data, starts[11], sizes[11])
    h.base_fee = self._int_field(data, starts[15], sizes[15])
    # the parent's extra data matters only in the anchored layout (32 bytes); keep at most 32
    h.extra_size = sizes[12]
    if sizes[12] <= MAX_EXTRA and sizes[12] > 0:
        h.extra_data = slice(concat(extract32(concat(data, empty(bytes32)), starts[12]), b""), 0,
                             sizes[12])
    return h


@internal
@view
def _inputs(proofs: uint256, position: uint256, inputs_root: bytes32) -> Inputs:
    """@notice block_inputs as leaf `position` of inputs_root, eight canonical words, or nine
            with a non-zero L1 fee word (section 5)."""
    at: uint256 = blockio.at(proofs, 5 * 32)
    size: uint256 = w.uint(at)
    leaf: bytes32 = empty(bytes32)
    if size == BLOCK_INPUTS_BYTES:
        w.need(at + 32 + BLOCK_INPUTS_BYTES)
        leaf = keccak256(slice(msg.data, w.base() + at + 32, BLOCK_INPUTS_BYTES))
    elif size == FEE_BLOCK_INPUTS_BYTES:
        w.need(at + 32 + FEE_BLOCK_INPUTS_BYTES)
        leaf = keccak256(slice(msg.data, w.base() + at + 32, FEE_BLOCK_INPUTS_BYTES))
    else:
        leaf = keccak256(self._copy(at + 32, size, "block_inputs"))
    assert position < 2**32, "StepVerifier: cell index out of range"
    w.need(proofs + SIBLINGS_AT + 32 * 32)
    node: bytes32 = leaf
    for height: uint256 in range(32):
        sibling: bytes32 = w.word(proofs + SIBLINGS_AT + 32 * height)
        if (position >> height) & 1 == 1:
            node = keccak256(concat(sibling, node))
        else:
            node = keccak256(concat(node, sibling))
    assert node == inputs_root, "StepVerifier: block_inputs is not leaf k of inputs_root"
    assert size == BLOCK_INPUTS_BYTES or size == FEE_BLOCK_INPUTS_BYTES, \
        "StepVerifier: block inputs are 256 or 288 bytes"
    fee_word: bytes32 = empty(bytes32)
    if size == FEE_BLOCK_INPUTS_BYTES:
        fee_word = w.word(at + 32 + BLOCK_INPUTS_BYTES)
        assert fee_word != empty(bytes32), "StepVerifier: block inputs: a ninth word that is zero"
    for k: uint256 in [0, 1, 3]:
        assert w.uint(at + 32 + 32 * k) < UINT64, \
            "StepVerifier: block inputs: a uint64 or address word with high bytes set"
    assert w.uint(at + 32 + 64) < 2**160, \
        "StepVerifier: block inputs: a uint64 or address word with high bytes set"
    return Inputs(number=w.uint(at + 32), timestamp=w.uint(at + 64),
                  coinbase=w.uint(at + 96), gas_limit=w.uint(at + 128),
                  extra_data_hash=w.word(at + 160), mix_hash=w.word(at + 192),
                  txs_root=w.word(at + 224), tx_count=w.uint(at + 256), fee_word=fee_word,
                  inputs_hash=leaf)


@internal
@pure
def _extra_fields(extra: Bytes[MAX_EXTRA]) -> (uint256, uint256):
    """@notice The anchored layout's origin number and forced_through (32 bytes)."""
    tail: uint256 = convert(extract32(extra, 0), uint256) % 2**96
    return tail >> 32, tail % 2**32


@internal
@view
def _rule_broken(i: Inputs, extra: Bytes[MAX_EXTRA], extra_size: uint256,
                 p: Header) -> bool:
    """@notice state_transition.md 2.2-2.4 and 2.6 rules 1-3 (block_steps._header_rule_error):
            True when the block breaks one."""
    if i.number != p.number + 1:
        return True
    if not (p.timestamp <= i.timestamp and i.timestamp < UINT64):
        return True
    if i.gas_limit >= UINT64 or i.gas_limit < MIN_GAS_LIMIT:
        return True
    step: uint256 = max(p.gas_limit // 1024, 1)
    if i.gas_limit != p.gas_limit:
        if i.gas_limit > p.gas_limit and i.gas_limit - p.gas_limit >= step:
            return True
        if i.gas_limit < p.gas_limit and p.gas_limit - i.gas_limit >= step:
            return True
    if extra_size > MAX_EXTRA:
        return True
    if not anchored:
        return extra_size != BUILDER_LENGTH or i.mix_hash != empty(bytes32)
    if extra_size != MAX_EXTRA:
        return True
    if p.extra_size == MAX_EXTRA:
        origin: uint256 = 0
        through: uint256 = 0
        before_origin: uint256 = 0
        before_through: uint256 = 0
        origin, through = self._extra_fields(extra)
        before_origin, before_through = self._extra_fields(p.extra_data)
        if origin < before_origin:
            return True
        if origin == before_origin and i.mix_hash != p.mix_hash:
            return True
        if through < before_through:
            return True
    return False


@internal
@view
def _fee_word_broken(i: Inputs, extra: Bytes[MAX_EXTRA], extra_size: uint256,
                     p: Header) -> bool:
    """@notice state_transition.md 6.4 rules 1-2 as the chain decides them
            (block_steps._fee_word_error): no L1 fee word without l1Fee; one L1 origin named
            with one fee word (the block and its parent both in the anchored layout)."""
    if not l1_fee:
        return i.fee_word != empty(bytes32)
    if extra_size != MAX_EXTRA or p.extra_size != MAX_EXTRA:
        return False
    origin: uint256 = 0
    before_origin: uint256 = 0
    unused: uint256 = 0
    origin, unused = self._extra_fields(extra)
    before_origin, unused = self._extra_fields(p.extra_data)
    return origin == before_origin and i.fee_word != p.fee_word


@internal
@view
def _enqueued_block(index: uint256) -> uint256:
    answer: Bytes[224] = raw_call(queue, concat(method_id("items(uint256)"),
                                                convert(index, bytes32)),
                                  max_outsize=224, is_static_call=True)
    assert len(answer) == 224, "StepVerifier: the forced queue did not answer an item"
    return convert(extract32(answer, 160), uint256)


@internal
@view
def _forced_range(extra: Bytes[MAX_EXTRA], extra_size: uint256, p: Header) -> (bool, uint256,
                                                                               uint256):
    """@notice The queue items the block takes, [P.forced_through, H.forced_through), read
            from the L1 queue (block_steps.forced_range); False when H.forced_through is not
            the number of items enqueued up to the block's origin."""
    if extra_size != MAX_EXTRA or not anchored:
        return True, 0, 0
    start: uint256 = 0
    unused: uint256 = 0
    if p.extra_size == MAX_EXTRA:
        unused, start = self._extra_fields(p.extra_data)
    origin: uint256 = 0
    end: uint256 = 0
    origin, end = self._extra_fields(extra)
    answer: Bytes[32] = raw_call(queue, method_id("length()"), max_outsize=32,
                                 is_static_call=True)
    assert len(answer) == 32, "StepVerifier: the forced queue did not answer its length"
    length: uint256 = convert(answer, uint256)
    if end > length:
        return False, 0, 0
    if end > 0 and self._enqueued_block(end - 1) > origin:
        return False, 0, 0
    if end < length and self._enqueued_block(end) <= origin:
        return False, 0, 0
    # the parent's forced_through is not above this block's (a broken rule otherwise)
    return True, start, end


@internal
@view
def _hashes_root(proofs: uint256, block_hash: bytes32, grand_parent: bytes32,
                 number: uint256) -> bytes32:
    """@notice The list root of [P.hash, P.parent_hash, parent_hash(ancestors[0]), ...]:
            min(number, 256) hashes, each ancestor header hashing to the entry before its own
            (block_steps._block_hashes)."""
    count: uint256 = min(number, MAX_HASHES)
    ancestors: uint256 = blockio.at(proofs, 4 * 32)
    given: uint256 = w.uint(ancestors)
    needed: uint256 = 0
    if count > 2:
        needed = count - 2
    if given != needed:
        raise concat("StepVerifier: ", uint2str(given), " ancestor headers given, ",
                     uint2str(needed), " needed")
    level: bytes32[MAX_HASHES] = empty(bytes32[MAX_HASHES])
    level[0] = block_hash
    if count >= 2:
        level[1] = grand_parent
    for k: uint256 in range(MAX_HASHES - 2):
        if k == needed:
            break
        at: uint256 = blockio.at(ancestors + 32, 32 * k)
        data: Bytes[MAX_HEADER] = self._copy(at + 32, w.uint(at), "an ancestor header")
        assert keccak256(data) == level[k + 1], \
            "StepVerifier: an ancestor header is not the listed block's"
        starts: uint256[HEADER_FIELDS] = empty(uint256[HEADER_FIELDS])
        sizes: uint256[HEADER_FIELDS] = empty(uint256[HEADER_FIELDS])
        starts, sizes = self._fields(
            data, "StepVerifier: an ancestor header that is not RLP",
            "StepVerifier: an ancestor header that is not a Prague header")
        assert sizes[0] == 32, "StepVerifier: an ancestor header that is not a Prague header"
        level[k + 2] = extract32(data, starts[0])
    # the cell tree of depth 32 over them (cells past the list are zero)
    n: uint256 = count
    zero: bytes32 = empty(bytes32)
    for height: uint256 in range(32):
        pairs: uint256 = (n + 1) // 2
        for j: uint256 in range(MAX_HASHES // 2):
            if j == pairs:
                break
            right: bytes32 = zero
            if 2 * j + 1 < n:
                right = level[2 * j + 1]
            level[j] = keccak256(concat(level[2 * j], right))
        n = pairs
        zero = keccak256(concat(zero, zero))
    return level[0]


@internal
@view
def _no_eip4788_contracts(proofs: uint256, root: bytes32):
    """@notice The EIP-4788 and EIP-2935 accounts of the parent state: with their contract's
            exact code, block start would write (state_transition.md 5.2), which version 1
            does not prove (4.6)."""
    for pair: uint256[3] in [[7 * 32 + 32 * 32, BEACON_ROOTS, 0],
                             [8 * 32 + 32 * 32, HISTORY_STORAGE, 1]]:
        a: state.Account = blockio.account(mpt, blockio.at(proofs, pair[0]), root,
                                           pair[1], False)
        expected: bytes32 = BEACON_ROOTS_CODE_HASH
        if pair[2] == 1:
            expected = HISTORY_STORAGE_CODE_HASH
        if a.exists and a.code_hash == expected:
            raise "StepVerifier: a genesis with the EIP-4788 / EIP-2935 contract: its block-start writes are not verifiable yet"


@internal
@view
def _unread_are_zero(proofs: uint256):
    """@notice A block that breaks a rule ends before the ancestors and the two accounts are
            read: they must be empty (one accepted witness per pre-state)."""
    assert w.uint(blockio.at(proofs, 4 * 32)) == 0, \
        "StepVerifier: the step does not read ancestors, but it is not zero"
    for slot: uint256 in [7 * 32 + 32 * 32, 8 * 32 + 32 * 32]:
        t: uint256 = blockio.at(proofs, slot)
        assert w.uint(t + w.uint(t)) == 0 and w.uint(t + w.uint(t + 32)) == 0, \
            "StepVerifier: the step does not read an EIP-4788 / EIP-2935 account, but it is not zero"
    if l1_fee:
        self._unread_trie(proofs, 0, "oracle_account")
        self._unread_trie(proofs, 1, "oracle_slot_0")
        self._unread_trie(proofs, 2, "oracle_slot_1")
        self._unread_trie(proofs, 3, "oracle_slot_2")


@internal
@view
def _unread_trie(proofs: uint256, index: uint256, name: String[14]):
    """@notice The GasPriceOracle's proof `index` (FeeBlockStartProofs) is empty."""
    t: uint256 = blockio.at(proofs, ORACLE_AT + 32 * index)
    if w.uint(t + w.uint(t)) != 0 or w.uint(t + w.uint(t + 32)) != 0:
        raise concat("StepVerifier: the step does not read ", name, ", but it is not zero")


@internal
@view
def _next_base_fee(p: Header) -> uint256:
    """@notice state_transition.md 2.5 (block_parts.next_base_fee)."""
    target: uint256 = p.gas_limit // elasticity_multiplier
    fee: uint256 = p.base_fee
    if target != 0 and p.gas_used != target:
        if p.gas_used > target:
            fee = p.base_fee + max(p.base_fee * (p.gas_used - target) // target
                                   // base_fee_max_change_denominator, 1)
        else:
            fee = p.base_fee - p.base_fee * (target - p.gas_used) // target \
                // base_fee_max_change_denominator
    return max(fee, base_fee_floor)


@internal
@view
def _block_start() -> bytes32:
    w.need(PROOFS_PTR + 32)
    parent_output_root: bytes32 = w.word(32)
    inputs_root: bytes32 = w.word(64)
    position: uint256 = w.uint(96)
    assert keccak256(abi_encode(PHASE_BLOCK_START, parent_output_root, inputs_root, position)) \
        == w.pre_state(), "StepVerifier: the witness is not the first state's preimage"
    proofs: uint256 = w.uint(PROOFS_PTR)

    # 1. the parent output's preimage and the parent header
    state_root: bytes32 = w.word(proofs)
    block_hash: bytes32 = w.word(proofs + 64)
    assert keccak256(concat(empty(bytes32), state_root, w.word(proofs + 32), block_hash)) \
        == parent_output_root, "StepVerifier: parent is not the preimage of the parent output root"
    parent: Header = self._parent_header(blockio.at(proofs, 3 * 32), block_hash)
    assert parent.state_root == state_root, \
        "StepVerifier: the parent header's state root is not the parent output's"

    # 2. the block's inputs and extra data
    i: Inputs = self._inputs(proofs, position, inputs_root)
    extra_at: uint256 = blockio.at(proofs, 6 * 32 + 32 * 32)
    extra_size: uint256 = w.uint(extra_at)
    extra_bytes: Bytes[MAX_HEADER] = self._copy(extra_at + 32, extra_size, "extra_data")
    assert keccak256(extra_bytes) == i.extra_data_hash, "StepVerifier: extra_data is not the block's"
    extra: Bytes[MAX_EXTRA] = b""
    if extra_size <= MAX_EXTRA and extra_size > 0:
        extra = slice(concat(extract32(concat(extra_bytes, empty(bytes32)), 0), b""), 0, extra_size)

    # 3-4. the header rules and the forced items: a broken one is the invalid final state
    ok: bool = not self._rule_broken(i, extra, extra_size, parent) and \
        not self._fee_word_broken(i, extra, extra_size, parent)
    start: uint256 = 0
    end: uint256 = 0
    if ok:
        ok, start, end = self._forced_range(extra, extra_size, parent)
    if not ok:
        self._unread_are_zero(proofs)
        return keccak256(abi_encode(PHASE_DONE, empty(bytes32)))

    # 5. the block-hash list; 6. no EIP-4788 / EIP-2935 contract in the parent state
    hashes_root: bytes32 = self._hashes_root(proofs, block_hash, parent.parent_hash, i.number)
    self._no_eip4788_contracts(proofs, state_root)
    # 6a. on a chain with the L1 fee, the GasPriceOracle's writes
    # (StepOracle, L1's size limit: it reads the parent's state root and the fee word checked
    # above from the same calldata)
    if l1_fee:
        answer: Bytes[32] = raw_call(oracle, msg.data, max_outsize=32, is_static_call=True)
        assert len(answer) == 32, "StepVerifier: the oracle part returned nothing"
        state_root = extract32(answer, 0)

    # 7. the post-state
    block_h: bytes32 = keccak256(abi_encode(
        i.number, i.timestamp, i.coinbase, i.gas_limit, self._next_base_fee(parent), i.mix_hash,
        chain_id, parent_output_root, i.inputs_hash, hashes_root))
    totals: bytes32 = keccak256(abi_encode(state.BLANK_ROOT, state.BLANK_ROOT,
                                           empty(bytes32[BLOOM_WORDS]), start, end))
    context_h: bytes32 = keccak256(abi_encode(state_root, state.BLANK_ROOT, state.BLANK_ROOT,
                                              state.BLANK_ROOT, empty(uint256), empty(bytes32),
                                              empty(uint256), empty(uint256), totals))
    phase: uint256 = PHASE_BLOCK_END
    if start < end or i.tx_count > 0:
        phase = PHASE_TX_START
    return keccak256(abi_encode(phase, block_h, ZERO_TX_HASH, context_h, empty(bytes32)))


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for phase 1."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_BLOCK_START, "StepVerifier: phase routed to the wrong part"
    return self._block_start()
