"""Reads and writes of a Merkle-Patricia trie through proofs (docs/fault_proofs.md 1.3.1).

The one-step verifier holds only state roots; an account, a storage slot or an entry of the
accessed / created / transient sets is read from an ``eth_getProof``-style proof and written by
recomputing the root from the same proof. This module is the reference for the Vyper module
``src/ordo/l1/contracts/step/Mpt.vy``: both walk the proof in the same order, apply the same
checks with the same messages and build the same bytes, so a tracer that succeeds here produces a
witness the verifier accepts, and a proof one refuses the other refuses.

Keys are 32-byte paths (64 nibbles, already hashed for a secure trie), so every leaf ends at
nibble 64 and a branch never holds a value. Only hashed nodes are proof elements (root first);
a node whose encoding is shorter than 32 bytes is embedded in its parent and is read from there.
The checks refuse every trie that is not the canonical trie of its leaves (a branch with fewer
than two children, an extension to anything but a branch, a node embedded that must be hashed or
hashed that must be embedded, non-canonical RLP): such a root cannot come from a real state, and
refusing it keeps the Python and the on-chain walks from ever having to agree on a meaning for it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eth_hash.auto import keccak

KEY_BYTES = 32
KEY_NIBBLES = 64
MAX_NODE_BYTES = 600
"""A branch with 16 hashed children is 532 bytes, the largest node of these tries."""
MAX_VALUE_BYTES = 128
"""An account's RLP is at most 110 bytes, a storage or transient value 33."""
MAX_WALK_STEPS = KEY_NIBBLES + 1
"""Each branch or extension consumes at least one of the 64 nibbles, then the leaf: 65 nodes."""
BRANCH_ITEMS = 17
EMPTY_STRING = b"\x80"
BLANK_ROOT = keccak(EMPTY_STRING)
"""The root of the empty trie (keccak of the RLP empty string)."""


class MptProofError(ValueError):
    """A proof, a key, a value or an ``extra`` node that cannot be used; the message (the same
    text as the Vyper module's revert reason) says which check refused it."""


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise MptProofError(f"Mpt: {reason}")


# ---------------------------------------------------------------------------------------------
# RLP items inside a node (canonical encodings only)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One RLP item inside a node: where its header starts, where its payload starts and how
    long it is, whether it is a list, and where the next item starts."""

    start: int
    offset: int
    length: int
    is_list: bool
    end: int


def rlp_item(data: bytes, start: int, limit: int) -> Item:
    """The canonical RLP item whose header starts at ``start`` (before ``limit``: every caller
    reads items only while bytes are left) and that ends by ``limit``."""
    prefix = data[start]
    if prefix < 0x80:
        return Item(start, start, 1, False, start + 1)
    is_list = prefix >= 0xC0
    short_base, long_base = (0xC0, 0xF7) if is_list else (0x80, 0xB7)
    if prefix <= long_base:
        length = prefix - short_base
        offset = start + 1
        if length == 1 and not is_list:
            _require(offset < limit, "RLP item runs past the end of its list")
            _require(data[offset] >= 0x80,
                     "non-canonical RLP: a byte below 0x80 with a string prefix")
    else:
        length_bytes = prefix - long_base
        _require(length_bytes <= 2, "RLP length is longer than a node can be")
        _require(start + 1 + length_bytes <= limit, "RLP length runs past the end of its list")
        length = data[start + 1]
        _require(length != 0, "non-canonical RLP: length with a leading zero")
        if length_bytes == 2:
            length = length * 256 + data[start + 2]
        _require(length >= 56, "non-canonical RLP: long form for a short payload")
        offset = start + 1 + length_bytes
    _require(offset + length <= limit, "RLP item runs past the end of its list")
    return Item(start, offset, length, is_list, offset + length)


def node_items(node: bytes, start: int = 0, end: int | None = None) -> tuple[Item, ...]:
    """The items of the node at ``start``..``end`` of ``node``: 17 (branch) or 2 (leaf or
    extension). The node's list header was read before (a proof node's by ``proof_node``, an
    embedded node's as its parent's item), so it spans ``start``..``end`` exactly."""
    end = len(node) if end is None else end
    head = rlp_item(node, start, end)
    items: list[Item] = []
    position = head.offset
    while position != end:
        _require(len(items) < BRANCH_ITEMS, "node has more than 17 items")
        item = rlp_item(node, position, end)
        items.append(item)
        position = item.end
    _require(len(items) in (BRANCH_ITEMS, 2), "node is neither a branch nor a leaf or extension")
    return tuple(items)


def _encode_string(payload: bytes) -> bytes:
    if len(payload) == 1 and payload[0] < 0x80:
        return payload
    if len(payload) < 56:
        return bytes([0x80 + len(payload)]) + payload
    return bytes([0xB8, len(payload)]) + payload


def _encode_list(payload: bytes) -> bytes:
    if len(payload) < 56:
        return bytes([0xC0 + len(payload)]) + payload
    if len(payload) < 256:
        return bytes([0xF8, len(payload)]) + payload
    return bytes([0xF9, len(payload) >> 8, len(payload) & 0xFF]) + payload


# ---------------------------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------------------------


class Kind(enum.Enum):
    BRANCH = 0
    EXTENSION = 1
    LEAF = 2


@dataclass(frozen=True)
class Node:
    """A checked node: its bytes, items, kind, the nibbles it consumes when it is a leaf or an
    extension (after the hex-prefix flag), and ``depth``, the key nibbles consumed above it."""

    encoded: bytes
    items: tuple[Item, ...]
    kind: Kind
    path: tuple[int, ...]
    depth: int

    def raw(self, item: Item) -> bytes:
        """The whole encoding (header and payload) of one of this node's items."""
        return self.encoded[item.start:item.end]

    def payload(self, item: Item) -> bytes:
        return self.encoded[item.offset:item.end]


