# pragma version 0.4.3
"""
@title What the block-level parts read from their witness (docs/fault_proofs.md 4)
@notice Byte strings and trie fields of a phase 1, 2, 4 or 5 witness, read where they lie in
        the calldata (witness.vy's offsets), and the state trie through StepMpt. A trie field
        is (bytes proof, bytes extra): `extra` is refused unless the step deletes with it, as
        the reference's WitnessIO refuses a field the step did not read.
"""

import state
import witness as w

MAX_BYTES: constant(uint256) = 75776
BYTE_WORDS: constant(uint256) = 2368


@internal
@view
def at(head: uint256, slot: uint256) -> uint256:
    """@notice The witness offset of the dynamic item whose ABI offset word is at `head + slot`
            (offsets count from `head`, the start of the enclosing tuple)."""
    return head + w.uint(head + slot)


@internal
@view
def byte_at(at: uint256) -> uint256:
    """@notice Byte `at` of the witness."""
    w.need(at + 1)
    return convert(slice(msg.data, w.base() + at, 1), uint256)


@internal
@view
def copy(at: uint256, size: uint256) -> Bytes[MAX_BYTES]:
    """@notice `size` bytes of the witness at `at`, copied word by word (a last word past the
            calldata's end is read from the end and shifted)."""
    assert size <= MAX_BYTES, "StepVerifier: a witness item over 75,776 bytes: not verifiable yet"
    w.need(at + size)
    start: uint256 = w.base() + at
    n: uint256 = len(msg.data)
    words: bytes32[BYTE_WORDS] = empty(bytes32[BYTE_WORDS])
    for k: uint256 in range(BYTE_WORDS):
        if 32 * k >= size:
            break
        p: uint256 = start + 32 * k
        if p + 32 <= n:
            words[k] = extract32(slice(msg.data, p, 32), 0)
        else:
            words[k] = convert(convert(slice(msg.data, n - 32, 32), uint256) << (8 * (p + 32 - n)),
                               bytes32)
    return slice(abi_encode(words), 0, size)


@internal
@view
def small(at: uint256, size: uint256) -> Bytes[state.MAX_PROOF]:
    """@notice `size` bytes (at most 16,384) of the witness at `at`."""
    assert size <= state.MAX_PROOF, \
        "StepVerifier: a trie proof over 16,384 bytes: not verifiable yet"
    words: bytes32[state.PROOF_WORDS] = empty(bytes32[state.PROOF_WORDS])
    w.need(at + size)
    for k: uint256 in range(state.PROOF_WORDS):
        if 32 * k >= size:
            break
        words[k] = w.word(at + 32 * k)
    return slice(abi_encode(words), 0, size)


@internal
@view
def trie_read(mpt: address, field: uint256, root: bytes32, key: bytes32,
              deleting: bool) -> (bool, Bytes[state.VALUE_BYTES]):
    """@notice The value at `key` of `root` through the Trie at witness offset `field`."""
    p: uint256 = field + w.uint(field)
    e: uint256 = field + w.uint(field + 32)
    size: uint256 = w.uint(p)
    assert deleting or w.uint(e) == 0, \
        "StepVerifier: an extra node for a proof that deletes nothing"
    answer: Bytes[256] = raw_call(
        mpt, concat(method_id("read(bytes32,bytes32,uint256)"), root, key,
                    convert(size, bytes32), self.small(p + 32, size)),
        max_outsize=256, is_static_call=True)
    found_size: uint256 = convert(extract32(answer, 64), uint256)
    assert found_size <= state.VALUE_BYTES, "StepVerifier: a trie value over 128 bytes"
    padded: Bytes[384] = concat(answer, empty(bytes32), empty(bytes32), empty(bytes32),
                                empty(bytes32))
    found_value: Bytes[state.VALUE_BYTES] = slice(slice(padded, 96, state.VALUE_BYTES), 0,
                                                  found_size)
    return convert(extract32(answer, 0), uint256) != 0, found_value


