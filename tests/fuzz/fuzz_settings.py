"""Shared hypothesis settings: no per-example deadline (a live node on a loaded 2-core machine
answers in milliseconds, sometimes in hundreds), and example counts chosen per test so the whole
fuzz folder stays near two minutes. The long mode (``make long-fuzz``, never CI) multiplies every
count by ORDO_FUZZ_SCALE, a setting of this test harness that no node reads."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

BASE = settings(deadline=None, suppress_health_check=list(HealthCheck))
SCALE_ENV = "ORDO_FUZZ_SCALE"


def scale() -> int:
    text = os.environ.get(SCALE_ENV, "1")
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{SCALE_ENV}={text!r}: use a whole number >= 1")
    return int(text)


def fuzz(examples: int) -> settings:
    return settings(BASE, max_examples=examples * scale())
