"""The fault schedule is a pure function of the seed and keeps its warm-up, cool-down and
one-fault-at-a-time promises."""

from __future__ import annotations

import itertools

import pytest

from ordo.chaos.fault_plan import (
    KIND_WEIGHTS,
    Fault,
    FaultKind,
    PlanShape,
    cut_links,
    directed,
    plan_faults,
)


def test_same_seed_same_plan_and_other_seed_other_plan() -> None:
    assert plan_faults(7, 300) == plan_faults(7, 300)
    assert plan_faults(7, 300) != plan_faults(8, 300)


@pytest.mark.parametrize("seed", range(30))
def test_faults_never_overlap_and_leave_warmup_and_cooldown_free(seed: int) -> None:
    shape = PlanShape()
    faults = plan_faults(seed, 200, shape)
    assert faults, "200 s always has room for faults"
    assert faults[0].start >= shape.warmup
    assert faults[-1].end <= 200 - shape.cooldown
    for earlier, later in itertools.pairwise(faults):
        assert later.start >= earlier.end + shape.min_gap - 1e-6
    for fault in faults:
        assert shape.min_duration <= fault.duration <= shape.max_duration


def test_every_kind_appears_over_a_long_run_with_sane_targets() -> None:
    faults = plan_faults(3, 3000)
    assert {fault.kind for fault in faults} == {kind for kind, _ in KIND_WEIGHTS}
    for fault in faults:
        if fault.kind in (FaultKind.KILL, FaultKind.PAUSE):
            assert len(fault.nodes) == 1 and 0 <= fault.nodes[0] < 4
        elif fault.kind is FaultKind.PARTITION:
            assert len(fault.nodes) in (1, 2)
        else:
            assert fault.pairs and all(0 <= a < b < 4 for a, b in fault.pairs)
        if fault.kind is FaultKind.LATENCY:
            assert 0.02 <= fault.delay <= 0.4
        if fault.kind is FaultKind.LOSS:
            assert 0.02 <= fault.loss <= 0.3


def test_a_run_too_short_for_any_fault_has_none() -> None:
    assert plan_faults(1, 20) == []


def test_partition_cuts_exactly_the_links_crossing_sides() -> None:
    fault = Fault(FaultKind.PARTITION, 0, 1, nodes=(0, 2))
    links = set(cut_links(fault, 4))
    assert links == {(0, 1), (1, 0), (0, 3), (3, 0), (2, 1), (1, 2), (2, 3), (3, 2)}
    isolated = set(cut_links(Fault(FaultKind.PARTITION, 0, 1, nodes=(3,)), 4))
    assert isolated == {(3, 0), (0, 3), (3, 1), (1, 3), (3, 2), (2, 3)}


def test_pairs_hurt_both_directions() -> None:
    assert directed(((0, 1), (2, 3))) == [(0, 1), (1, 0), (2, 3), (3, 2)]


def test_descriptions_name_kind_targets_and_strength() -> None:
    assert Fault(FaultKind.KILL, 1, 2.5, nodes=(2,)).describe() == "kill node 2 for 2.5s"
    assert "120ms" in Fault(FaultKind.LATENCY, 0, 1, pairs=((0, 1),), delay=0.12).describe()
    assert "p=0.25" in Fault(FaultKind.LOSS, 0, 1, pairs=((0, 1),), loss=0.25).describe()


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"nodes": 1}, "at least 2"),
    ({"min_gap": 0.0}, "gaps"),
    ({"min_duration": 5.0, "max_duration": 1.0}, "durations"),
])
def test_bad_shapes_are_refused_with_the_reason(kwargs: dict[str, float], text: str) -> None:
    with pytest.raises(ValueError, match=text):
        PlanShape(**kwargs)  # type: ignore[arg-type]


def test_a_plan_on_an_l1_draws_l1_faults_and_l1_down_lasts_tens_of_seconds() -> None:
    l1_kinds = (FaultKind.L1_DOWN, FaultKind.L1_REORG, FaultKind.POSTER_KILL,
                FaultKind.DISK_FULL, FaultKind.HOST_CUT)
    shape = PlanShape(nodes=4, l1_kinds=l1_kinds)
    faults = plan_faults(5, 3000, shape)
    assert {fault.kind for fault in faults} == set(FaultKind)
    assert plan_faults(5, 300) == plan_faults(5, 300, PlanShape(nodes=4)), \
        "a genesis-only plan is unchanged by the L1 kinds"
    for fault in faults:
        if fault.kind is FaultKind.L1_DOWN:
            assert 20 <= fault.duration <= 40
        if fault.kind is FaultKind.POSTER_KILL:
            assert fault.point in ("building", "sent", "accepted")
        if fault.kind is FaultKind.L1_REORG:
            assert fault.depth > 2, "deeper than the devnet's two confirmations"


def test_only_cycles_through_the_given_kinds_in_order() -> None:
    only = (FaultKind.POSTER_KILL, FaultKind.L1_DOWN, FaultKind.DISK_FULL)
    faults = plan_faults(1, 400, PlanShape(only=only))
    assert [fault.kind for fault in faults[:3]] == list(only)
    assert len(faults) > 3


def test_the_poster_dies_at_each_point_of_posting_in_turn() -> None:
    faults = plan_faults(2, 200, PlanShape(only=(FaultKind.POSTER_KILL,)))
    assert [fault.point for fault in faults[:4]] == ["building", "sent", "accepted",
                                                     "building"]
