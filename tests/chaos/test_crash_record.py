"""The crash run's summary: counts from what was observed, and every broken promise named."""

from __future__ import annotations

from ordo.chaos.crash.record import CrashRecord, KillOutcome, summarize
from ordo.chaos.invariants import RestartOutcome

NO_TRANSACTIONS = {"acknowledged": 0, "final": 0, "pending": 0, "dropped": 0, "lost": 0}


def kill(number: int, victim: int, caught_up_after: float | None,
         signs: tuple[str, ...] = (), head_at_kill: int = 11) -> KillOutcome:
    restart = RestartOutcome(victim, 0.8, 10, 12, signs)
    return KillOutcome(number, victim, victim == 0, True, head_at_kill, restart,
                       caught_up_after, 14, 4)


def test_a_clean_run_passes_with_its_catch_up_spread() -> None:
    record = CrashRecord(kills=[kill(1, 0, 1.0), kill(2, 1, 3.0), kill(3, 2, 2.0)],
                         heights_compared_incrementally=12, heights_compared_at_end=20,
                         common_final_height=19)
    summary = summarize(record, 4, 3, NO_TRANSACTIONS, "repeat me", 12.345)
    assert summary["passed"] and summary["violations"] == []
    assert summary["catch_up_s"] == {"median": 2.0, "max": 3.0}
    assert summary["kills_per_node"] == {"0": 1, "1": 1, "2": 1}
    assert summary["producer_kills"] == 1
    assert summary["duration_s"] == 12.3


def test_no_catch_up_a_repair_a_mismatch_a_lost_transaction_and_missing_kills_all_fail() -> None:
    record = CrashRecord(kills=[kill(1, 2, None, ("Traceback",))],
                         mismatches=["block 3: node 2 holds 0xaa, node 0 holds 0xbb"])
    summary = summarize(record, 4, 5, dict(NO_TRANSACTIONS, lost=2), "repeat me", 1.0)
    assert not summary["passed"]
    assert summary["violations"] == [
        "block 3: node 2 holds 0xaa, node 0 holds 0xbb",
        "node 2 log after restart shows ['Traceback']",
        "kill 1: the node did not catch up",
        "only 1 of 5 kills were carried out",
        "2 acknowledged transactions lost",
    ]
    assert summary["restarts_needing_repair"] == 1
    assert summary["catch_up_s"] == {"median": None, "max": None}


def test_a_node_that_restarts_below_the_head_it_served_before_the_kill_fails() -> None:
    record = CrashRecord(kills=[kill(1, 3, 1.0, head_at_kill=13)])
    summary = summarize(record, 4, 1, NO_TRANSACTIONS, "repeat me", 1.0)
    assert summary["violations"] == ["kill 1: node 3 restarted at head 12, below the head 13 it "
                                     "served just before the kill"]
    assert summary["restarts_below_served_head"] == 1
