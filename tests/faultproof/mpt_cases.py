"""Tries, operations and corrupted proofs shared by the Python tests of mpt_proof and the anvil
tests of Mpt.vy, so both sides are held to the same roots and the same refusals.

Tries are py-trie's ``HexaryTrie`` (the trie py-evm keeps its state in) over 32-byte keys given
as they are (the callers' keys are already ``keccak(key)``): choosing the key bytes is what lets a
test build embedded nodes, long shared prefixes and the deepest tries. Hand-made nodes (for the
refusals a real trie cannot contain) are built with the small encoders below, not with the code
under test.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from eth_hash.auto import keccak
from trie import HexaryTrie

from ordo.faultproof import mpt_proof

BLANK_ROOT = mpt_proof.BLANK_ROOT


# ---------------------------------------------------------------------------------------------
# Independent RLP and node encoders (for forged tries)
# ---------------------------------------------------------------------------------------------


def enc_str(payload: bytes) -> bytes:
    if len(payload) == 1 and payload[0] < 0x80:
        return payload
    if len(payload) < 56:
        return bytes([0x80 + len(payload)]) + payload
    return bytes([0xB8, len(payload)]) + payload


def enc_list(*items: bytes) -> bytes:
    payload = b"".join(items)
    if len(payload) < 56:
        return bytes([0xC0 + len(payload)]) + payload
    if len(payload) < 256:
        return bytes([0xF8, len(payload)]) + payload
    return bytes([0xF9, len(payload) >> 8, len(payload) & 255]) + payload


def hex_prefix(nibbles: list[int], leaf: bool) -> bytes:
    flag = 2 if leaf else 0
    if len(nibbles) % 2:
        packed = [(flag + 1) * 16 + nibbles[0]]
        rest = nibbles[1:]
    else:
        packed = [flag * 16]
        rest = nibbles
    return bytes(packed + [rest[i] * 16 + rest[i + 1] for i in range(0, len(rest), 2)])


def nibbles_of(key: bytes) -> list[int]:
    return [n for byte in key for n in (byte >> 4, byte & 15)]


def leaf(nibbles: list[int], value: bytes) -> bytes:
    return enc_list(enc_str(hex_prefix(nibbles, True)), enc_str(value))


def extension(nibbles: list[int], child_reference: bytes) -> bytes:
    return enc_list(enc_str(hex_prefix(nibbles, False)), child_reference)


def ref(node: bytes) -> bytes:
    """A parent's reference to ``node``: embedded below 32 bytes, else its hash."""
    return node if len(node) < 32 else enc_str(keccak(node))


def hash_ref(node: bytes) -> bytes:
    return enc_str(keccak(node))


def branch(children: dict[int, bytes], value: bytes = b"\x80") -> bytes:
    return enc_list(*[children.get(index, b"\x80") for index in range(16)], value)


# ---------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One read-and-write through a proof: the trie's root before, the key, the value written
    (None: deleted), the witness, and what HexaryTrie says: the value read and the new root."""

    root: bytes
    key: bytes
    value: bytes | None
    proof: bytes
    extra: bytes
    read: bytes | None
    new_root: bytes


def random_value(rng: random.Random) -> bytes:
    """Values as the tries hold them: a storage value's RLP (1 to 33 bytes, embedded leaves
    when short) or an account's RLP (70 to 110 bytes), up to the 128-byte limit."""
    size = rng.choice([1, 1, 1, 2, 3, 5, 9, 20, 33, 33, 70, 110, 128])
    return bytes([rng.randrange(1, 256)]) + bytes(rng.randrange(256) for _ in range(size - 1))


def random_key(rng: random.Random, keys: list[bytes]) -> bytes:
    """A fresh key, often sharing a long prefix with a known one (deep paths, embedded
    nodes), sometimes one nibble away from it."""
    fresh = bytes(rng.randrange(256) for _ in range(32))
    if keys and rng.random() < 0.5:
        base = rng.choice(keys)
        cut = rng.randrange(64)
        base_nibbles, fresh_nibbles = nibbles_of(base), nibbles_of(fresh)
        if rng.random() < 0.5:
            mixed = base_nibbles[:cut] + fresh_nibbles[cut:]
        else:
            mixed = list(base_nibbles)
            mixed[cut] ^= rng.randrange(1, 16)
        fresh = bytes(mixed[i] * 16 + mixed[i + 1] for i in range(0, 64, 2))
    return fresh


