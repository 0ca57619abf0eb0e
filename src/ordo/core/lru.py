"""A bounded, thread-safe least-recently-used map, for values that never go stale.

Its users: the chain store keeps decoded blocks (RPC clients ask for the same few recent blocks
over and over, and decoding a block's transactions with py-evm costs far more than the LMDB read;
stored blocks never change after commit), and ``core.transaction`` keeps decoded transactions by
their bytes. Neither needs invalidation, only a bound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"cache capacity must be >= 0, got {capacity}")
        self._capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()
        # Reads come from the asyncio thread while commits run in a worker thread.
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        if self._capacity == 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
