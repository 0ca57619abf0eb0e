"""A cache of something read from L1 that ordo_status shows, so status never waits for L1.

The staking view and the settlement view are both read at one L1 block and shown on every
status request; asking L1 on each request would make the node's RPC as slow as L1 (and a dead
L1 would hang it). This cache answers from memory at once, refreshes in the background at most
every ``max_age`` seconds, and turns a failed read into an ``error`` text next to the last good
value instead of an exception.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 10.0

V = TypeVar("V")


@dataclass(frozen=True)
class CachedView(Generic[V]):
    view: V | None
    """The last view read successfully, None before the first."""
    read_at: float | None
    """Clock time of that read."""
    error: str | None
    """Why the latest refresh failed, None if it succeeded."""
    now: float

    @property
    def age_seconds(self) -> float | None:
        """How old the view is (rounded to ms: status output, not a measurement)."""
        return None if self.read_at is None else round(max(0.0, self.now - self.read_at), 3)


class L1ViewCache(Generic[V]):
    """The last good view, refreshed in the background ``max_age`` seconds after the previous
    refresh ended (so a slow L1 is not asked back to back).

    ``current()`` never waits for L1: a stale or missing view starts one refresh task (never
    two at once) and the caller gets what is there now. A failed refresh keeps the old view and
    records the error, which ``current()`` shows until a refresh succeeds. ``expected`` are the
    failures of a down or wrong L1 (logged as warnings); anything else is a bug, logged with its
    traceback, and still only recorded: a background task has nobody else to raise to.
    """

    def __init__(self, read: Callable[[], Awaitable[V]], name: str,
                 expected: tuple[type[Exception], ...],
                 max_age: float = DEFAULT_MAX_AGE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not max_age > 0:
            raise ValueError(f"max_age: {max_age!r} must be positive")
        self._read = read
        self._name = name
        self._expected = expected
        self._max_age = max_age
        self._clock = clock
        self._view: V | None = None
        self._read_at: float | None = None
        self._finished_at: float | None = None
        """When the last refresh ended, well or not: the next is due max_age later."""
        self._error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def current(self) -> CachedView[V]:
        """What is known now; starts a refresh if due (needs a running event loop)."""
        now = self._clock()
        if self._due(now):
            self._task = asyncio.get_running_loop().create_task(self.refresh())
        return CachedView(self._view, self._read_at, self._error, now)

    async def refresh(self) -> None:
        """Read once now; failures are recorded, not raised."""
        try:
            view = await self._read()
        except self._expected as error:
            self._error = str(error) or type(error).__name__
            log.warning("%s not refreshed: %s", self._name, self._error)
        except Exception as error:  # a background task: nobody else would see it
            self._error = f"{type(error).__name__}: {error}"
            log.exception("%s refresh failed unexpectedly", self._name)
        else:
            self._view, self._read_at, self._error = view, self._clock(), None
        finally:
            self._finished_at = self._clock()

    async def wait(self) -> None:
        """Until the refresh in flight, if any, is over (start-up, tests)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def close(self) -> None:
        """Cancel a refresh in flight (node shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _due(self, now: float) -> bool:
        if self._task is not None and not self._task.done():
            return False
        return self._finished_at is None or now - self._finished_at >= self._max_age