def witness_op(trie: HexaryTrie, key: bytes, value: bytes | None) -> Op:
    """The operation with its witness built from the trie's node database, and the trie
    updated by py-trie itself to give the expected root."""
    root = trie.root_hash
    witness = mpt_proof.build_write_witness(trie.db, root, key, value)
    read = trie.get(key) or None
    if value:
        trie[key] = value
    elif trie.exists(key):
        trie.delete(key)
    return Op(root, key, value, mpt_proof.pack_proof(witness.proof), witness.extra, read,
              trie.root_hash)


def random_ops(seed: int, count: int) -> list[Op]:
    """``count`` operations on tries of random shapes: sizes 0 to 300 keys, keys clustered
    under shared prefixes, values of mixed sizes; a third of the operations delete, most on
    keys present, so branches collapse into leaves and extensions of every kind."""
    rng = random.Random(seed)
    ops: list[Op] = []
    while len(ops) < count:
        trie = HexaryTrie({})
        keys: list[bytes] = []
        for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 20, 60, 300])):
            key = random_key(rng, keys)
            keys.append(key)
            trie[key] = random_value(rng)
        for _ in range(min(12, count - len(ops))):
            present = [key for key in keys if trie.exists(key)]
            key = rng.choice(present) if present and rng.random() < 0.6 else random_key(rng, keys)
            value = None if rng.random() < 0.35 else random_value(rng)
            ops.append(witness_op(trie, key, value))
            if key not in keys:
                keys.append(key)
    return ops


def comb_trie(key: bytes, siblings_at: dict[int, int], value_size: int) -> HexaryTrie:
    """A trie where ``key``'s path has, at each depth ``d`` of ``siblings_at``, that many other
    keys branching off (each diverging from ``key`` at nibble ``d``): the shape of the path is
    chosen exactly, as in a huge trie, with a few keys."""
    trie = HexaryTrie({})
    base = nibbles_of(key)
    trie[key] = b"\x01" * value_size
    for depth, count in siblings_at.items():
        for step in range(1, count + 1):
            other = list(base)
            other[depth] = (base[depth] + step) % 16
            trie[bytes(other[i] * 16 + other[i + 1] for i in range(0, 64, 2))] = (
                b"\x02" * value_size)
    return trie


# ---------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """An operation both sides must refuse with ``reason``; ``value`` None is a read, b"" a
    deletion, otherwise a write of that value."""

    name: str
    root: bytes
    key: bytes
    proof: bytes
    reason: str
    value: bytes | None = None
    extra: bytes = b""


KEY = bytes.fromhex("1234567890abcdef" * 4)
K = nibbles_of(KEY)


def _forged(name: str, node: bytes, reason: str, value: bytes | None = None) -> Refusal:
    """A one-node trie whose root is the hash of a malformed ``node``: the hash checks pass,
    so the node's own check is what refuses it."""
    return Refusal(name, keccak(node), KEY, node, reason, value)


def _two_level(name: str, top: bytes, below: bytes, reason: str) -> Refusal:
    return Refusal(name, keccak(top), KEY, top + below, reason)


