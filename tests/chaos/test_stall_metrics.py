from __future__ import annotations

from ordo.chaos.stall_metrics import block_time, longest_stall, percentile, recovery_after


def test_longest_stall_counts_the_edges_of_the_window() -> None:
    progress = [(11.0, 1), (12.0, 2), (20.0, 3), (21.0, 4)]
    assert longest_stall(progress, 10.0, 22.0) == 8.0
    assert longest_stall(progress, 10.0, 40.0) == 19.0
    assert longest_stall([], 5.0, 9.0) == 4.0


def test_recovery_is_the_first_progress_after_the_heal() -> None:
    progress = [(1.0, 1), (5.0, 2), (9.5, 3)]
    assert recovery_after(progress, 4.0) == 1.0
    assert recovery_after(progress, 5.0) == 4.5
    assert recovery_after(progress, 10.0) is None


def test_percentile_is_nearest_rank() -> None:
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([3.0], 0.5) == 3.0
    assert percentile([], 0.5) is None


def test_worst_recovery_is_reported_per_fault_kind() -> None:
    from ordo.chaos.finality_watch import FinalityWatch
    from ordo.chaos.harness import FaultBook, _worst_by_kind

    watch = FinalityWatch(None, [], list)  # type: ignore[arg-type]
    watch.record.progress = [(1.0, 1), (4.0, 2), (10.0, 3)]
    book = FaultBook(heals=[0.5, 3.0, 9.0, 11.0], heal_kinds=["kill", "kill", "loss", "pause"])
    assert _worst_by_kind(book, watch) == {"kill": 1.0, "loss": 1.0, "pause": None}


def test_block_time_is_seconds_per_final_block_inside_the_window() -> None:
    progress = [(1.0, 1), (2.0, 3), (4.0, 5), (30.0, 6)]
    assert block_time(progress, 0.0, 5.0) == 0.75
    assert block_time(progress, 3.0, 5.0) is None
    assert block_time([], 0.0, 5.0) is None