def _nibble_at(data: bytes, item: Item, index: int) -> int:
    byte = data[item.offset + index // 2]
    return byte >> 4 if index % 2 == 0 else byte & 15


def _check_reference(item: Item, allow_empty: bool) -> None:
    """A child reference: empty (absent, branches only), a 32-byte hash, or a node embedded
    because its encoding is shorter than 32 bytes."""
    if item.is_list:
        _require(item.end - item.start < 32, "embedded node of 32 bytes or more")
        return
    if item.length == 0:
        _require(allow_empty, "extension has an empty child")
        return
    _require(item.length == 32, "child reference is neither a hash nor an embedded node")


def check_node(encoded: bytes, depth: int) -> Node:
    """Parse and check a node met ``depth`` nibbles down the key: a branch holds no value, its
    16 references are well formed and at least two are present; a leaf's path ends the key
    exactly and its value is a non-empty string of at most 128 bytes; an extension's path is
    non-empty and leaves at least one nibble for the branch below it."""
    items = node_items(encoded)
    if len(items) == BRANCH_ITEMS:
        _require(depth < KEY_NIBBLES, "branch at the end of the key")
        value = items[16]
        _require(not value.is_list and value.length == 0, "branch holds a value")
        present = 0
        for child in items[:16]:
            _check_reference(child, True)
            if child.is_list or child.length != 0:
                present += 1
        _require(present >= 2, "branch has fewer than two children")
        return Node(encoded, items, Kind.BRANCH, (), depth)
    hp = items[0]
    _require(not hp.is_list, "node path is not an RLP string")
    _require(hp.length > 0, "node path is empty")
    flag = _nibble_at(encoded, hp, 0)
    _require(flag <= 3, "invalid hex-prefix flag")
    first = 1 if flag % 2 == 1 else 2
    if first == 2:
        _require(_nibble_at(encoded, hp, 1) == 0, "hex-prefix padding nibble is not zero")
    count = 2 * hp.length - first
    path = tuple(_nibble_at(encoded, hp, first + index) for index in range(count))
    if flag >= 2:
        _require(depth + count == KEY_NIBBLES, "leaf path does not end at the key's end")
        value = items[1]
        _require(not value.is_list, "leaf value is not an RLP string")
        _require(value.length > 0, "leaf value is empty")
        _require(value.length <= MAX_VALUE_BYTES, "leaf value longer than 128 bytes")
        return Node(encoded, items, Kind.LEAF, path, depth)
    _require(count > 0, "extension path is empty")
    _require(depth + count < KEY_NIBBLES, "extension path reaches the key's end")
    _check_reference(items[1], False)
    return Node(encoded, items, Kind.EXTENSION, path, depth)


# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------


class End(enum.Enum):
    """Where the walk along the key stopped."""

    EMPTY_TRIE = 0
    FOUND = 1  # the last node is the key's leaf
    LEAF_DIFFERS = 2  # the last node is a leaf of another key
    EXTENSION_DIFFERS = 3  # the last node is an extension off the key
    BRANCH_EMPTY = 4  # the last node is a branch without a child at the key's nibble


@dataclass(frozen=True)
class Walk:
    """The nodes from the root to where the key is or would be, and where the walk stopped;
    ``common`` is how many nibbles of the last leaf's or extension's path match the key."""

    key: tuple[int, ...]
    nodes: tuple[Node, ...]
    end: End
    common: int


def key_nibbles(path: bytes) -> tuple[int, ...]:
    _require(len(path) == KEY_BYTES, "key path is not 32 bytes")
    return tuple(n for byte in path for n in (byte >> 4, byte & 15))


def pack_proof(proof: bytes | Sequence[bytes]) -> bytes:
    """The proof as the verifier reads it: its nodes concatenated, root first (each node's RLP
    header says where it ends). Bytes are taken as already packed."""
    if isinstance(proof, bytes | bytearray):
        return bytes(proof)
    return b"".join(proof)


def proof_node(blob: bytes, position: int) -> bytes:
    """The node starting at ``position`` of a packed proof: an RLP list header (canonical form
    is checked later, with the node's items) and the bytes it announces."""
    _require(position < len(blob), "proof ends before the key's node")
    prefix = blob[position]
    _require(prefix >= 0xC0, "proof node is not an RLP list")
    _require(prefix <= 0xF9, "node longer than 600 bytes")
    if prefix <= 0xF7:
        size = 1 + prefix - 0xC0
    elif prefix == 0xF8:
        _require(position + 2 <= len(blob), "proof node runs past the end of the proof")
        size = 2 + blob[position + 1]
    else:
        _require(position + 3 <= len(blob), "proof node runs past the end of the proof")
        size = 3 + blob[position + 1] * 256 + blob[position + 2]
    _require(size <= MAX_NODE_BYTES, "node longer than 600 bytes")
    _require(position + size <= len(blob), "proof node runs past the end of the proof")
    return blob[position:position + size]


def walk(root: bytes, path: bytes, proof: bytes | Sequence[bytes]) -> Walk:
    """Follow ``path`` from ``root`` through ``proof`` (the hashed nodes, root first, as a list
    or packed), checking every node; every byte of the proof must be used."""
    key = key_nibbles(path)
    _require(len(root) == 32, "root is not 32 bytes")
    blob = pack_proof(proof)
    if root == BLANK_ROOT:
        _require(len(blob) == 0, "proof of the empty trie has nodes")
        return Walk(key, (), End.EMPTY_TRIE, 0)
    depth = 0
    position = 0
    expected = root
    embedded: bytes | None = None
    nodes: list[Node] = []
    for _ in range(MAX_WALK_STEPS):
        if embedded is None:
            encoded = proof_node(blob, position)
            if position == 0:
                _require(keccak(encoded) == expected, "first proof node does not hash to the root")
            else:
                _require(keccak(encoded) == expected,
                         "proof node does not hash to its parent's reference")
                _require(len(encoded) >= 32, "hashed node shorter than 32 bytes")
            position += len(encoded)
        else:
            encoded = embedded
        node = check_node(encoded, depth)
        if nodes and nodes[-1].kind is Kind.EXTENSION:
            _require(node.kind is Kind.BRANCH, "extension does not lead to a branch")
        nodes.append(node)
        if node.kind is Kind.BRANCH:
            child = node.items[key[depth]]
            if not child.is_list and child.length == 0:
                return _ended(key, nodes, End.BRANCH_EMPTY, 0, position, blob)
            depth += 1
        else:
            common = 0
            while common < len(node.path) and node.path[common] == key[depth + common]:
                common += 1
            if node.kind is Kind.LEAF:
                end = End.FOUND if common == len(node.path) else End.LEAF_DIFFERS
                return _ended(key, nodes, end, common, position, blob)
            if common < len(node.path):
                return _ended(key, nodes, End.EXTENSION_DIFFERS, common, position, blob)
            depth += len(node.path)
            child = node.items[1]
        if child.is_list:
            embedded = node.raw(child)
        else:
            embedded = None
            expected = node.payload(child)
    raise MptProofError("Mpt: walk did not end")  # unreachable: each step consumes a nibble


def _ended(key: tuple[int, ...], nodes: list[Node], end: End, common: int, position: int,
           blob: bytes) -> Walk:
    _require(position == len(blob), "proof has bytes after the key's node")
    return Walk(key, tuple(nodes), end, common)


def read(root: bytes, path: bytes, proof: bytes | Sequence[bytes]) -> bytes | None:
    """The value stored at ``path`` (the leaf's string, e.g. an account's RLP or a storage
    value's RLP), or None when the proof shows the key absent."""
    return _found_value(walk(root, path, proof))


def _found_value(result: Walk) -> bytes | None:
    if result.end is not End.FOUND:
        return None
    leaf = result.nodes[-1]
    return leaf.payload(leaf.items[1])


# ---------------------------------------------------------------------------------------------
# Building nodes
# ---------------------------------------------------------------------------------------------


def _hex_prefix(nibbles: Sequence[int], leaf: bool) -> bytes:
    flag = 2 if leaf else 0
    if len(nibbles) % 2 == 1:
        head = [(flag + 1) << 4 | nibbles[0]]
        rest = nibbles[1:]
    else:
        head = [flag << 4]
        rest = nibbles
    return bytes(head + [rest[i] << 4 | rest[i + 1] for i in range(0, len(rest), 2)])


def _leaf(nibbles: Sequence[int], value_item: bytes) -> bytes:
    """A leaf node; ``value_item`` is the value's RLP string as it is written in the leaf."""
    return _encode_list(_encode_string(_hex_prefix(nibbles, True)) + value_item)


def _extension(nibbles: Sequence[int], child_reference: bytes) -> bytes:
    return _encode_list(_encode_string(_hex_prefix(nibbles, False)) + child_reference)


def _branch(first: int, first_reference: bytes, second: int, second_reference: bytes) -> bytes:
    """A branch with two children (``first`` < ``second``) and no value."""
    slots = [EMPTY_STRING] * BRANCH_ITEMS
    slots[first] = first_reference
    slots[second] = second_reference
    return _encode_list(b"".join(slots))


def reference(node: bytes | None) -> bytes:
    """How a parent refers to a node: the empty string for none, the node itself when its
    encoding is shorter than 32 bytes, otherwise the RLP string of its hash."""
    if node is None:
        return EMPTY_STRING
    if len(node) < 32:
        return node
    return b"\xa0" + keccak(node)


def _replace(node: Node, item: Item, new_item: bytes) -> bytes:
    """``node`` with one item's encoding replaced by ``new_item``."""
    payload_start = node.items[0].start  # right after the list's header
    return _encode_list(node.encoded[payload_start:item.start] + new_item
                        + node.encoded[item.end:])


def _rehash(nodes: Sequence[Node], key: Sequence[int], top: int, new: bytes | None) -> bytes:
    """The root after replacing ``nodes[top + 1]`` with ``new`` (None: removed) and updating
    every node above it."""
    for index in range(top, -1, -1):
        node = nodes[index]
        child = node.items[key[node.depth]] if node.kind is Kind.BRANCH else node.items[1]
        new = _replace(node, child, reference(new))
    if new is None:
        return BLANK_ROOT
    return keccak(new)


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------


def write(root: bytes, path: bytes, value: bytes | None, proof: bytes | Sequence[bytes],
          extra: bytes = b"") -> bytes:
    """The root after setting ``path`` to ``value`` (None or empty: deleting it) in the trie
    ``root``; ``proof`` is the read proof of ``path``. ``extra`` is empty except for a deletion
    that leaves the deleted leaf's branch with one child referenced by hash: then it is that
    child's node (``build_write_witness`` finds it)."""
    return update(root, path, value, proof, extra)[1]


def update(root: bytes, path: bytes, value: bytes | None, proof: bytes | Sequence[bytes],
           extra: bytes = b"") -> tuple[bytes | None, bytes]:
    """``write`` that also returns the value it replaces (None: the key was absent): one walk
    for a read-modify-write such as SSTORE or a balance change."""
    result = walk(root, path, proof)
    old = _found_value(result)
    if not value:
        return old, _delete(root, result, extra)
    _require(len(value) <= MAX_VALUE_BYTES, "value longer than 128 bytes")
    _require(len(extra) == 0, "extra node given for a write that needs none")
    return old, _set(result, _encode_string(value))


def _set(result: Walk, value_item: bytes) -> bytes:
    key, nodes = result.key, result.nodes
    top = len(nodes) - 2
    if result.end is End.EMPTY_TRIE:
        return _rehash(nodes, key, -1, _leaf(key, value_item))
    last = nodes[-1]
    depth = last.depth
    if result.end is End.FOUND:
        return _rehash(nodes, key, top, _leaf(last.path, value_item))
    if result.end is End.BRANCH_EMPTY:
        new_leaf = _leaf(key[depth + 1:], value_item)
        return _rehash(nodes, key, top,
                       _replace(last, last.items[key[depth]], reference(new_leaf)))
    common = result.common
    split = depth + common
    old_nibble = last.path[common]
    rest = last.path[common + 1:]
    if result.end is End.LEAF_DIFFERS:
        old_reference = reference(_leaf(rest, last.raw(last.items[1])))
    elif rest:
        old_reference = reference(_extension(rest, last.raw(last.items[1])))
    else:
        old_reference = last.raw(last.items[1])
    new_reference = reference(_leaf(key[split + 1:], value_item))
    if old_nibble < key[split]:
        new = _branch(old_nibble, old_reference, key[split], new_reference)
    else:
        new = _branch(key[split], new_reference, old_nibble, old_reference)
    if common > 0:
        new = _extension(last.path[:common], reference(new))
    return _rehash(nodes, key, top, new)


def _only_sibling(result: Walk) -> tuple[int, Item] | None:
    """For a deletion of a present key under a branch: the branch's one remaining child (its
    nibble and reference) when deleting leaves it with one, else None."""
    if result.end is not End.FOUND or len(result.nodes) < 2:
        return None
    branch = result.nodes[-2]
    taken = result.key[branch.depth]
    others = [(nibble, item) for nibble, item in enumerate(branch.items[:16])
              if nibble != taken and (item.is_list or item.length != 0)]
    return others[0] if len(others) == 1 else None


def _delete(root: bytes, result: Walk, extra: bytes) -> bytes:
    key, nodes = result.key, result.nodes
    sibling = _only_sibling(result)
    if sibling is None or sibling[1].is_list:
        _require(len(extra) == 0, "extra node given for a write that needs none")
    if result.end is not End.FOUND:
        return root
    if sibling is None:  # the leaf is the root, or its branch keeps two children or more
        return _rehash(nodes, key, len(nodes) - 2, None)
    branch = nodes[-2]
    nibble, item = sibling
    if item.is_list:
        encoded = branch.raw(item)
    else:
        _require(len(extra) > 0, "deletion needs the remaining sibling node as extra")
        encoded = proof_node(extra, 0)
        _require(len(encoded) == len(extra), "extra has bytes after its node")
        _require(keccak(encoded) == branch.payload(item),
                 "extra node does not hash to the sibling's reference")
        _require(len(encoded) >= 32, "hashed node shorter than 32 bytes")
    child = check_node(encoded, branch.depth + 1)
    prefix: tuple[int, ...] = (nibble,)
    top = len(nodes) - 3
    if top >= 0 and nodes[top].kind is Kind.EXTENSION:
        prefix = nodes[top].path + prefix
        top -= 1
    if child.kind is Kind.LEAF:
        new = _leaf(prefix + child.path, child.raw(child.items[1]))
    elif child.kind is Kind.EXTENSION:
        new = _extension(prefix + child.path, child.raw(child.items[1]))
    else:
        new = _extension(prefix, branch.raw(item))
    return _rehash(nodes, key, top, new)


# ---------------------------------------------------------------------------------------------
# Building witnesses from a node database (the tracer's side)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteWitness:
    """What a write needs besides root, key and value: the read proof and the ``extra`` node."""

    proof: tuple[bytes, ...]
    extra: bytes


def build_proof(db: Mapping[bytes, bytes], root: bytes, path: bytes) -> tuple[bytes, ...]:
    """The proof of ``path`` in the trie ``root`` whose nodes ``db`` maps from their hashes (a
    py-trie ``HexaryTrie.db`` or py-evm's node database): the hashed nodes along the key, root
    first. Embedded nodes are not listed: they are inside their parents."""
    key = key_nibbles(path)
    if root == BLANK_ROOT:
        return ()
    proof: list[bytes] = []
    encoded = db[root]
    depth = 0
    while True:
        proof.append(encoded)
        node_bytes = encoded
        while True:
            node = check_node(node_bytes, depth)
            if node.kind is Kind.BRANCH:
                child = node.items[key[depth]]
                depth += 1
            elif node.kind is Kind.EXTENSION and key[depth:depth + len(node.path)] == node.path:
                child = node.items[1]
                depth += len(node.path)
            else:
                return tuple(proof)
            if child.is_list:
                node_bytes = node.raw(child)
                continue
            if child.length == 0:
                return tuple(proof)
            encoded = db[node.payload(child)]
            break


def needed_extra(db: Mapping[bytes, bytes], root: bytes, path: bytes,
                 proof: bytes | Sequence[bytes]) -> bytes:
    """The ``extra`` node a deletion of ``path`` needs: the hashed sibling that the branch
    above the deleted leaf folds into, or empty when it needs none."""
    result = walk(root, path, proof)
    sibling = _only_sibling(result)
    if sibling is None or sibling[1].is_list:
        return b""
    return db[result.nodes[-2].payload(sibling[1])]


def build_write_witness(db: Mapping[bytes, bytes], root: bytes, path: bytes,
                        value: bytes | None) -> WriteWitness:
    """The proof and ``extra`` node for ``write(root, path, value, proof, extra)``."""
    proof = build_proof(db, root, path)
    extra = b"" if value else needed_extra(db, root, path, proof)
    return WriteWitness(proof, extra)
