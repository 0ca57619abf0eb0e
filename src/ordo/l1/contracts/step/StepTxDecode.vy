# pragma version 0.4.3
"""
@title A raw transaction decoded as py-evm's Prague builder decodes it, its sender recovered
@notice docs/fault_proofs.md 4.2 step 2, as ordo.core.transaction.decode_transaction decides it
        (the Python reference's decoder): types 0 (legacy, EIP-155 `v` or 27/28), 1, 2 and 4;
        pyrlp's strict decoding (canonical length prefixes, a single byte below 0x80 as
        itself, no bytes after the list, exactly the sedes' field count), integers without a
        leading zero byte (any length: an integer over 32 bytes is reported, not refused, as
        py-evm decodes it and the inclusion rules then refuse it), `to` and every address of 0
        or 20 bytes, storage keys of exactly 32 bytes, authorizations of six items; then EIP-2's
        signature bounds (0 < r < n, 0 < s <= n/2, y parity 0 or 1) and the sender by L1's
        ecrecover on the signing hash (a typed transaction's message sliced from its own bytes,
        as typed_signing_message does; a legacy one's rebuilt from its first six items with
        EIP-155's chain id). A transaction the reference refuses reverts with exactly REFUSED,
        so the caller can tell a refusal from any other failure (out of gas: no data), which
        must revert the step, never decide it. Also counted here for the inclusion rules:
        py-evm's intrinsic gas with EIP-3860's words, the EIP-7623 floor, the access list's
        keys (the first 32 hashed, as tx_start.warm_keys orders them) and the authorizations.
        The caller sends the bytes ABI-encoded with 32 zero bytes after them (words are read
        in place from the calldata).
"""

MAX_TX: constant(uint256) = 49152
MAX_ITEMS: constant(uint256) = 49152
FIRST_KEYS: constant(uint256) = 32
AT: constant(uint256) = 68  # the transaction's first byte in the calldata
SECP256K1_N: constant(uint256) = 115792089237316195423570985008687907852837564279074904382605163141518161494337
RECOVER_GAS: constant(uint256) = 6000
UINT64_MAX: constant(uint256) = 2**64 - 1
ECRECOVER: constant(address) = 0x0000000000000000000000000000000000000001
ONES: constant(uint256) = 454086624460063511464984254936031011189294057512315937409637584344757371137
LOW7: constant(uint256) = 57669001306428065956053000376875938421040345304064124051023973211784186134399
HIGH: constant(uint256) = 58123087930888129467517984631811969432229639361576439988433610796128943505536

# the answer's words
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


@internal
@view
def _byte(i: uint256) -> uint256:
    return convert(slice(msg.data, AT + i, 1), uint256)


@internal
@view
def _item(at: uint256, end: uint256) -> (uint256, uint256, bool):
    """@notice pyrlp's strict item at `at`: its payload's start and size and whether it is a
            list; REFUSED when it is not canonical or runs past `end`."""
    assert at < end, "StepTxDecode: refused"
    head: uint256 = self._byte(at)
    if head < 128:
        return at, 1, False
    is_list: bool = head >= 192
    base: uint256 = 128
    if is_list:
        base = 192
    start: uint256 = at + 1
    size: uint256 = 0
    if head < base + 56:
        size = head - base
        if size == 1 and not is_list:
            assert start < end and self._byte(start) >= 128, "StepTxDecode: refused"
    else:
        count: uint256 = head - base - 55
        assert count <= 3, "StepTxDecode: refused"  # longer than the transaction can be
        assert start + count <= end and self._byte(start) != 0, "StepTxDecode: refused"
        for k: uint256 in range(3):
            if k == count:
                break
            size = size * 256 + self._byte(start + k)
        assert size >= 56, "StepTxDecode: refused"
        start += count
    assert start + size <= end, "StepTxDecode: refused"
    return start, size, is_list


@internal
@view
def _int(start: uint256, size: uint256, is_list: bool) -> (uint256, bool):
    """@notice A big_endian_int field: a string without a leading zero byte; (value, whether it
            is over 32 bytes)."""
    assert not is_list, "StepTxDecode: refused"
    if size == 0:
        return 0, False
    assert self._byte(start) != 0, "StepTxDecode: refused"
    if size > 32:
        return 0, True
    return convert(slice(msg.data, AT + start, 32), uint256) >> (8 * (32 - size)), False


@internal
@view
def _address(start: uint256, size: uint256, is_list: bool) -> uint256:
    """@notice An `address` field: a string of 0 or 20 bytes."""
    assert not is_list and (size == 0 or size == 20), "StepTxDecode: refused"
    if size == 0:
        return 0
    return convert(slice(msg.data, AT + start, 32), uint256) >> 96


