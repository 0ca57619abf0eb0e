"""The virtual clock and network: a seeded event queue with per-message delay, loss,
duplication and partitions. Reordering follows from independent random delays; before the
scenario's stable time some messages are slow, after it every delay is bounded (GST).

A scripted adversary may also stand in the network before the stable time: ``gate`` drops what
it refuses, and ``inject`` delivers the adversary's own messages exactly when it wants them."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ordo.consensus.messages import NIL, Vote, VoteType
from ordo.consensus.simulator.scenario import SLOW_DELAY_MS, SLOW_LINK_PERIOD_MS, Scenario
from ordo.consensus.simulator.wire import Payload, SyncResponse

Receiver = Callable[[int, Payload], None]
Gate = Callable[[int, int, Payload], bool]


def _reveals_decision(payload: Payload) -> bool:
    if isinstance(payload, Vote):
        return payload.vote_type == VoteType.PRECOMMIT and payload.block_hash != NIL
    return isinstance(payload, SyncResponse)


@dataclass
class VirtualNetwork:
    scenario: Scenario
    rng: random.Random
    now_ms: int = 0
    sent: int = 0
    dropped: int = 0
    gate: Gate | None = None
    _queue: list[tuple[int, int, Callable[[], None]]] = field(default_factory=list)
    _sequence: int = 0

    def schedule(self, delay_ms: int, callback: Callable[[], None]) -> None:
        self._sequence += 1
        heapq.heappush(self._queue, (self.now_ms + max(0, delay_ms), self._sequence, callback))

    def run_until(self, end_ms: int, stop: Callable[[], bool] | None = None) -> None:
        """Play every event up to ``end_ms``; with ``stop``, return as soon as it holds (the
        clock then stays at the last event's time)."""
        queue = self._queue
        if stop is not None and stop():
            return
        while queue and queue[0][0] <= end_ms:
            time_ms, _, callback = heapq.heappop(queue)
            self.now_ms = time_ms
            callback()
            if stop is not None and stop():
                return
        self.now_ms = end_ms

    def is_connected(self, sender: int, receiver: int) -> bool:
        for partition in self.scenario.partitions:
            if partition.start_ms <= self.now_ms < partition.end_ms:
                for group in partition.groups:
                    if (sender in group) != (receiver in group):
                        return False
        return True

    def send(self, sender: int, receiver: int, payload: Payload, deliver: Receiver) -> None:
        """Queue ``payload`` for ``receiver`` unless the network loses it."""
        self.sent += 1
        scenario = self.scenario
        if not self.is_connected(sender, receiver) or self.rng.random() < scenario.drop_rate:
            self.dropped += 1
            return
        if (
            self.gate is not None
            and self.now_ms < scenario.stable_at_ms
            and not self.gate(sender, receiver, payload)
        ):
            self.dropped += 1
            return
        copies = 2 if self.rng.random() < scenario.duplicate_rate else 1
        asynchronous = self.now_ms < scenario.stable_at_ms
        slow = asynchronous and (
            (sender, receiver)
            in scenario.slow_links[
                min(self.now_ms // SLOW_LINK_PERIOD_MS, len(scenario.slow_links) - 1)
            ]
            or (_reveals_decision(payload) and self.rng.random() < scenario.slow_decisions)
        )
        for _ in range(copies):
            if asynchronous and (slow or self.rng.random() < scenario.slow_rate):
                delay = self.rng.randint(scenario.max_delay_ms, SLOW_DELAY_MS)
            else:
                delay = self.rng.randint(scenario.min_delay_ms, scenario.max_delay_ms)
            self.schedule(delay, lambda: deliver(sender, payload))

    def inject(
        self, sender: int, receiver: int, payload: Payload, deliver: Receiver, delay_ms: int
    ) -> None:
        """Deliver the adversary's ``payload`` after exactly ``delay_ms``, never lost."""
        self.sent += 1
        self.schedule(delay_ms, lambda: deliver(sender, payload))
