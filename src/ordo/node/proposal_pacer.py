"""Timers and pacing of the consensus driver: when timeouts fire, when the round-0 propose timer
is armed, and when this node builds the block it was asked to propose.

The machine asks for timeouts and blocks as soon as a round starts; the rules of *when* are the
pure functions of ``production_policy`` (a quiet chain builds at once, a busy one after the block
time, an idle one at the heartbeat; validators arm the round-0 timer when the producer should
build). This part holds the one deferred timer and the one pending build request, re-evaluates
them when a transaction arrives or their wait is over, and drops them once the machine has moved
to another (height, round). Everything it does happens on the event loop through ``call_later``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from ordo.consensus import ProposeRequest, ScheduleTimeout, Step, TimeoutFired
from ordo.node.production_policy import (
    QUIET_PENDING,
    seconds_until_next_block,
    seconds_until_propose_timer,
)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


CallLater = Callable[[float, Callable[[], None]], Cancellable]


class ProposalPacer:
    def __init__(self, block_time: float, heartbeat_interval: float,
                 pending: Callable[[], int], current: Callable[[], tuple[int, int]],
                 fire: Callable[[TimeoutFired], None], build: Callable[[ProposeRequest], None],
                 call_later: CallLater, clock: Callable[[], float] = time.monotonic,
                 quiet_pending: int = QUIET_PENDING) -> None:
        """``pending``: transactions waiting in our pool; ``current``: the machine's (height,
        round); ``fire`` enqueues a timeout, ``build`` a build of the request, both now."""
        self.block_time = block_time
        self.heartbeat_interval = heartbeat_interval
        self.quiet_pending = quiet_pending
        self._pending = pending
        self._current = current
        self._fire = fire
        self._build = build
        self._call_later = call_later
        self._clock = clock
        self.last_commit_at = clock()
        self._deferred_timeout: ScheduleTimeout | None = None
        self._pending_build: ProposeRequest | None = None
        self._arm_handle: Cancellable | None = None
        self._build_handle: Cancellable | None = None

    def committed(self) -> None:
        """A block became final: pacing counts from now."""
        self.last_commit_at = self._clock()

    def reset(self) -> None:
        """The machine restarts: what it asked before is void."""
        self._deferred_timeout = None
        self._pending_build = None

    def stop(self) -> None:
        for handle in (self._arm_handle, self._build_handle):
            if handle is not None:
                handle.cancel()
        self._arm_handle = self._build_handle = None

    def schedule(self, action: ScheduleTimeout) -> None:
        """A timeout the machine asked for: the round-0 propose timer waits until the producer
        should build; every other one is armed now for its duration."""
        if action.round == 0 and action.step == Step.PROPOSE:
            self._deferred_timeout = action
            self.arm_if_due()
            return
        self._arm(action)

    def request_build(self, request: ProposeRequest) -> None:
        self._pending_build = request
        self.build_if_due()

    def on_transaction(self) -> None:
        """A transaction was admitted: the chain may have stopped being idle."""
        self.arm_if_due()
        self.build_if_due()

    def _arm(self, action: ScheduleTimeout) -> None:
        event = TimeoutFired(action.height, action.round, action.step)
        self._call_later(action.duration_ms / 1000, lambda: self._fire(event))

    def arm_if_due(self) -> None:
        """Arm the deferred round-0 propose timer when the proposer should start building."""
        action = self._deferred_timeout
        if action is None:
            return
        if (action.height, action.round) != self._current():
            self._deferred_timeout = None
            return
        wait = seconds_until_propose_timer(self._clock(), self.last_commit_at, self._pending(),
                                           self.block_time, self.heartbeat_interval,
                                           self.quiet_pending)
        if self._arm_handle is not None:
            self._arm_handle.cancel()
            self._arm_handle = None
        if wait > 0:
            self._arm_handle = self._call_later(wait, self.arm_if_due)
            return
        self._deferred_timeout = None
        self._arm(action)

    def build_if_due(self) -> None:
        """Hand the pending build request on when its time has come (later rounds: at once)."""
        request = self._pending_build
        if request is None:
            return
        if (request.height, request.round) != self._current():
            self._pending_build = None
            return
        wait = 0.0
        if request.round == 0:
            wait = seconds_until_next_block(self._clock(), self.last_commit_at, self._pending(),
                                            self.block_time, self.heartbeat_interval,
                                           self.quiet_pending)
        if self._build_handle is not None:
            self._build_handle.cancel()
            self._build_handle = None
        if wait > 0:
            self._build_handle = self._call_later(wait, self.build_if_due)
            return
        self._pending_build = None
        self._build(request)