def _real_proof() -> tuple[HexaryTrie, bytes, tuple[bytes, ...]]:
    rng = random.Random(7)
    trie = HexaryTrie({})
    keys: list[bytes] = []
    for _ in range(200):
        key = bytes(rng.randrange(256) for _ in range(32))
        keys.append(key)
        trie[key] = random_value(rng)
    key = keys[17]
    proof = mpt_proof.build_proof(trie.db, trie.root_hash, key)
    assert len(proof) >= 3
    return trie, key, proof


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def proof_refusals() -> list[Refusal]:
    """Corruptions of a real proof: hashes, truncations, trailing bytes, node headers."""
    trie, key, proof = _real_proof()
    root = trie.root_hash
    blob = b"".join(proof)
    other = mpt_proof.pack_proof(mpt_proof.build_proof(trie.db, root, bytes(32)))
    second = len(proof[0])
    cases = [
        Refusal("root node byte flipped", root, key, _flip(blob, 40),
                "Mpt: first proof node does not hash to the root"),
        Refusal("inner node byte flipped", root, key, _flip(blob, second + 40),
                "Mpt: proof node does not hash to its parent's reference"),
        Refusal("wrong root", keccak(b"another root"), key, blob,
                "Mpt: first proof node does not hash to the root"),
        Refusal("last node dropped", root, key, b"".join(proof[:-1]),
                "Mpt: proof ends before the key's node"),
        Refusal("empty proof", root, key, b"", "Mpt: proof ends before the key's node"),
        Refusal("node appended", root, key, blob + proof[-1],
                "Mpt: proof has bytes after the key's node"),
        Refusal("byte appended", root, key, blob + b"\x00",
                "Mpt: proof has bytes after the key's node"),
        Refusal("last node cut short", root, key, blob[:-1],
                "Mpt: proof node runs past the end of the proof"),
        Refusal("long header cut", root, key, b"".join(proof[:-1]) + proof[-1][:1],
                "Mpt: proof node runs past the end of the proof"),
        Refusal("proof of another key", root, key, other,
                "Mpt: proof node does not hash to its parent's reference"),
        Refusal("nodes for the empty trie", BLANK_ROOT, key, proof[0],
                "Mpt: proof of the empty trie has nodes"),
        Refusal("node is a string", root, key, b"\x7f" + blob[1:],
                "Mpt: proof node is not an RLP list"),
        Refusal("node header of 3 length bytes", root, key, b"\xfa" + blob[1:],
                "Mpt: node longer than 600 bytes"),
        Refusal("node announces 608 bytes", root, key, b"\xf9\x02\x5d" + bytes(605),
                "Mpt: node longer than 600 bytes"),
    ]
    return cases


