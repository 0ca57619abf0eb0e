"""Polling filters (eth_newFilter and friends): installed, fed, drained and expired.

A pure registry: the clock is passed in, so expiry is tested without waiting. Each filter keeps
what happened since its last poll, bounded so an abandoned filter cannot grow without limit
before it expires (the oldest entries are dropped first).
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ordo.rpc.errors import LimitExceededError, ServerError
from ordo.rpc.params import LogQuery

Clock = Callable[[], float]


class FilterKind(Enum):
    LOGS = "logs"
    BLOCKS = "blocks"
    PENDING_TRANSACTIONS = "pendingTransactions"


@dataclass
class Filter:
    kind: FilterKind
    last_poll: float
    capacity: int
    query: LogQuery | None = None
    changes: deque[Any] = field(default_factory=deque)

    def push(self, item: Any) -> None:
        if len(self.changes) >= self.capacity:
            self.changes.popleft()
        self.changes.append(item)


class FilterRegistry:
    def __init__(self, clock: Clock, max_filters: int, idle_seconds: float,
                 buffer_capacity: int) -> None:
        self._clock = clock
        self._max_filters = max_filters
        self._idle_seconds = idle_seconds
        self._capacity = buffer_capacity
        self._filters: dict[str, Filter] = {}

    def __len__(self) -> int:
        return len(self._filters)

    def install(self, kind: FilterKind, query: LogQuery | None = None) -> str:
        if len(self._filters) >= self._max_filters:
            self.expire()
        if len(self._filters) >= self._max_filters:
            raise LimitExceededError(
                f"too many filters: at most {self._max_filters} may be installed"
            )
        filter_id = "0x" + secrets.token_hex(16)
        self._filters[filter_id] = Filter(kind=kind, last_poll=self._clock(),
                                          capacity=self._capacity, query=query)
        return filter_id

    def uninstall(self, filter_id: str) -> bool:
        return self._filters.pop(filter_id, None) is not None

    def get(self, filter_id: str) -> Filter:
        """The live filter with this id; polling it resets its idle timer."""
        now = self._clock()
        found = self._filters.get(filter_id)
        if found is not None and found.last_poll < now - self._idle_seconds:
            del self._filters[filter_id]
            found = None
        if found is None:
            raise ServerError("filter not found")
        found.last_poll = now
        return found

    def drain(self, filter_id: str) -> list[Any]:
        found = self.get(filter_id)
        changes = list(found.changes)
        found.changes.clear()
        return changes

    def of_kind(self, kind: FilterKind) -> list[Filter]:
        return [item for item in self._filters.values() if item.kind is kind]

    def expire(self) -> int:
        """Drop filters not polled within the idle timeout; return how many were dropped."""
        deadline = self._clock() - self._idle_seconds
        stale = [key for key, item in self._filters.items() if item.last_poll < deadline]
        for key in stale:
            del self._filters[key]
        return len(stale)