@internal
@view
def trie_write(mpt: address, field: uint256, root: bytes32, key: bytes32,
               stored: Bytes[state.VALUE_BYTES]) -> bytes32:
    """@notice The root after writing `stored` (empty: deleting, with the field's `extra`) at
            `key` with the same proof."""
    p: uint256 = field + w.uint(field)
    e: uint256 = field + w.uint(field + 32)
    size: uint256 = w.uint(p)
    extra_size: uint256 = w.uint(e)
    padded: Bytes[state.VALUE_BYTES + 128] = concat(stored, empty(bytes32), empty(bytes32),
                                                    empty(bytes32), empty(bytes32))
    answer: Bytes[32] = raw_call(
        mpt, concat(method_id("write(bytes32,bytes32,bytes32[4],uint256,uint256,uint256)"),
                    root, key, extract32(padded, 0), extract32(padded, 32),
                    extract32(padded, 64), extract32(padded, 96),
                    convert(len(stored), bytes32), convert(size, bytes32),
                    convert(extra_size, bytes32), self.small(p + 32, size),
                    self.small(e + 32, extra_size)),
        max_outsize=32, is_static_call=True)
    return extract32(answer, 0)


@internal
@view
def account(mpt: address, field: uint256, root: bytes32, holder: uint256,
            deleting: bool) -> state.Account:
    found: bool = False
    found_value: Bytes[state.VALUE_BYTES] = b""
    found, found_value = self.trie_read(mpt, field, root, state.address_key(holder), deleting)
    return state.decode_account(found, found_value)


@internal
@pure
def is_empty(a: state.Account) -> bool:
    """@notice EIP-161's empty account: no nonce, no balance, no code."""
    return a.nonce == 0 and a.balance == 0 and a.code_hash == state.EMPTY_CODE_HASH


@internal
@view
def no_extra(field: uint256):
    """@notice The Trie at `field` carries no extra node (the step deleted nothing with it)."""
    e: uint256 = field + w.uint(field + 32)
    assert w.uint(e) == 0, "StepVerifier: an extra node for a proof that deletes nothing"


@internal
@pure
def length_head(size: uint256, base: uint256) -> Bytes[4]:
    """@notice An RLP head for a payload of `size` bytes (base 128 a string, 192 a list)."""
    if size < 56:
        return slice(convert(base + size, bytes32), 31, 1)
    if size < 256:
        return concat(slice(convert(base + 56, bytes32), 31, 1),
                      slice(convert(size, bytes32), 31, 1))
    if size < 65536:
        return concat(slice(convert(base + 57, bytes32), 31, 1),
                      slice(convert(size, bytes32), 30, 2))
    return concat(slice(convert(base + 58, bytes32), 31, 1), slice(convert(size, bytes32), 29, 3))


@internal
@view
def rlp_item(at: uint256, end: uint256) -> (uint256, uint256, bool):
    """@notice The RLP item at witness offset `at`: where its payload starts, its size, and
            whether it is a list; refused when it runs past `end`."""
    assert at < end, "StepVerifier: an item that is not RLP"
    head: uint256 = self.byte_at(at)
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
    else:
        count: uint256 = head - base - 55
        assert count <= 3, "StepVerifier: an item that is not RLP"
        for k: uint256 in range(3):
            if k == count:
                break
            size = size * 256 + self.byte_at(at + 1 + k)
        start = at + 1 + count
    assert start + size <= end, "StepVerifier: an item that is not RLP"
    return start, size, is_list


@internal
@view
def rlp_uint(start: uint256, size: uint256) -> uint256:
    """@notice An RLP string's payload read as a big-endian integer of at most 32 bytes."""
    assert size <= 32, "StepVerifier: an integer over 32 bytes"
    value: uint256 = 0
    for k: uint256 in range(32):
        if k == size:
            break
        value = value * 256 + self.byte_at(start + k)
    return value


@internal
@view
def word_padded(at: uint256) -> uint256:
    """@notice The 32 bytes at witness offset `at`, zero past the witness's end."""
    n: uint256 = w.size()
    if at >= n:
        return 0
    if at + 32 <= n:
        return w.uint(at)
    return w.uint(n - 32) << (8 * (at + 32 - n))


@internal
@view
def fee_word(at: uint256, inputs_hash: bytes32) -> uint256:
    """@notice The block inputs at witness offset `at` checked against the block's
            `inputs_hash` (section 5: eight words, or nine with a non-zero L1 fee word), and
            their L1 fee word (zero when they have eight)."""
    size: uint256 = w.uint(at)
    w.need(at + 32 + size)
    found: bytes32 = empty(bytes32)
    if size == 256:
        found = keccak256(slice(msg.data, w.base() + at + 32, 256))
    elif size == 288:
        found = keccak256(slice(msg.data, w.base() + at + 32, 288))
    assert found == inputs_hash, "StepVerifier: block_inputs is not the block's inputs"
    if size == 256:
        return 0
    word: uint256 = w.uint(at + 32 + 256)
    assert word != 0, "StepVerifier: block inputs: a ninth word that is zero"
    return word