def node_refusals() -> list[Refusal]:
    """Malformed nodes under a root that is their own hash: non-canonical RLP, wrong shapes,
    every rule of a canonical trie of 64-nibble keys."""
    good_leaf_value = enc_str(b"\x05\x06")
    path = enc_str(hex_prefix(K, True))
    inline_leaf = leaf([], b"\x01")  # 3 bytes: a leaf at the last nibble, embedded
    child_hash = hash_ref(b"anything")
    two_children = {K[0]: child_hash, (K[0] + 1) % 16: child_hash}
    cases = [
        _forged("single byte with a string prefix", enc_list(path, b"\x81\x05"),
                "Mpt: non-canonical RLP: a byte below 0x80 with a string prefix"),
        _forged("string long form for a short payload",
                enc_list(path, b"\xb8\x05" + b"\x01" * 5),
                "Mpt: non-canonical RLP: long form for a short payload"),
        _forged("list long form for a short payload",
                b"\xf8\x25" + path + good_leaf_value,
                "Mpt: non-canonical RLP: long form for a short payload"),
        _forged("length with a leading zero",
                enc_list(path, b"\xb9\x00\x40" + b"\x01" * 64),
                "Mpt: non-canonical RLP: length with a leading zero"),
        _forged("three length bytes inside a node", enc_list(path, b"\xba\x00\x00\x40"),
                "Mpt: RLP length is longer than a node can be"),
        _forged("length bytes cut by the list's end", enc_list(path, b"\xb9\x01"),
                "Mpt: RLP length runs past the end of its list"),
        _forged("item longer than its list", enc_list(path, b"\x85\x01\x02"),
                "Mpt: RLP item runs past the end of its list"),
        _forged("single-byte string cut by the list's end", enc_list(path, b"\x81"),
                "Mpt: RLP item runs past the end of its list"),
        _forged("three items", enc_list(path, good_leaf_value, b"\x01"),
                "Mpt: node is neither a branch nor a leaf or extension"),
        _forged("one item", enc_list(path),
                "Mpt: node is neither a branch nor a leaf or extension"),
        _forged("eighteen items", enc_list(*([b"\x80"] * 18)), "Mpt: node has more than 17 items"),
        _forged("branch with a value", branch(two_children, b"\x01"), "Mpt: branch holds a value"),
        _forged("branch with a list value", branch(two_children, b"\xc0"),
                "Mpt: branch holds a value"),
        _forged("branch with one child", branch({K[0]: child_hash}),
                "Mpt: branch has fewer than two children"),
        _forged("31-byte child reference",
                branch({K[0]: enc_str(b"\x01" * 31), 3: child_hash}),
                "Mpt: child reference is neither a hash nor an embedded node"),
        _forged("embedded node of 32 bytes",
                branch({K[0]: leaf(K[1:], b"\x07" * 20), 3: child_hash}),
                "Mpt: embedded node of 32 bytes or more"),
        _forged("path is a list", enc_list(enc_list(b"\x20"), good_leaf_value),
                "Mpt: node path is not an RLP string"),
        _forged("path is empty", enc_list(b"\x80", good_leaf_value), "Mpt: node path is empty"),
        _forged("hex-prefix flag 4", enc_list(enc_str(b"\x40" + bytes(32)), good_leaf_value),
                "Mpt: invalid hex-prefix flag"),
        _forged("padding nibble not zero",
                enc_list(enc_str(bytes([0x21]) + KEY), good_leaf_value),
                "Mpt: hex-prefix padding nibble is not zero"),
        _forged("leaf path one nibble short", leaf(K[:63], b"\x05"),
                "Mpt: leaf path does not end at the key's end"),
        _forged("leaf value is a list", enc_list(path, enc_list(b"\x05")),
                "Mpt: leaf value is not an RLP string"),
        _forged("leaf value is empty", enc_list(path, b"\x80"), "Mpt: leaf value is empty"),
        _forged("leaf value of 129 bytes", leaf(K, b"\x05" * 129),
                "Mpt: leaf value longer than 128 bytes"),
        _forged("extension path is empty", enc_list(b"\x00", child_hash),
                "Mpt: extension path is empty"),
        _forged("extension path reaches the key's end", extension(K, child_hash),
                "Mpt: extension path reaches the key's end"),
        _forged("extension with an empty child", extension(K[:3], b"\x80"),
                "Mpt: extension has an empty child"),
        _forged("extension child of 31 bytes", extension(K[:3], enc_str(b"\x01" * 31)),
                "Mpt: child reference is neither a hash nor an embedded node"),
    ]
    # two levels: the second node is reached by hash
    long_leaf = leaf(K[3:], b"\x09" * 40)
    cases.append(_two_level("extension to a leaf", extension(K[:3], hash_ref(long_leaf)),
                            long_leaf, "Mpt: extension does not lead to a branch"))
    tiny = enc_list(b"\x20", b"\x01")
    deep_branch = branch({K[0]: hash_ref(tiny), (K[0] + 1) % 16: child_hash})
    cases.append(_two_level("hashed node shorter than 32 bytes", deep_branch, tiny,
                            "Mpt: hashed node shorter than 32 bytes"))
    # an embedded node of exactly 32 bytes, met as a branch's child at depth 40
    exactly_32 = leaf(K[41:], b"\x07" * 17)
    assert len(exactly_32) == 32
    wide = branch({K[40]: exactly_32, (K[40] + 1) % 16: child_hash})
    over = extension(K[:40], hash_ref(wide))
    cases.append(_two_level("embedded node of exactly 32 bytes", over, wide,
                            "Mpt: embedded node of 32 bytes or more"))
    # a branch met after all 64 nibbles: extension of 63, a branch, then a branch below it
    inner = branch({0: inline_leaf, 1: inline_leaf})
    last = branch({K[63]: ref(inner), (K[63] + 1) % 16: inline_leaf})
    top = extension(K[:63], ref(last))
    cases.append(Refusal("branch at the end of the key", keccak(top), KEY,
                         top + (last if len(last) >= 32 else b""),
                         "Mpt: branch at the end of the key"))
    return cases


