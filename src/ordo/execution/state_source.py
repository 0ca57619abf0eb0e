"""The boundary between the EVM and the node's store.

The engine never writes to the store. It reads committed state (trie nodes and contract code,
keyed by hash exactly as py-evm lays them out) through a :class:`KeyValueReader` and collects the
writes of one block in an overlay, which the node then commits together with the block, its
receipts and its indexes in a single atomic transaction. Keys are content hashes, so ignoring
py-evm's deletions (pruning of replaced trie nodes) can never make a read return a wrong value:
it only keeps old state readable, which is what serving historical blocks needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from eth.db.atomic import AtomicDB
from eth.db.backends.base import BaseDB


class KeyValueReader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...


class MemoryKeyValueStore:
    """A dict-backed store for tests and the simulator; ``apply`` plays the node's commit."""

    def __init__(self, initial: Mapping[bytes, bytes] | None = None) -> None:
        self._entries: dict[bytes, bytes] = dict(initial or {})

    def get(self, key: bytes) -> bytes | None:
        return self._entries.get(key)

    def apply(self, writes: Mapping[bytes, bytes]) -> None:
        self._entries.update(writes)

    def __len__(self) -> int:
        return len(self._entries)


class OverlayDatabase(BaseDB):
    """A py-evm database that reads through to committed state and keeps new writes apart.

    Deletions are ignored on purpose (see the module docstring).
    """

    def __init__(self, reader: KeyValueReader) -> None:
        self._reader = reader
        self.writes: dict[bytes, bytes] = {}

    def __getitem__(self, key: bytes) -> bytes:
        value = self.writes.get(key)
        if value is None:
            value = self._reader.get(key)
            if value is None:
                raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.writes[key] = value

    def __delitem__(self, key: bytes) -> None:
        """Never delete: committed state stays readable for older blocks."""

    def _exists(self, key: bytes) -> bool:
        return key in self.writes or self._reader.get(key) is not None

    def __iter__(self) -> Iterator[bytes]:
        raise NotImplementedError("the overlay cannot enumerate committed keys")


def open_overlay(reader: KeyValueReader) -> tuple[AtomicDB, OverlayDatabase]:
    """An atomic py-evm database over ``reader`` and the overlay that records its writes."""
    overlay = OverlayDatabase(reader)
    return AtomicDB(overlay), overlay
