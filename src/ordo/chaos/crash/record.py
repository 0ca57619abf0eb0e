"""What one crash run observed, and the JSON summary made from it (pure)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ordo.chaos.invariants import RestartOutcome, check_restarts


@dataclass(frozen=True)
class KillOutcome:
    number: int
    victim: int
    was_producer: bool
    """The victim was the producer named by the network when it was killed."""
    after_new_head: bool
    head_at_kill: int | None
    """The victim's head last seen before the kill (None: it did not answer)."""
    restart: RestartOutcome
    caught_up_after: float | None
    """Seconds from restart until its final height reached the others' (None: never)."""
    target_height: int | None
    """The others' highest final height when the victim first answered after the restart."""
    heights_compared: int


@dataclass
class CrashRecord:
    kills: list[KillOutcome] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    heights_compared_incrementally: int = 0
    heights_compared_at_end: int = 0
    common_final_height: int | None = None
    violations: list[str] = field(default_factory=list)


def summarize(record: CrashRecord, seed: int, planned: int, transactions: dict[str, Any],
              repeat: str, duration: float) -> dict[str, Any]:
    restarts = [kill.restart for kill in record.kills]
    catch_ups = sorted(kill.caught_up_after for kill in record.kills
                       if kill.caught_up_after is not None)
    ready = sorted(outcome.ready_after for outcome in restarts if outcome.ready_after is not None)
    repairs = check_restarts(restarts)
    not_caught_up = [kill.number for kill in record.kills if kill.caught_up_after is None]
    regressions = [f"kill {kill.number}: node {kill.victim} restarted at head "
                   f"{kill.restart.head_after}, below the head {kill.head_at_kill} it served "
                   "just before the kill" for kill in record.kills
                   if kill.head_at_kill is not None and kill.restart.head_after is not None
                   and kill.restart.head_after < kill.head_at_kill]
    violations = (list(record.violations) + record.mismatches[:20] + repairs + regressions
                  + [f"kill {number}: the node did not catch up" for number in not_caught_up])
    if len(record.kills) < planned:
        violations.append(f"only {len(record.kills)} of {planned} kills were carried out")
    if transactions.get("lost"):
        violations.append(f"{transactions['lost']} acknowledged transactions lost")
    return {
        "seed": seed,
        "kills": len(record.kills),
        "kills_planned": planned,
        "restarts": sum(1 for outcome in restarts if outcome.ready_after is not None),
        "kills_per_node": {str(node): count for node, count in sorted(
            Counter(kill.victim for kill in record.kills).items())},
        "producer_kills": sum(1 for kill in record.kills if kill.was_producer),
        "kills_after_new_head": sum(1 for kill in record.kills if kill.after_new_head),
        "caught_up": len(catch_ups),
        "catch_up_s": _spread(catch_ups),
        "rpc_ready_after_restart_s": _spread(ready),
        "restarts_needing_repair": len(repairs),
        "restarts_below_served_head": len(regressions),
        "heights_compared": {
            "after_each_restart": record.heights_compared_incrementally,
            "at_end_per_node": record.heights_compared_at_end,
            "common_final_height": record.common_final_height,
        },
        "mismatches": len(record.mismatches),
        "transactions": transactions,
        "duration_s": round(duration, 1),
        "kill_log": [f"kill {kill.number}: node {kill.victim}"
                     f"{' (producer)' if kill.was_producer else ''} at head "
                     f"{kill.head_at_kill}, answered after "
                     f"{_rounded(kill.restart.ready_after)} s, caught up to "
                     f"{kill.target_height} after {_rounded(kill.caught_up_after)} s"
                     for kill in record.kills],
        "violations": violations,
        "passed": not violations,
        "repeat": repeat,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _spread(values: list[float]) -> dict[str, float | None]:
    return {"median": _rounded(statistics.median(values)) if values else None,
            "max": _rounded(max(values)) if values else None}
