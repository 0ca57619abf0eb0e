"""Token buckets per (peer, kind), on an injected clock so tests control time exactly."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

Clock = Callable[[], float]
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class RateLimit:
    per_second: float
    burst: float

    def __post_init__(self) -> None:
        if not self.per_second > 0 or not self.burst >= 1:
            raise ValueError(f"rate limit needs per_second > 0 and burst >= 1, got "
                             f"{self.per_second!r}, {self.burst!r}")


class TokenBucket:
    def __init__(self, limit: RateLimit, now: float) -> None:
        self._limit = limit
        self._tokens = limit.burst
        self._updated = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        elapsed = max(0.0, now - self._updated)
        self._updated = max(self._updated, now)
        self._tokens = min(self._limit.burst, self._tokens + elapsed * self._limit.per_second)
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False


class RateLimiter(Generic[K]):
    """Buckets created lazily per key; keys without a configured limit are never limited."""

    def __init__(self, limits: Mapping[K, RateLimit], clock: Clock) -> None:
        self._limits = limits
        self._clock = clock
        self._buckets: dict[tuple[Hashable, K], TokenBucket] = {}

    def allow(self, owner: Hashable, key: K, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens (a TX_BATCH costs one TX token per transaction it carries)."""
        limit = self._limits.get(key)
        if limit is None:
            return True
        now = self._clock()
        bucket = self._buckets.get((owner, key))
        if bucket is None:
            bucket = self._buckets[(owner, key)] = TokenBucket(limit, now)
        return bucket.take(now, cost)

    def forget(self, owner: Hashable) -> None:
        """Drop an owner's buckets when its connection ends, so memory follows live peers."""
        for bucket_key in [k for k in self._buckets if k[0] == owner]:
            del self._buckets[bucket_key]
