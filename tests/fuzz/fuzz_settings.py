"""Shared hypothesis settings: no per-example deadline (a live node on a loaded 2-core machine
answers in milliseconds, sometimes in hundreds), and example counts chosen per test so the whole
fuzz folder stays near two minutes."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

BASE = settings(deadline=None, suppress_health_check=list(HealthCheck))


def fuzz(examples: int) -> settings:
    return settings(BASE, max_examples=examples)
