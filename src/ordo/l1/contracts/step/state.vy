# pragma version 0.4.3
"""
@title Accounts, storage and the transaction's sets for a step (docs/fault_proofs.md 1.3, 3.1
       fields 6-12), through Mpt.vy
@notice A trie field of the witness is (bytes proof, bytes extra); `extra` is refused unless
        the step deletes the key with that proof, as step.py's trie_read refuses it. The walk
        itself is StepMpt's (Mpt.vy in a contract of its own): the proof is copied from the
        calldata into the call, at most MAX_PROOF bytes (a longer one, 31 branch nodes deep
        and more, is refused as not verifiable yet). Accounts and stored words are decoded and encoded as
        RLP exactly as the tracer does (a malformed one is refused, never read as zero).
"""

import core
import witness as w

ACCOUNT: constant(uint256) = 0
ACCESSED: constant(uint256) = 1
STORAGE: constant(uint256) = 2
ORIGINAL_ACCOUNT: constant(uint256) = 3
ORIGINAL_STORAGE: constant(uint256) = 4
TRANSIENT_SET: constant(uint256) = 5
VALUE_BYTES: constant(uint256) = 128
MAX_PROOF: constant(uint256) = 16384
PROOF_WORDS: constant(uint256) = 512
EMPTY_CODE_HASH: constant(bytes32) = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
BLANK_ROOT: constant(bytes32) = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421


struct Account:
    exists: bool
    nonce: uint256
    balance: uint256
    storage_root: bytes32
    code_hash: bytes32


struct Proof:
    at: uint256  # witness offset of the packed proof's bytes
    size: uint256
    extra_at: uint256
    extra_size: uint256


