"""The seeded schedule of one crash run: who is killed, and when relative to its commits.

Pure: the same seed, kill count and node count always give the same plan, so a failing run is
repeated by its seed (which node produces at a given moment still depends on the live network).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PRODUCER_EVERY = 3
"""Every third kill hits whichever node is producing then: the producer commits the most."""
AFTER_HEAD_SHARE = 0.75
"""Share of kills timed just after the victim's head moved, when its commit writes are
freshest; the rest land at an unaligned moment."""
MAX_HEAD_OFFSET = 0.3
"""Seconds after an observed new head within which a head-aligned kill lands."""


@dataclass(frozen=True)
class PlannedKill:
    number: int
    victim: int | None
    """The node to kill; None: the node producing at that moment."""
    after_new_head: bool
    """Wait until the victim's head moves, then kill ``delay`` seconds later."""
    delay: float
    """Seconds after the new head (head-aligned) or after the previous node caught up."""
    downtime: float
    """Seconds the node stays dead before it is restarted from its own data dir."""

    def describe(self) -> str:
        who = "the producer" if self.victim is None else f"node {self.victim}"
        when = (f"{self.delay * 1000:.0f} ms after a new head" if self.after_new_head
                else f"{self.delay:.2f} s after the last catch-up")
        return f"kill {self.number}: {who}, {when}, down {self.downtime:.2f} s"


def plan_kills(seed: int, kills: int, nodes: int) -> list[PlannedKill]:
    """Kills that rotate over every node (a fresh shuffle per round) with every third aimed at
    the current producer."""
    if kills < 1:
        raise ValueError(f"kills: {kills} is not allowed; use at least 1")
    if nodes < 2:
        raise ValueError(f"nodes: {nodes} is not allowed; a network needs at least 2")
    rng = random.Random(seed)
    rotation: list[int] = []
    plan = []
    for number in range(1, kills + 1):
        victim: int | None = None
        if number % PRODUCER_EVERY != 0:
            if not rotation:
                rotation = rng.sample(range(nodes), nodes)
            victim = rotation.pop(0)
        after_new_head = rng.random() < AFTER_HEAD_SHARE
        delay = (rng.uniform(0.0, MAX_HEAD_OFFSET) if after_new_head
                 else rng.uniform(0.3, 3.0))
        plan.append(PlannedKill(number, victim, after_new_head, round(delay, 3),
                                round(rng.uniform(0.0, 1.0), 3)))
    return plan
