"""Read access to the committed state (trie nodes and contract code) for the execution engine.

Each lookup opens its own short LMDB read transaction: a reader shared between the asyncio thread
and a commit worker must not hold a transaction that belongs to another thread, and a per-call
transaction always sees the newest committed block.
"""

from __future__ import annotations

from typing import Protocol

import lmdb


class KeyValueReader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...


class LmdbStateReader:
    """``get(key)`` over the store's state sub-database; unknown or malformed keys read as None."""

    def __init__(self, env: lmdb.Environment, state_db: lmdb._Database) -> None:
        self._env = env
        self._db = state_db
        self._max_key_size = env.max_key_size()

    def get(self, key: bytes) -> bytes | None:
        if not isinstance(key, bytes | bytearray | memoryview):
            raise TypeError(f"state key must be bytes, got {type(key).__name__}")
        if not 0 < len(key) <= self._max_key_size:
            # LMDB cannot hold such a key, so it was never written.
            return None
        with self._env.begin(db=self._db) as txn:
            value = txn.get(bytes(key))
        return None if value is None else bytes(value)