@internal
@view
def proof(r: core.Run, field: uint256) -> Proof:
    """@notice Where trie field `field` (0 account ... 5 transient) of the witness lies."""
    t: uint256 = r.proofs + w.uint(r.proofs + core.TRIE_PTR + 32 * field)
    p: uint256 = t + w.uint(t)
    e: uint256 = t + w.uint(t + 32)
    p_size: uint256 = w.uint(p)
    e_size: uint256 = w.uint(e)
    if p_size > MAX_PROOF or e_size > MAX_PROOF:
        raise "StepVerifier: a trie proof over 16,384 bytes: not verifiable yet"
    w.need(p + 32 + (p_size + 31) // 32 * 32)
    w.need(e + 32 + (e_size + 31) // 32 * 32)
    return Proof(at=p + 32, size=p_size, extra_at=e + 32, extra_size=e_size)


@internal
@view
def _bytes(at: uint256, size: uint256) -> Bytes[MAX_PROOF]:
    """@notice `size` bytes of the witness at `at`, copied word by word (padded to words)."""
    words: bytes32[PROOF_WORDS] = empty(bytes32[PROOF_WORDS])
    for k: uint256 in range(PROOF_WORDS):
        if 32 * k >= size:
            break
        words[k] = w.word(at + 32 * k)
    return slice(abi_encode(words), 0, size)


@internal
@view
def read(r: core.Run, mpt: address, field: uint256, root: bytes32, key: bytes32,
         deleting: bool) -> (core.Run, bool, Bytes[VALUE_BYTES]):
    """@notice The value at `key` of `root` through trie field `field`; marks the field used."""
    result: core.Run = r
    result.used = r.used | (core.USED_TRIE << field)
    p: Proof = self.proof(r, field)
    assert deleting or p.extra_size == 0, \
        "StepVerifier: an extra node for a proof that deletes nothing"
    answer: Bytes[256] = raw_call(
        mpt, concat(method_id("read(bytes32,bytes32,uint256)"), root, key,
                    convert(p.size, bytes32), self._bytes(p.at, p.size)),
        max_outsize=256, is_static_call=True)
    # StepMpt's answer is abi.encode(bool, bytes) with the value at most 128 bytes
    size: uint256 = convert(extract32(answer, 64), uint256)
    assert size <= VALUE_BYTES, "StepVerifier: a trie value over 128 bytes"
    padded: Bytes[384] = concat(answer, empty(bytes32), empty(bytes32), empty(bytes32),
                                empty(bytes32))
    value: Bytes[VALUE_BYTES] = slice(slice(padded, 96, VALUE_BYTES), 0, size)
    return result, convert(extract32(answer, 0), uint256) != 0, value


@internal
@view
def write(r: core.Run, mpt: address, field: uint256, root: bytes32, key: bytes32,
          stored: Bytes[VALUE_BYTES]) -> bytes32:
    """@notice The root after writing `stored` (empty: deleting) at `key` with the same proof."""
    p: Proof = self.proof(r, field)
    padded: Bytes[VALUE_BYTES + 128] = concat(stored, empty(bytes32), empty(bytes32),
                                              empty(bytes32), empty(bytes32))
    answer: Bytes[32] = raw_call(
        mpt, concat(method_id("write(bytes32,bytes32,bytes32[4],uint256,uint256,uint256)"),
                    root, key, extract32(padded, 0), extract32(padded, 32),
                    extract32(padded, 64), extract32(padded, 96),
                    convert(len(stored), bytes32), convert(p.size, bytes32),
                    convert(p.extra_size, bytes32), self._bytes(p.at, p.size),
                    self._bytes(p.extra_at, p.extra_size)),
        max_outsize=32, is_static_call=True)
    return extract32(answer, 0)


@internal
@pure
def slot_key(holder: uint256, slot: uint256) -> bytes32:
    """@notice keccak(address ‖ slot): the accessed-set and transient key of a slot (1.3)."""
    return keccak256(concat(slice(convert(holder, bytes32), 12, 20), convert(slot, bytes32)))


@internal
@pure
def address_key(holder: uint256) -> bytes32:
    return keccak256(slice(convert(holder, bytes32), 12, 20))


@internal
@view
def access(r: core.Run, mpt: address, key: bytes32) -> (core.Run, bool):
    """@notice Whether `key` is in the accessed set (warm, EIP-2929)."""
    result: core.Run = r
    found: bool = False
    value: Bytes[VALUE_BYTES] = b""
    result, found, value = self.read(r, mpt, ACCESSED, r.ctx.accessed_root, key, False)
    return result, found


@internal
@view
def mark_warm(r: core.Run, mpt: address, key: bytes32) -> core.Run:
    result: core.Run = r
    result.ctx.accessed_root = self.write(r, mpt, ACCESSED, r.ctx.accessed_root, key, b"\x01")
    return result


@internal
@view
def account(r: core.Run, mpt: address, holder: uint256) -> (core.Run, Account):
    """@notice The account at `holder` in the current state (exists False when absent)."""
    result: core.Run = r
    found: bool = False
    value: Bytes[VALUE_BYTES] = b""
    result, found, value = self.read(r, mpt, ACCOUNT, r.ctx.state_root,
                                     self.address_key(holder), False)
    return result, self.decode_account(found, value)


# ---------------------------------------------------------------------------------------------
# RLP of accounts and stored words
# ---------------------------------------------------------------------------------------------


@internal
@pure
def _byte(data: Bytes[VALUE_BYTES], at: uint256) -> uint256:
    assert at < len(data), "StepVerifier: an account that is not RLP of four items"
    return convert(slice(data, at, 1), uint256)


@internal
@pure
def _int_item(data: Bytes[VALUE_BYTES], at: uint256) -> (uint256, uint256):
    """@notice An RLP string at `at` read as a big-endian integer of at most 32 bytes (a single
            byte below 0x80 must stand for itself, as pyrlp requires), and where the next item
            starts."""
    head: uint256 = self._byte(data, at)
    if head < 128:
        return head, at + 1
    size: uint256 = head - 128
    assert size <= 32, "StepVerifier: an account that is not RLP of four items"
    assert at + 1 + size <= len(data), "StepVerifier: an account that is not RLP of four items"
    if size == 0:
        return 0, at + 1
    value: uint256 = convert(extract32(concat(slice(data, at + 1, size), empty(bytes32)), 0),
                             uint256) >> (8 * (32 - size))
    assert size > 1 or value >= 128, "StepVerifier: an account that is not RLP of four items"
    return value, at + 1 + size


@internal
@pure
def _hash_item(data: Bytes[VALUE_BYTES], at: uint256) -> (bytes32, uint256):
    assert self._byte(data, at) == 160, "StepVerifier: an account that is not RLP of four items"
    assert at + 33 <= len(data), "StepVerifier: an account that is not RLP of four items"
    return extract32(data, at + 1), at + 33


@internal
@pure
def decode_account(found: bool, data: Bytes[VALUE_BYTES]) -> Account:
    """@notice rlp([nonce, balance, storage_root, code_hash]) as the state trie holds it."""
    if not found:
        return empty(Account)
    head: uint256 = self._byte(data, 0)
    at: uint256 = 1
    if head == 248:
        at = 2
        assert self._byte(data, 1) == len(data) - 2 and len(data) - 2 >= 56, \
            "StepVerifier: an account that is not RLP of four items"
    else:
        assert head >= 192 and head - 192 == len(data) - 1 and head < 248, \
            "StepVerifier: an account that is not RLP of four items"
    a: Account = empty(Account)
    a.exists = True
    a.nonce, at = self._int_item(data, at)
    a.balance, at = self._int_item(data, at)
    a.storage_root, at = self._hash_item(data, at)
    a.code_hash, at = self._hash_item(data, at)
    assert at == len(data), "StepVerifier: an account that is not RLP of four items"
    return a


@internal
@pure
def encode_int(number: uint256) -> Bytes[33]:
    """@notice RLP of an integer: minimal big-endian bytes as a string."""
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
def encode_nonce(number: uint256) -> Bytes[9]:
    """@notice RLP of a nonce (below 2^64 by EIP-2681)."""
    assert number < 2**64, "StepVerifier: a nonce of 2^64 or more"
    if number == 0:
        return b"\x80"
    if number < 128:
        return slice(convert(number, bytes32), 31, 1)
    size: uint256 = 0
    for k: uint256 in range(8):
        if number >> (8 * k) == 0:
            break
        size = k + 1
    eight: Bytes[8] = slice(convert(number << (8 * (32 - size)), bytes32), 0, 8)
    return concat(slice(convert(128 + size, bytes32), 31, 1), slice(eight, 0, size))


@internal
@pure
def encode_account(a: Account) -> Bytes[VALUE_BYTES]:
    payload: Bytes[108] = concat(self.encode_nonce(a.nonce), self.encode_int(a.balance),
                                         b"\xa0", a.storage_root, b"\xa0", a.code_hash)
    if len(payload) < 56:
        return concat(slice(convert(192 + len(payload), bytes32), 31, 1), payload)
    return concat(b"\xf8", slice(convert(len(payload), bytes32), 31, 1), payload)


@internal
@pure
def decode_word(found: bool, data: Bytes[VALUE_BYTES]) -> uint256:
    """@notice A stored word: RLP of its minimal big-endian bytes (absent: zero)."""
    if not found:
        return 0
    word: uint256 = 0
    at: uint256 = 0
    word, at = self._int_item(data, 0)
    assert at == len(data), "StepVerifier: a stored value that is not RLP"
    return word


@internal
@pure
def encode_word(number: uint256) -> Bytes[VALUE_BYTES]:
    """@notice What a trie stores for `number`: empty (absent) for zero."""
    if number == 0:
        return b""
    return self.encode_int(number)


# ---------------------------------------------------------------------------------------------
# The listed trie proofs (`tries`, field 16): read in the order the step reads them (3.8, 3.9)
# ---------------------------------------------------------------------------------------------


@internal
@view
def listed_proof(r: core.Run, k: uint256) -> Proof:
    """@notice Where `tries[k]` lies (its `extra` must be empty: no listed proof deletes)."""
    at: uint256 = r.proofs + w.uint(r.proofs + core.TRIES_PTR)
    assert w.uint(at) > k, "StepVerifier: too few listed trie proofs (tries)"
    t: uint256 = at + 32 + w.uint(at + 32 + 32 * k)
    p: uint256 = t + w.uint(t)
    e: uint256 = t + w.uint(t + 32)
    size: uint256 = w.uint(p)
    if size > MAX_PROOF:
        raise "StepVerifier: a trie proof over 16,384 bytes: not verifiable yet"
    assert w.uint(e) == 0, "StepVerifier: an extra node for a proof that deletes nothing"
    w.need(p + 32 + (size + 31) // 32 * 32)
    return Proof(at=p + 32, size=size, extra_at=e + 32, extra_size=0)


@internal
@view
def read_at(mpt: address, p: Proof, root: bytes32, key: bytes32) -> (bool, Bytes[VALUE_BYTES]):
    """@notice The value at `key` of `root` by the proof `p` (found, value)."""
    answer: Bytes[256] = raw_call(
        mpt, concat(method_id("read(bytes32,bytes32,uint256)"), root, key,
                    convert(p.size, bytes32), self._bytes(p.at, p.size)),
        max_outsize=256, is_static_call=True)
    size: uint256 = convert(extract32(answer, 64), uint256)
    assert size <= VALUE_BYTES, "StepVerifier: a trie value over 128 bytes"
    padded: Bytes[384] = concat(answer, empty(bytes32), empty(bytes32), empty(bytes32),
                                empty(bytes32))
    return convert(extract32(answer, 0), uint256) != 0, \
        slice(slice(padded, 96, VALUE_BYTES), 0, size)


@internal
@view
def write_at(mpt: address, p: Proof, root: bytes32, key: bytes32,
             stored: Bytes[VALUE_BYTES]) -> bytes32:
    """@notice The root after writing `stored` at `key` of `root` with the proof `p` (its
            `extra` empty: nothing written this way deletes)."""
    padded: Bytes[VALUE_BYTES + 128] = concat(stored, empty(bytes32), empty(bytes32),
                                              empty(bytes32), empty(bytes32))
    answer: Bytes[32] = raw_call(
        mpt, concat(method_id("write(bytes32,bytes32,bytes32[4],uint256,uint256,uint256)"),
                    root, key, extract32(padded, 0), extract32(padded, 32),
                    extract32(padded, 64), extract32(padded, 96),
                    convert(len(stored), bytes32), convert(p.size, bytes32),
                    convert(0, bytes32), self._bytes(p.at, p.size)),
        max_outsize=32, is_static_call=True)
    return extract32(answer, 0)


@internal
@view
def field_proof(r: core.Run, field: uint256) -> (core.Run, Proof):
    """@notice Trie field `field` marked used, its `extra` refused (a read or write that
            deletes nothing): for read_at and write_at."""
    result: core.Run = r
    result.used = r.used | (core.USED_TRIE << field)
    p: Proof = self.proof(r, field)
    assert p.extra_size == 0, "StepVerifier: an extra node for a proof that deletes nothing"
    return result, p


@internal
@view
def listed_read(mpt: address, r: core.Run, k: uint256, root: bytes32,
                key: bytes32) -> (bool, Bytes[VALUE_BYTES]):
    """@notice The value at `key` of `root` by `tries[k]` (found, value)."""
    return self.read_at(mpt, self.listed_proof(r, k), root, key)


@internal
@view
def listed_write(mpt: address, r: core.Run, k: uint256, root: bytes32, key: bytes32,
                 stored: Bytes[VALUE_BYTES]) -> bytes32:
    """@notice The root after writing `stored` at `key` of `root` with `tries[k]`."""
    return self.write_at(mpt, self.listed_proof(r, k), root, key, stored)


@internal
@view
def listed_account(mpt: address, r: core.Run, k: uint256, holder: uint256) -> Account:
    """@notice The account at `holder` in the current state by `tries[k]`."""
    found: bool = False
    value: Bytes[VALUE_BYTES] = b""
    found, value = self.listed_read(mpt, r, k, r.ctx.state_root, self.address_key(holder))
    return self.decode_account(found, value)


@internal
@view
def lists_read(r: core.Run, listed: uint256, cells_written: uint256) -> core.Run:
    """@notice Check that `tries` holds exactly the `listed` proofs read and `caller_memory`
            exactly the `cells_written` cells written; core.finished then leaves both lists
            alone (USED_LISTS)."""
    assert w.uint(r.proofs + w.uint(r.proofs + core.TRIES_PTR)) == listed and \
        w.uint(r.proofs + w.uint(r.proofs + core.CALLER_MEMORY_PTR)) == cells_written, \
        "StepVerifier: not the trie proofs the step reads or the caller memory cells it writes"
    result: core.Run = r
    result.used = r.used | core.USED_LISTS
    return result
