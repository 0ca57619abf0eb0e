"""When to restart a node process that died: soon, but not in a tight loop.

A node that crashes right after starting (bad disk, a bug on replay) would otherwise be restarted
hundreds of times a minute; doubling the delay up to a cap keeps the machine usable while still
healing a one-off crash within a second. A node that had been up for a while starts a new streak.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0
    """Seconds of uptime after which a crash counts as the first of a new streak."""

    def next_streak(self, streak: int, uptime: float) -> int:
        return 1 if uptime >= self.stable_after else streak + 1

    def delay(self, streak: int) -> float:
        if streak < 1:
            return 0.0
        return float(min(self.max_delay, self.first_delay * 2 ** (streak - 1)))
