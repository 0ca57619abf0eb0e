"""Stalls of finality, computed from the times the network's highest final block grew (pure)."""

from __future__ import annotations

import itertools


def longest_stall(progress: list[tuple[float, int]], start: float, end: float) -> float:
    """Longest interval within [start, end] in which the highest final height did not grow."""
    times = [start] + [moment for moment, _ in progress if start < moment <= end] + [end]
    return max((later - earlier for earlier, later in itertools.pairwise(times)), default=0.0)


def recovery_after(progress: list[tuple[float, int]], heal: float) -> float | None:
    """Seconds from a heal until the first new final block after it; None if none came."""
    for moment, _ in progress:
        if moment > heal:
            return moment - heal
    return None
