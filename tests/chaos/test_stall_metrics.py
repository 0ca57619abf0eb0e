from __future__ import annotations

from ordo.chaos.stall_metrics import longest_stall, percentile, recovery_after


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