@internal
@view
def _nonzero(start: uint256, size: uint256) -> uint256:
    """@notice The non-zero bytes of `size` bytes at `start`, a word at a time."""
    count: uint256 = 0
    for k: uint256 in range(MAX_TX // 32):
        if unsafe_mul(k, 32) >= size:
            break
        x: uint256 = convert(slice(msg.data, AT + start + unsafe_mul(k, 32), 32), uint256)
        # bit 7 of each byte set exactly when the byte is not zero
        y: uint256 = (unsafe_add(x & LOW7, LOW7) | x) & HIGH
        left: uint256 = size - unsafe_mul(k, 32)
        if left < 32:
            y = y & ~((1 << (8 * (32 - left))) - 1)
        count = unsafe_add(count, unsafe_mul(y >> 7, ONES) >> 248)
    return count


@internal
@pure
def _rlp_int(number: uint256) -> Bytes[33]:
    if number == 0:
        return b"\x80"
    if number < 128:
        return slice(convert(number, bytes32), 31, 1)
    size: uint256 = 0
    for k: uint256 in range(32):
        if number >> (8 * k) == 0:
            break
        size = k + 1
    return concat(slice(convert(128 + size, bytes32), 31, 1),
                  slice(convert(number << (8 * (32 - size)), bytes32), 0, size))


@internal
@pure
def _list_head(size: uint256) -> Bytes[4]:
    if size < 56:
        return slice(convert(192 + size, bytes32), 31, 1)
    if size < 256:
        return concat(b"\xf8", slice(convert(size, bytes32), 31, 1))
    if size < 65536:
        return concat(b"\xf9", slice(convert(size, bytes32), 30, 2))
    return concat(b"\xfa", slice(convert(size, bytes32), 29, 3))


@external
@view
def decode(raw: Bytes[MAX_TX]) -> (uint256[17], bytes32[FIRST_KEYS]):
    """@notice The transaction's fields (S_* words) and its first 32 access-list keys, or a
            revert with REFUSED."""
    n: uint256 = len(raw)
    assert convert(slice(msg.data, 4, 32), uint256) == 32 and len(msg.data) >= AT + n + 32, \
        "StepTxDecode: the bytes are not followed by a zero word"
    assert n > 0, "StepTxDecode: refused"
    out: uint256[17] = empty(uint256[17])
    keys: bytes32[FIRST_KEYS] = empty(bytes32[FIRST_KEYS])
    first: uint256 = self._byte(0)
    tx_type: uint256 = 0
    at: uint256 = 0
    if first < 128:
        assert first == 1 or first == 2 or first == 4, "StepTxDecode: refused"
        tx_type = first
        at = 1
    start: uint256 = 0
    size: uint256 = 0
    is_list: bool = False
    start, size, is_list = self._item(at, n)
    assert is_list and start + size == n, "StepTxDecode: refused"
    fields: uint256 = 9
    if tx_type == 1:
        fields = 11
    elif tx_type == 2:
        fields = 12
    elif tx_type == 4:
        fields = 13
    heads: uint256[14] = empty(uint256[14])
    starts: uint256[13] = empty(uint256[13])
    sizes: uint256[13] = empty(uint256[13])
    lists: bool[13] = empty(bool[13])
    p: uint256 = start
    for k: uint256 in range(13):
        if k == fields:
            break
        heads[k] = p
        starts[k], sizes[k], lists[k] = self._item(p, n)
        p = starts[k] + sizes[k]
    heads[fields] = p
    assert p == n, "StepTxDecode: refused"  # exactly the sedes' fields

    # where each field lies: legacy [nonce, gas_price, gas, to, value, data, v, r, s]
    o: uint256 = 0  # the nonce's index
    big: bool = False
    b: bool = False
    if tx_type != 0:
        o = 1
        out[S_HAS_CHAIN] = 1
        out[S_CHAIN], big = self._int(starts[0], sizes[0], lists[0])
    out[S_NONCE], b = self._int(starts[o], sizes[o], lists[o])
    big = big or b
    out[S_MAX_FEE], b = self._int(starts[o + 1], sizes[o + 1], lists[o + 1])
    big = big or b
    out[S_TIP] = out[S_MAX_FEE]
    if tx_type == 2 or tx_type == 4:
        # [chain, nonce, tip, max_fee, ...]: the field read was the tip
        out[S_MAX_FEE], b = self._int(starts[o + 2], sizes[o + 2], lists[o + 2])
        big = big or b
        o += 1
    out[S_GAS], b = self._int(starts[o + 2], sizes[o + 2], lists[o + 2])
    big = big or b
    out[S_CREATE] = convert(sizes[o + 3] == 0, uint256)
    out[S_TO] = self._address(starts[o + 3], sizes[o + 3], lists[o + 3])
    out[S_VALUE], b = self._int(starts[o + 4], sizes[o + 4], lists[o + 4])
    big = big or b
    assert not lists[o + 5], "StepTxDecode: refused"
    data_at: uint256 = starts[o + 5]
    data_size: uint256 = sizes[o + 5]

    # the access list: [[address, [key32, ...]], ...]; the authorizations: 6-item lists
    gas: uint256 = 21000
    list_keys: uint256 = 0
    if tx_type != 0:
        k: uint256 = o + 6
        assert lists[k], "StepTxDecode: refused"
        q: uint256 = starts[k]
        end: uint256 = starts[k] + sizes[k]
        for e: uint256 in range(MAX_ITEMS):
            if q >= end:
                break
            entry_at: uint256 = 0
            entry_size: uint256 = 0
            entry_list: bool = False
            entry_at, entry_size, entry_list = self._item(q, end)
            assert entry_list, "StepTxDecode: refused"
            q = entry_at + entry_size
            a_at: uint256 = 0
            a_size: uint256 = 0
            a_list: bool = False
            a_at, a_size, a_list = self._item(entry_at, q)
            holder: uint256 = self._address(a_at, a_size, a_list)
            s_at: uint256 = 0
            s_size: uint256 = 0
            s_list: bool = False
            s_at, s_size, s_list = self._item(a_at + a_size, q)
            assert s_list and s_at + s_size == q, "StepTxDecode: refused"
            address_bytes: Bytes[20] = b""
            if a_size == 20:
                address_bytes = slice(convert(holder << 96, bytes32), 0, 20)
            if list_keys < FIRST_KEYS:
                keys[list_keys] = keccak256(address_bytes)
            list_keys += 1
            gas += 2400
            r: uint256 = s_at
            for j: uint256 in range(MAX_ITEMS):
                if r >= q:
                    break
                key_at: uint256 = 0
                key_size: uint256 = 0
                key_list: bool = False
                key_at, key_size, key_list = self._item(r, q)
                assert not key_list and key_size == 32, "StepTxDecode: refused"
                r = key_at + 32
                if list_keys < FIRST_KEYS:
                    keys[list_keys] = keccak256(concat(address_bytes,
                                                       slice(msg.data, AT + key_at, 32)))
                list_keys += 1
                gas += 1900
        if tx_type == 4:
            k += 1
            assert lists[k], "StepTxDecode: refused"
            q = starts[k]
            end = starts[k] + sizes[k]
            for e: uint256 in range(MAX_ITEMS):
                if q >= end:
                    break
                entry_at: uint256 = 0
                entry_size: uint256 = 0
                entry_list: bool = False
                entry_at, entry_size, entry_list = self._item(q, end)
                assert entry_list, "StepTxDecode: refused"
                q = entry_at + entry_size
                r: uint256 = entry_at
                for j: uint256 in range(6):
                    item_at: uint256 = 0
                    item_size: uint256 = 0
                    item_list: bool = False
                    item_at, item_size, item_list = self._item(r, q)
                    r = item_at + item_size
                    if j == 1:
                        ignored: uint256 = self._address(item_at, item_size, item_list)
                    else:
                        ignored_int: uint256 = 0
                        ignored_big: bool = False
                        ignored_int, ignored_big = self._int(item_at, item_size, item_list)
                assert r == q, "StepTxDecode: refused"
                out[S_AUTHORIZATIONS] += 1
                gas += 25000
    out[S_LIST_KEYS] = list_keys

    # the signature (EIP-2) and the signing message
    y: uint256 = 0
    y_big: bool = False
    r_value: uint256 = 0
    r_big: bool = False
    s_value: uint256 = 0
    s_big: bool = False
    y, y_big = self._int(starts[fields - 3], sizes[fields - 3], lists[fields - 3])
    r_value, r_big = self._int(starts[fields - 2], sizes[fields - 2], lists[fields - 2])
    s_value, s_big = self._int(starts[fields - 1], sizes[fields - 1], lists[fields - 1])
    assert not r_big and not s_big, "StepTxDecode: refused"
    assert r_value > 0 and r_value < SECP256K1_N, "StepTxDecode: refused"
    assert s_value > 0 and s_value <= SECP256K1_N // 2, "StepTxDecode: refused"
    message_hash: bytes32 = empty(bytes32)
    if tx_type == 0:
        # v: 27/28, or EIP-155's 35 + 2 * chain_id + parity
        assert not y_big, "StepVerifier: a legacy transaction's v over 32 bytes: not verifiable yet"
        v: uint256 = y
        unsigned: Bytes[MAX_TX] = slice(raw, heads[0], heads[6] - heads[0])
        if v >= 35:
            y = 1 - v % 2
            chain_id: uint256 = (v - 35 - y) // 2
            out[S_HAS_CHAIN] = 1
            out[S_CHAIN] = chain_id
            tail: Bytes[35] = concat(self._rlp_int(chain_id), b"\x80\x80")
            if chain_id == 0:
                tail = b"\x00\x80\x80"  # int_to_big_endian(0) is one zero byte
            message_hash = keccak256(concat(self._list_head(len(unsigned) + len(tail)),
                                            unsigned, tail))
        else:
            assert v == 27 or v == 28, "StepTxDecode: refused"
            y = v - 27
            message_hash = keccak256(concat(self._list_head(len(unsigned)), unsigned))
    else:
        body: uint256 = heads[fields - 3] - heads[0]
        message_hash = keccak256(concat(slice(raw, 0, 1), self._list_head(body),
                                        slice(raw, heads[0], body)))
    assert not y_big and y <= 1, "StepTxDecode: refused"
    # L1's precompile with a bounded gas; a failed call (too little gas) is never a refusal
    assert msg.gas > RECOVER_GAS + RECOVER_GAS // 63 + 5000, \
        "StepVerifier: too little gas left for ecrecover"
    ok: bool = False
    recovered: Bytes[32] = b""
    ok, recovered = raw_call(ECRECOVER, concat(message_hash, convert(27 + y, bytes32),
                                               convert(r_value, bytes32),
                                               convert(s_value, bytes32)),
                             max_outsize=32, gas=RECOVER_GAS, is_static_call=True,
                             revert_on_failure=False)
    assert ok, "StepVerifier: L1's ecrecover failed"
    assert len(recovered) == 32, "StepTxDecode: refused"
    out[S_SENDER] = convert(extract32(recovered, 0), uint256)
    assert out[S_SENDER] != 0, "StepTxDecode: refused"

    # intrinsic gas (with EIP-3860's words) and the EIP-7623 floor
    nonzero: uint256 = self._nonzero(data_at, data_size)
    gas += 4 * data_size + 12 * nonzero
    if out[S_CREATE] == 1:
        gas += 32000 + 2 * ((data_size + 31) // 32)
    out[S_TYPE] = tx_type
    out[S_BIG] = convert(big, uint256)
    out[S_DATA_SIZE] = data_size
    out[S_INTRINSIC] = gas
    out[S_FLOOR] = 21000 + 10 * (data_size + 3 * nonzero)
    return out, keys


@external
@pure
def included(words: uint256[17], nonce: uint256, balance: uint256, eoa: bool,
             chain_id: uint256, base_fee: uint256, gas_limit: uint256,
             cumulative_gas: uint256) -> bool:
    """@notice transaction_rules.inclusion_error finds nothing (without the L1 fee) for the
            decoded `words` and the sender's account (`eoa`: no code, or an EIP-7702
            delegation, EIP-3607) in a block of `chain_id`, `base_fee`, `gas_limit` with
            `cumulative_gas` used: the chain id, the nonce (below 2^64 - 1), the fee caps, the
            gas (uint64, the block's gas left), gas * max_fee + value against the balance,
            EIP-7702's shape, EIP-3860's size, the intrinsic gas and the EIP-7623 floor."""
    if words[S_BIG] == 1:
        return False  # an integer over 32 bytes: a chain id, nonce, fee, gas or value refused
    if words[S_HAS_CHAIN] == 1 and words[S_CHAIN] != chain_id:
        return False
    if nonce >= UINT64_MAX or words[S_NONCE] != nonce or not eoa:
        return False
    if words[S_TIP] > words[S_MAX_FEE] or words[S_MAX_FEE] < base_fee:
        return False
    gas: uint256 = words[S_GAS]
    if gas > UINT64_MAX or cumulative_gas > gas_limit or gas > gas_limit - cumulative_gas:
        return False
    if gas != 0 and words[S_MAX_FEE] > (max_value(uint256) - words[S_VALUE]) // gas:
        return False  # gas * max_fee + value is 2^256 or more: over any balance
    if balance < gas * words[S_MAX_FEE] + words[S_VALUE]:
        return False
    if words[S_TYPE] == 4 and (words[S_CREATE] == 1 or words[S_AUTHORIZATIONS] == 0):
        return False
    if words[S_CREATE] == 1 and words[S_DATA_SIZE] > MAX_TX:
        return False
    return gas >= words[S_INTRINSIC] and gas >= words[S_FLOOR]
