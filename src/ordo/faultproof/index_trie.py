"""Inserting into a block's transactions or receipts trie through a proof (docs/fault_proofs.md
4.3).

Those tries are keyed by ``rlp(index)``: short keys of different lengths (``0x80`` for 0, one
byte for 1-127, ``0x81 ‖ byte`` and longer above), so a key can end at a branch and values are
whole transactions and receipts. :mod:`mpt_proof` walks only 32-byte hashed keys with small
values, so these tries get their own, smaller rule: a transaction-end step **inserts** one new
key, never replaces or deletes, and the proof is the hashed nodes on the key's path, root first
(what py-trie reads to insert it). The reference inserts with py-trie over exactly the given
nodes: a node is found only by its keccak, so a wrong node is a missing node, and every given
node must be read, so one insertion has one accepted proof. Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence

import rlp
from eth_hash.auto import keccak
from trie import HexaryTrie
from trie.exceptions import MissingTrieNode

from ordo.faultproof.mpt_proof import BLANK_ROOT


class IndexTrieError(ValueError):
    """A proof that does not lead to the key, or a key already present."""


def index_key(index: int) -> bytes:
    """The key of the ``index``-th transaction or receipt: ``rlp(index)``."""
    return rlp.encode(index)


class _Reads(MutableMapping[bytes, bytes]):
    """A node store that records the order in which hashed nodes are read."""

    def __init__(self, base: Mapping[bytes, bytes]) -> None:
        self._base = base
        self._new: dict[bytes, bytes] = {}
        self.reads: list[bytes] = []

    def __getitem__(self, key: bytes) -> bytes:
        if key in self._new:
            return self._new[key]
        value = self._base[key]
        if key not in self.reads:
            self.reads.append(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._new[key] = value

    def __delitem__(self, key: bytes) -> None:
        self._new.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._new or key in self._base

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._new)

    def __len__(self) -> int:
        return len(self._new)


def insert(root: bytes, index: int, value: bytes, proof: Sequence[bytes]) -> bytes:
    """The root after inserting ``rlp(index) -> value`` into the trie ``root``, whose path to
    the key is ``proof``; raises :class:`IndexTrieError` for any other proof or a present key."""
    if not value:
        raise IndexTrieError("an empty value is a deletion, never inserted")
    nodes = {keccak(node): bytes(node) for node in proof}
    if len(nodes) != len(proof):
        raise IndexTrieError("a node given twice")
    reads = _Reads(nodes)
    trie = HexaryTrie(reads, root)
    key = index_key(index)
    try:
        if trie.get(key) != b"":
            raise IndexTrieError(f"key {index} is already in the trie")
        trie.set(key, value)
    except MissingTrieNode as error:
        raise IndexTrieError(f"the proof lacks a node on key {index}'s path") from error
    if reads.reads != [keccak(node) for node in proof]:
        raise IndexTrieError("the proof is not exactly the key's path, root first")
    return bytes(trie.root_hash)


def build_proof(db: Mapping[bytes, bytes], root: bytes, index: int) -> tuple[bytes, ...]:
    """The nodes :func:`insert` needs, read from a full node store."""
    if root == BLANK_ROOT:
        return ()
    reads = _Reads(db)
    HexaryTrie(reads, root).get(index_key(index))
    return tuple(db[key] for key in reads.reads)


def insert_into(db: MutableMapping[bytes, bytes], root: bytes, index: int, value: bytes) -> bytes:
    """The tracer's side: insert with py-trie into the full store (new nodes kept in ``db``)."""
    trie = HexaryTrie(db, root)
    trie.set(index_key(index), value)
    return bytes(trie.root_hash)