def extra_refusals() -> list[Refusal]:
    """Deletions and writes with a wrong ``extra``."""
    # K's leaf and one sibling leaf whose node is hashed: deleting K folds the branch into it
    sibling_nibble = (K[0] + 1) % 16
    sibling = leaf(K[1:], b"\x0a" * 40)
    mine = leaf(K[1:], b"\x0b" * 40)
    top = branch({K[0]: hash_ref(mine), sibling_nibble: hash_ref(sibling)})
    root, proof = keccak(top), top + mine
    short_sibling = enc_list(b"\x20", b"\x01")
    bad_top = branch({K[0]: hash_ref(mine), sibling_nibble: hash_ref(short_sibling)})
    bad_leaf = leaf(K[2:], b"\x0a" * 40)  # a leaf one nibble short under the branch
    worse_top = branch({K[0]: hash_ref(mine), sibling_nibble: hash_ref(bad_leaf)})
    absent = bytes([KEY[0] ^ 0x01]) + KEY[1:]
    return [
        Refusal("deletion without the sibling", root, KEY, proof,
                "Mpt: deletion needs the remaining sibling node as extra", b""),
        Refusal("deletion with another node", root, KEY, proof,
                "Mpt: extra node does not hash to the sibling's reference", b"", mine),
        Refusal("deletion with a byte after the sibling", root, KEY, proof,
                "Mpt: extra has bytes after its node", b"", sibling + b"\x00"),
        Refusal("deletion with a sibling cut short", root, KEY, proof,
                "Mpt: proof node runs past the end of the proof", b"", sibling[:-1]),
        Refusal("deletion with a string as the sibling", root, KEY, proof,
                "Mpt: proof node is not an RLP list", b"", b"\x05"),
        Refusal("write with an extra node", root, KEY, proof,
                "Mpt: extra node given for a write that needs none", b"\x01", sibling),
        Refusal("deletion of an absent key with an extra node", root, absent, proof,
                "Mpt: extra node given for a write that needs none", b"", sibling),
        Refusal("sibling hashed although shorter than 32 bytes", keccak(bad_top), KEY,
                bad_top + mine, "Mpt: hashed node shorter than 32 bytes", b"", short_sibling),
        Refusal("sibling that does not end the key", keccak(worse_top), KEY, worse_top + mine,
                "Mpt: leaf path does not end at the key's end", b"", bad_leaf),
    ]


def all_refusals() -> list[Refusal]:
    return proof_refusals() + node_refusals() + extra_refusals()


def run_python(refusal: Refusal) -> Callable[[], object]:
    """The Python call a refusal describes."""
    if refusal.value is None:
        return lambda: mpt_proof.read(refusal.root, refusal.key, refusal.proof)
    return lambda: mpt_proof.write(refusal.root, refusal.key, refusal.value, refusal.proof,
                                   refusal.extra)


def corrupt(rng: random.Random, op: Op) -> tuple[bytes, bytes]:
    """The operation's proof and extra with one random byte-level corruption: a byte changed,
    inserted or removed, the proof cut, a node repeated or two nodes swapped, or the extra
    node corrupted (given where none is needed, cut, changed)."""
    proof, extra = bytearray(op.proof), bytearray(op.extra)
    kind = rng.randrange(7)
    target = extra if (kind == 6 and extra) else proof
    if kind == 6 and not extra:
        return bytes(proof), bytes([rng.randrange(256)]) + bytes(rng.randrange(256)
                                                                for _ in range(40))
    if not target:
        return bytes([rng.randrange(256)]), bytes(extra)
    at = rng.randrange(len(target))
    if kind in (0, 6):
        target[at] ^= rng.randrange(1, 256)
    elif kind == 1:
        target.insert(at, rng.randrange(256))
    elif kind == 2:
        del target[at]
    elif kind == 3:
        del target[at:]
    else:
        nodes = list(mpt_proof_nodes(bytes(proof)))
        if kind == 4 or len(nodes) < 2:
            nodes.insert(rng.randrange(len(nodes) + 1), rng.choice(nodes))
        else:
            first, second = rng.sample(range(len(nodes)), 2)
            nodes[first], nodes[second] = nodes[second], nodes[first]
        proof = bytearray(b"".join(nodes))
    return bytes(proof), bytes(extra)


def mpt_proof_nodes(blob: bytes) -> list[bytes]:
    """A well-formed packed proof split back into its nodes."""
    nodes = []
    position = 0
    while position < len(blob):
        node = mpt_proof.proof_node(blob, position)
        nodes.append(node)
        position += len(node)
    return nodes
