"""Reconnect delays: exponential with full jitter, so restarted nodes do not redial in lockstep."""

from __future__ import annotations

from collections.abc import Callable


def reconnect_delay(attempt: int, initial: float, maximum: float,
                    uniform: Callable[[float, float], float]) -> float:
    """Delay before dial number ``attempt`` (0 = first retry), jittered in [ceiling/2, ceiling]."""
    ceiling = min(maximum, initial * (2 ** min(attempt, 32)))
    return uniform(ceiling / 2, ceiling)
