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


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values; None for no values."""
    if not sorted_values:
        return None
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction: {fraction!r} is not between 0 and 1")
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def block_time(progress: list[tuple[float, int]], start: float, end: float) -> float | None:
    """Mean seconds per final block within [start, end]: from the first to the last growth of
    the final height seen there; None with fewer than two growths."""
    inside = [(moment, height) for moment, height in progress if start <= moment <= end]
    if len(inside) < 2 or inside[-1][1] == inside[0][1]:
        return None
    return (inside[-1][0] - inside[0][0]) / (inside[-1][1] - inside[0][1])
