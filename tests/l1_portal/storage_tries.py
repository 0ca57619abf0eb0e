"""Withdrawals, message-passer storage tries and their proofs, built in Python the way the L2 and
eth_getProof build them, plus the raw node encoders the forged-proof tests need.

A proof is the list of trie nodes referenced by hash from the storage root to the key's leaf;
nodes whose encoding is under 32 bytes are embedded in their parent and not listed (geth's and
anvil's eth_getProof do the same), which is what the portal's verifier expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import rlp
from eth_abi import encode
from eth_hash.auto import keccak
from trie import HexaryTrie

WITHDRAWAL_TYPES = ["uint256", "address", "address", "uint256", "uint256", "bytes"]
MESSAGE_PASSER_SLOT = 0
STORED_TRUE = b"\x01"  # rlp.encode(1): the storage value of a Vyper bool True


@dataclass(frozen=True)
class Withdrawal:
    nonce: int
    sender: str
    target: str
    value: int
    gas_limit: int
    data: bytes = b""

    def as_tuple(self) -> tuple[int, str, str, int, int, bytes]:
        return (self.nonce, self.sender, self.target, self.value, self.gas_limit, self.data)

    @property
    def hash(self) -> bytes:
        return keccak(encode(WITHDRAWAL_TYPES, list(self.as_tuple())))


def hashmap_slot(slot: int, key: bytes) -> bytes:
    """Vyper's storage slot of HashMap key `key` at slot `slot`: keccak256(slot ‖ key)."""
    return keccak(slot.to_bytes(32, "big") + key)


def storage_key(withdrawal_hash: bytes, slot: int = MESSAGE_PASSER_SLOT) -> bytes:
    """The storage trie key of sent_messages[withdrawal_hash]: the keccak of its slot."""
    return keccak(hashmap_slot(slot, withdrawal_hash))


def output_root(state_root: bytes, storage_root: bytes, block_hash: bytes,
                version: bytes = b"\x00" * 32) -> bytes:
    return keccak(version + state_root + storage_root + block_hash)


def output_proof(storage_root: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """An OutputRootProof tuple naming `storage_root`, with fixed state root and block hash."""
    return (b"\x00" * 32, b"\x5a" * 32, storage_root, b"\xb1" * 32)


def nibbles(key: bytes) -> list[int]:
    return [half for byte in key for half in (byte >> 4, byte & 15)]


@dataclass
class ProofWalk:
    """The hashed nodes of one key's path and the kinds of node the path went through."""
    nodes: list[bytes] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    found: bool = False


def walk(db: Any, root: bytes, key: bytes) -> ProofWalk:
    """Follow `key` from `root` through trie database `db`, as eth_getProof does: the returned
    nodes are the hashed ones; an inline child is walked into without being listed. For an
    absent key the walk stops where the key leaves the trie (an exclusion proof)."""
    path = nibbles(key)
    result = ProofWalk()
    encoded: bytes = db[root]
    result.nodes.append(encoded)
    inline = False
    position = 0
    while True:
        node = rlp.decode(encoded)
        if len(node) == 17:
            result.kinds.append("inline-branch" if inline else "branch")
            child = node[path[position]]
            position += 1
        else:
            hp = nibbles(node[0])
            flag = hp[0]
            rest = hp[1:] if flag % 2 else hp[2:]
            is_leaf = flag >= 2
            kind = "leaf" if is_leaf else "extension"
            result.kinds.append(("inline-" if inline else "") + kind)
            if path[position:position + len(rest)] != rest:
                return result
            position += len(rest)
            if is_leaf:
                result.found = True
                return result
            child = node[1]
        if child == b"":
            return result
        if isinstance(child, list):
            encoded, inline = rlp.encode(child), True
        else:
            encoded, inline = db[child], False
            result.nodes.append(encoded)


@dataclass
class StorageTrie:
    """A message passer's storage trie: sent_messages[hash] = True for each withdrawal."""
    trie: HexaryTrie

    @classmethod
    def of(cls, withdrawals: list[Withdrawal], value: bytes = STORED_TRUE,
           slot: int = MESSAGE_PASSER_SLOT, extra_keys: list[bytes] | None = None) -> StorageTrie:
        built = HexaryTrie(db={})
        for withdrawal in withdrawals:
            built[storage_key(withdrawal.hash, slot)] = value
        for key in extra_keys or []:
            built[key] = STORED_TRUE
        return cls(built)

    @property
    def root(self) -> bytes:
        return bytes(self.trie.root_hash)

    def walk(self, withdrawal: Withdrawal) -> ProofWalk:
        return walk(self.trie.db, self.root, storage_key(withdrawal.hash))

    def proof(self, withdrawal: Withdrawal) -> list[bytes]:
        found = self.walk(withdrawal)
        assert found.found, "the withdrawal is not in this trie"
        return found.nodes


# Raw node encoders for forged tries: the verifier must judge bytes, whatever built them.

def hex_prefix(path: list[int], leaf: bool) -> bytes:
    flag = (2 if leaf else 0) + len(path) % 2
    full = [flag, *path] if len(path) % 2 else [flag, 0, *path]
    return bytes(full[index] * 16 + full[index + 1] for index in range(0, len(full), 2))


def leaf_node(path: list[int], value: bytes = STORED_TRUE) -> bytes:
    return rlp.encode([hex_prefix(path, leaf=True), value])


def extension_node(path: list[int], child: bytes | list[Any]) -> bytes:
    return rlp.encode([hex_prefix(path, leaf=False), child])


def branch_node(children: dict[int, bytes | list[Any]], value: bytes = b"") -> bytes:
    return rlp.encode([children.get(index, b"") for index in range(16)] + [value])


def _header(short_base: int, length: int) -> bytes:
    if length < 56:
        return bytes([short_base + length])
    size = (length.bit_length() + 7) // 8
    return bytes([short_base + 55 + size]) + length.to_bytes(size, "big")


def string_header(length: int) -> bytes:
    """The canonical RLP header of a string payload of `length` bytes."""
    return _header(0x80, length)


def list_header(length: int) -> bytes:
    """The canonical RLP header of a list payload of `length` bytes."""
    return _header(0xc0, length)
