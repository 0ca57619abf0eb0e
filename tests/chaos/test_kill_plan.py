"""The crash run's kill schedule: repeatable by seed, every node killed, producer kills, and
most kills timed right after a commit."""

from __future__ import annotations

import pytest

from ordo.chaos.crash.kill_plan import MAX_HEAD_OFFSET, PRODUCER_EVERY, plan_kills


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    assert plan_kills(5, 20, 4) == plan_kills(5, 20, 4)
    assert plan_kills(5, 20, 4) != plan_kills(6, 20, 4)


def test_every_node_is_killed_and_every_third_kill_hits_the_producer() -> None:
    plan = plan_kills(1, 10, 4)
    assert {kill.victim for kill in plan if kill.victim is not None} == {0, 1, 2, 3}
    assert [kill.number for kill in plan if kill.victim is None] == [
        number for number in range(1, 11) if number % PRODUCER_EVERY == 0]


def test_most_kills_land_within_300_ms_of_a_new_head() -> None:
    plan = plan_kills(3, 200, 4)
    aligned = [kill for kill in plan if kill.after_new_head]
    assert len(aligned) > len(plan) // 2
    assert all(0 <= kill.delay <= MAX_HEAD_OFFSET for kill in aligned)
    assert all(0 <= kill.downtime <= 1.0 for kill in plan)
    assert "ms after a new head" in aligned[0].describe()


@pytest.mark.parametrize(("kills", "nodes", "text"), [(0, 4, "kills: 0"), (3, 1, "nodes: 1")])
def test_impossible_plans_are_refused(kills: int, nodes: int, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        plan_kills(1, kills, nodes)
