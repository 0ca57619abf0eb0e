"""The scripted attacks catch broken lock and quorum rules: each test breaks one rule (in this
process only) the way a plausible bug would, and the attack must then split the decisions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordo.consensus import rules, validator_set
from ordo.consensus.messages import NIL, VoteType
from ordo.consensus.params import Step
from ordo.consensus.simulator import Attack, make_attack_scenario, run_seed
from ordo.consensus.simulator.attack_scenario import find_lock_roles
from ordo.consensus.state import ConsensusState
from ordo.consensus.transitions import Outcome, cast_vote

SEEDS = range(0, 4)


def _keep_lock_of(before: ConsensusState, outcome: Outcome | None) -> Outcome | None:
    if outcome is None:
        return None
    state, actions = outcome
    kept = replace(state, locked_value=before.locked_value, locked_round=before.locked_round)
    return kept, actions


def lock_never_taken(state: ConsensusState) -> Outcome | None:
    return _keep_lock_of(state, rules.rule_lock(state))


def fresh_proposal_ignoring_lock(state: ConsensusState) -> Outcome | None:
    unlocked = replace(state, locked_value=None, locked_round=-1)
    return _keep_lock_of(state, rules.rule_fresh_proposal(unlocked))


def reproposal_without_quorum(state: ConsensusState) -> Outcome | None:
    if state.step != Step.PROPOSE:
        return None
    for proposal in state.proposals.get(state.round, ()):
        valid_round, block_hash = proposal.valid_round, proposal.value.block_hash
        if not 0 <= valid_round < state.round or block_hash not in state.validity:
            continue
        acceptable = state.validity[block_hash] and (
            state.locked_round <= valid_round
            or state.locked_value is None
            or state.locked_value.block_hash == block_hash
        )
        moved = replace(state, step=Step.PREVOTE)
        return cast_vote(moved, VoteType.PREVOTE, block_hash if acceptable else NIL)
    return None


MUTANTS = {
    "no lock in rule 4": (rules.rule_lock, lock_never_taken),
    "rule 1 ignores the lock": (rules.rule_fresh_proposal, fresh_proposal_ignoring_lock),
    "rule 2 without quorum": (rules.rule_reproposal, reproposal_without_quorum),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
@pytest.mark.parametrize(("nodes", "byzantine"), [(4, 1), (7, 2)])
def test_lock_attack_catches_broken_lock_rules(
    mutant: str, nodes: int, byzantine: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for seed in SEEDS:
        assert run_seed(seed, nodes, byzantine, Attack.LOCK).ok
    original, broken = MUTANTS[mutant]
    patched = tuple(broken if rule is original else rule for rule in rules.RULES)
    monkeypatch.setattr(rules, "RULES", patched)
    for seed in SEEDS:
        result = run_seed(seed, nodes, byzantine, Attack.LOCK)
        assert result.failure.startswith("agreement"), (seed, result)


@pytest.mark.parametrize(("nodes", "byzantine"), [(3, 1), (7, 2)])
def test_third_attack_catches_a_two_thirds_inclusive_quorum(
    nodes: int, byzantine: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for seed in SEEDS:
        assert run_seed(seed, nodes, byzantine, Attack.THIRD).ok
    monkeypatch.setattr(validator_set, "is_quorum", lambda stake, total: 3 * stake >= 2 * total)
    for seed in SEEDS:
        result = run_seed(seed, nodes, byzantine, Attack.THIRD)
        assert result.failure.startswith("agreement"), (seed, result)


def test_lock_scenarios_have_roles_that_make_the_attack_possible() -> None:
    for seed in range(100):
        scenario = make_attack_scenario(seed, 7, 2, Attack.LOCK)
        byzantine = sorted(scenario.byzantine_nodes)
        assert 3 * sum(scenario.stakes[i] for i in byzantine) < sum(scenario.stakes)
        assert scenario.attack_groups in find_lock_roles(scenario.stakes, byzantine)
        assert scenario.check_liveness and scenario.genesis_salt > 0


def test_third_scenarios_give_the_byzantine_exactly_a_third_and_halve_the_rest() -> None:
    for seed in range(100):
        scenario = make_attack_scenario(seed, 7, 2, Attack.THIRD)
        third = sum(scenario.stakes) // 3
        assert 3 * third == sum(scenario.stakes)
        assert sum(scenario.stakes[i] for i in scenario.byzantine_nodes) == third
        assert [sum(scenario.stakes[i] for i in half) for half in scenario.attack_groups] == [
            third,
            third,
        ]
        assert not scenario.check_liveness


def test_find_lock_roles_with_equal_stakes() -> None:
    # quorum 3 of 4: D + L + Z = 3, D + L = 2 (not a quorum), L + U + Z = 3
    assert sorted(find_lock_roles((1, 1, 1, 1), (0,))) == [
        ((1,), (2,), (3,)),
        ((1,), (3,), (2,)),
        ((2,), (1,), (3,)),
        ((2,), (3,), (1,)),
        ((3,), (1,), (2,)),
        ((3,), (2,), (1,)),
    ]
    assert find_lock_roles((1, 1, 1), (0,)) == []  # a Byzantine third: no room for the attack


@pytest.mark.parametrize(
    ("nodes", "byzantine", "attack"),
    [(4, 0, Attack.LOCK), (3, 1, Attack.LOCK), (4, 1, Attack.NONE), (2, 1, Attack.THIRD)],
)
def test_attack_scenarios_refuse_impossible_sizes(
    nodes: int, byzantine: int, attack: Attack
) -> None:
    with pytest.raises(ValueError):
        make_attack_scenario(0, nodes, byzantine, attack)


def test_attack_runs_replay_exactly() -> None:
    first = run_seed(7, 4, 1, Attack.LOCK)
    assert first == run_seed(7, 4, 1, Attack.LOCK) and first.ok
    assert first.attack_stages == ("planned", "split", "decided", "tempted")
