"""The honest player's rule over hand-built claim trees (every branch of it) and, at random,
against any opponent: every dishonest claim under an honest parent stays countered, the honest
player never answers an honest claim, and the game's winner is the honest side."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordo.challenger.game_model import ZERO_ADDRESS, Claim
from ordo.challenger.honest_trace import (
    BatchTrace,
    MissingStepTrace,
    StepTraceUnavailable,
    final_state,
)
from ordo.challenger.positions import SPLIT_DEPTH, attack_position, defend_position
from ordo.challenger.solver import (
    ClaimCredit,
    Move,
    Resolve,
    ResolveClaim,
    Step,
    countered,
    credit_claims,
    honest_flags,
    resolutions,
    respond,
    should_open,
)

from .game_sim import (
    HONEST,
    MAX_CLOCK,
    OPPONENT,
    Refused,
    SimGame,
    rules_for,
    synthetic_trace,
    wrong,
)

RULES = rules_for(2)


def game_with(root: bytes, trace: BatchTrace | None = None) -> SimGame:
    chosen = trace or synthetic_trace()
    return SimGame(chosen, RULES, root)


def only(actions: tuple[object, ...]) -> object:
    assert len(actions) == 1, actions
    return actions[0]


def test_opens_against_a_wrong_root_only() -> None:
    trace = synthetic_trace(count=5)
    assert should_open(1, b"\x01" * 32, trace.root, trace, RULES) is None
    opened = should_open(1, b"\x01" * 32, wrong(trace.root), trace, RULES)
    assert opened is not None
    # position 2 commits to block 2^9 - 1, past the batch's 5 blocks: the last output
    assert opened.claim == trace.root
    assert opened.bond == RULES.bond(1)


def test_attacks_a_wrong_root_and_leaves_a_right_one() -> None:
    trace = synthetic_trace()
    assert respond(game_with(trace.root).view(), trace, RULES, 1000).actions == ()
    sim = game_with(wrong(trace.root))
    move = only(respond(sim.view(), trace, RULES, 1000).actions)
    assert isinstance(move, Move) and move.is_attack and move.parent_index == 0
    assert move.position == 2 and move.claim == trace.value(2, RULES.max_game_depth)


def test_never_answers_its_own_claim_nor_repeats_a_move() -> None:
    trace = synthetic_trace()
    sim = game_with(wrong(trace.root))
    for action in respond(sim.view(), trace, RULES, 1000).actions:
        sim.apply(action)
    assert honest_flags(sim.view(), trace, RULES) == (False, True)
    assert respond(sim.view(), trace, RULES, 1000).actions == ()


def test_a_claim_another_honest_player_made_is_honest_and_not_repeated() -> None:
    trace = synthetic_trace()
    sim = game_with(wrong(trace.root))
    sim.move(0, trace.value(2, RULES.max_game_depth), True, OPPONENT)  # someone else, honest
    assert honest_flags(sim.view(), trace, RULES) == (False, True)
    assert respond(sim.view(), trace, RULES, 1000).actions == ()


def test_attacks_what_it_disagrees_with_and_defends_what_it_agrees_with() -> None:
    trace = synthetic_trace()
    depth_max = RULES.max_game_depth
    sim = game_with(wrong(trace.root))
    honest = sim.move(0, trace.value(2, depth_max), True, HONEST)
    wrong_child = sim.move(honest, wrong(trace.value(4, depth_max)), True, OPPONENT)
    right_child = sim.move(honest, trace.value(6, depth_max), False, OPPONENT)
    actions = respond(sim.view(), trace, RULES, 1000).actions
    assert {(a.parent_index, a.is_attack, a.position) for a in actions
            if isinstance(a, Move)} == {(wrong_child, True, attack_position(4)),
                                        (right_child, False, defend_position(6))}


def test_ignores_claims_below_a_dishonest_parent() -> None:
    trace = synthetic_trace()
    depth_max = RULES.max_game_depth
    sim = game_with(wrong(trace.root))
    dishonest = sim.move(0, wrong(trace.value(2, depth_max)), True, OPPONENT)
    below = sim.move(dishonest, wrong(trace.value(4, depth_max)), True, OPPONENT)
    sim.move(below, wrong(trace.value(8, depth_max)), True, OPPONENT)
    move = only(respond(sim.view(), trace, RULES, 1000).actions)
    assert isinstance(move, Move) and move.parent_index == 0  # only the root is answered
    assert honest_flags(sim.view(), trace, RULES) == (False, False, False, False)


def test_a_claim_whose_clock_ran_out_is_reported_not_answered() -> None:
    trace = synthetic_trace()
    sim = game_with(wrong(trace.root))
    plan = respond(sim.view(), trace, RULES, sim.now + MAX_CLOCK)
    assert plan.actions == ()
    assert plan.blocked[0].claim_index == 0 and "clock ran out" in plan.blocked[0].reason


def descend(sim: SimGame, trace: BatchTrace, until_depth: int) -> Claim:
    """Honest answers, the opponent attacks each new honest claim with a wrong value, until
    the newest honest claim is at ``until_depth``; returns it."""
    depth_max = RULES.max_game_depth
    for _ in range(depth_max + 2):
        for action in respond(sim.view(), trace, RULES, sim.now).actions:
            sim.apply(action)
        last = sim.claims[-1]
        assert last.claimant == HONEST
        if last.depth >= until_depth:
            return last
        value = wrong(trace.value(attack_position(last.position), depth_max))
        sim.move(last.index, value, True, OPPONENT)
    raise AssertionError("did not get there")


def test_attacks_a_wrong_leaf_by_stepping_into_it() -> None:
    trace = synthetic_trace()
    depth_max = RULES.max_game_depth
    sim = game_with(trace.root)  # a right root: the opponent holds the odd depths, the leaves
    sim.move(0, wrong(trace.value(2, depth_max)), True, OPPONENT)
    parent = descend(sim, trace, depth_max - 1)
    leaf = sim.move(parent.index, wrong(trace.value(attack_position(parent.position),
                                                    depth_max)), True, OPPONENT)
    step = only(respond(sim.view(), trace, RULES, sim.now).actions)
    assert isinstance(step, Step) and step.claim_index == leaf and step.is_attack
    sim.apply(step)
    assert sim.claims[leaf].countered_by == HONEST
    assert respond(sim.view(), trace, RULES, sim.now).actions == ()
    assert not sim.root_countered()


def test_defends_a_right_leaf_by_stepping_out_of_it() -> None:
    trace = synthetic_trace()
    depth_max = RULES.max_game_depth
    sim = game_with(trace.root)
    sim.move(0, wrong(trace.value(2, depth_max)), True, OPPONENT)
    parent = descend(sim, trace, depth_max - 1)
    right = trace.value(attack_position(parent.position), depth_max)
    leaf = sim.move(parent.index, right, True, OPPONENT)
    step = only(respond(sim.view(), trace, RULES, sim.now).actions)
    assert isinstance(step, Step) and step.claim_index == leaf and not step.is_attack
    sim.apply(step)
    assert not sim.root_countered()


def test_an_honest_leaf_cannot_be_stepped_on() -> None:
    trace = synthetic_trace()
    sim = game_with(wrong(trace.root))  # the honest player holds the odd depths: the leaves
    leaf = descend(sim, trace, RULES.max_game_depth)
    assert leaf.depth == RULES.max_game_depth
    for attack in (True, False):
        for step in range(4):
            with pytest.raises(Refused):
                sim.step(leaf.index, attack, trace.witness(0, step), OPPONENT)
    assert sim.root_countered()


def test_the_split_depth_rules_hold_for_honest_answers() -> None:
    trace = synthetic_trace()
    sim = game_with(wrong(trace.root))
    leaf = descend(sim, trace, SPLIT_DEPTH - 1)
    # the opponent's wrong output leaf: the honest step root attacking it is accepted, and it
    # is the honest final state of that block
    value = wrong(trace.value(attack_position(leaf.position), RULES.max_game_depth))
    output_leaf = sim.move(leaf.index, value, True, OPPONENT)
    move = only(respond(sim.view(), trace, RULES, sim.now).actions)
    assert isinstance(move, Move) and move.parent_index == output_leaf
    assert move.claim == final_state(trace.value(move.position >> 1, RULES.max_game_depth))
    sim.apply(move)
    # the opponent cannot root a step subgame in the honest final state against the honest
    # leaf, nor defend a step subgame's root
    with pytest.raises(Refused, match="can only be attacked"):
        sim.move(len(sim.claims) - 1, wrong(move.claim), False, OPPONENT)


def test_the_step_half_without_a_tracer_is_blocked_loudly_and_the_rest_is_played() -> None:
    full = synthetic_trace()
    trace = BatchTrace(full.batch_index, full.first_block, full.start_root, full.inputs_root,
                       full.outputs, full.max_step_depth, MissingStepTrace(1, 100))
    with pytest.raises(StepTraceUnavailable, match="no whole-block step tracer"):
        trace.state(0, 1)
    assert trace.state(0, 0) != trace.state(0, 4) == final_state(trace.outputs[0])
    sim = game_with(wrong(full.root), trace)
    step_root = descend(sim, full, SPLIT_DEPTH + 1)  # the output half needs no tracer
    assert step_root.value == final_state(full.outputs[0]) or step_root.depth == SPLIT_DEPTH + 1
    value = wrong(full.value(attack_position(step_root.position), RULES.max_game_depth))
    opponent = sim.move(step_root.index, value, True, OPPONENT)
    plan = respond(sim.view(), trace, RULES, sim.now)
    assert plan.actions == ()
    assert [b.claim_index for b in plan.blocked] == [opponent]
    assert "no whole-block step tracer" in plan.blocked[0].reason
    assert "L2 block 1" in plan.blocked[0].reason or "of batch 1" in plan.blocked[0].reason


def test_resolution_goes_bottom_up_once_clocks_run_out() -> None:
    trace = synthetic_trace()
    depth_max = RULES.max_game_depth
    sim = game_with(wrong(trace.root))
    for action in respond(sim.view(), trace, RULES, sim.now).actions:
        sim.apply(action)
    dishonest = sim.move(1, wrong(trace.value(4, depth_max)), True, OPPONENT)
    sim.now += 10
    for action in respond(sim.view(), trace, RULES, sim.now).actions:
        sim.apply(action)
    assert resolutions(sim.view(), RULES, sim.now) == ()
    # the deepest claim's clock runs out first: only it is ready
    first_out = sim.now + MAX_CLOCK - 10
    assert resolutions(sim.view(), RULES, first_out) == ()
    later = sim.now + MAX_CLOCK
    assert resolutions(sim.view(), RULES, later) == (
        ResolveClaim(1, 3), ResolveClaim(1, dishonest), ResolveClaim(1, 1),
        ResolveClaim(1, 0), Resolve(1, root_lost=True))
    from dataclasses import replace
    sim.claims[3] = replace(sim.claims[3], resolved=True)
    sim.claims[2] = replace(sim.claims[2], resolved=True, countered_by=HONEST)
    assert resolutions(sim.view(), RULES, later)[0] == ResolveClaim(1, 1)
    sim.claims[1] = replace(sim.claims[1], resolved=True)
    sim.claims[0] = replace(sim.claims[0], resolved=True, countered_by=HONEST)
    assert resolutions(sim.view(), RULES, later) == (Resolve(1, root_lost=True),)
    assert credit_claims(HONEST, 0, 0) == ()
    assert credit_claims(HONEST, 1, 0) == (ClaimCredit(HONEST),)
    assert credit_claims(HONEST, 0, 5) == (ClaimCredit(HONEST),)


def test_the_predicted_verdict_is_the_simulated_contracts() -> None:
    for seed in range(40):
        sim = play_random(seed, seed % 2 == 0, 1 + seed % 7, 1 + seed % 12)
        assert countered(sim.view())[0] is sim.root_countered()
        assert countered(sim.view())[0] is (seed % 2 != 0)


def test_the_root_claims_clock_starts_at_the_opening() -> None:
    trace = synthetic_trace()
    sim = game_with(trace.root)
    view = sim.view()
    assert view.seconds_to_counter(0, sim.now + 30, RULES) == MAX_CLOCK - 30
    assert view.claims[0].countered_by == ZERO_ADDRESS


def play_random(seed: int, right_root: bool, count: int, rounds: int) -> SimGame:
    """An opponent that, each round, counters random claims (its own too) with the honest or a
    wrong value, attacking or defending, and steps where it can; the honest player answers
    after each round."""
    rng = random.Random(seed)
    trace = synthetic_trace(count=count, salt=bytes([seed % 256]))
    sim = game_with(trace.root if right_root else wrong(trace.root), trace)
    depth_max = RULES.max_game_depth
    if right_root:
        sim.move(0, wrong(trace.value(2, depth_max)), True, OPPONENT)
    for _ in range(rounds):
        for action in respond(sim.view(), trace, RULES, sim.now).actions:
            sim.apply(action)
        flags = honest_flags(sim.view(), trace, RULES)
        answered = {claim.parent_index for claim in sim.claims[1:] if claim.claimant == OPPONENT}
        for claim in list(sim.claims):
            # mostly the honest player's newest claims (which drives the game deep), now and
            # then anything else, its own claims included
            fresh = flags[claim.index] and claim.index not in answered
            if len(sim.claims) > 150 or rng.random() > (0.9 if fresh else 0.08):
                continue
            if claim.depth >= depth_max:
                block = (claim.position >> 2) % 8
                with contextlib.suppress(Refused):
                    sim.step(claim.index, rng.random() < 0.5,
                             trace.witness(block, rng.randrange(4)), OPPONENT)
                continue
            attack = rng.random() < 0.6
            position = attack_position(claim.position) if attack else \
                defend_position(claim.position)
            honest_value = trace.value(position, depth_max)
            value = honest_value if rng.random() < 0.3 else wrong(honest_value, rng.randrange(3))
            if flags[claim.index] and value == honest_value and rng.random() < 0.5:
                value = wrong(value)
            with contextlib.suppress(Refused):
                sim.move(claim.index, value, attack, OPPONENT)
    for _ in range(depth_max + 2):  # the opponent stops; the honest player finishes
        actions = respond(sim.view(), trace, RULES, sim.now).actions
        if not actions:
            break
        for action in actions:
            sim.apply(action)
    return sim


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), right_root=st.booleans(), count=st.integers(1, 9),
       rounds=st.integers(1, 18))
def test_against_any_opponent_every_dishonest_claim_stays_countered(
        seed: int, right_root: bool, count: int, rounds: int) -> None:
    sim = play_random(seed, right_root, count, rounds)
    trace = sim.trace
    flags = honest_flags(sim.view(), trace, RULES)
    for claim in sim.claims:
        if claim.claimant == HONEST:
            assert flags[claim.index], f"the honest player made a dishonest claim {claim}"
            assert not flags[claim.parent_index] or claim.parent_index == claim.index
        under_honest = claim.is_root or flags[claim.parent_index]
        if under_honest and not flags[claim.index]:
            answered = claim.countered_by == HONEST or any(
                flags[child.index] for child in sim.claims[1:]
                if child.parent_index == claim.index)
            assert answered, f"dishonest claim {claim.index} at depth {claim.depth} unanswered"
    assert sim.root_countered() is (not right_root)
    assert respond(sim.view(), trace, RULES, sim.now).actions == ()


def test_a_true_step_subgame_root_needs_no_answer() -> None:
    """docs/fault_proofs.md 6.6: it cannot be defended; the game's rules keep one from
    countering an honest output leaf, so the claim is put in place by hand here."""
    from dataclasses import replace

    trace = synthetic_trace()
    depth_max = RULES.max_game_depth
    sim = game_with(trace.root)  # the honest player holds the even depths
    sim.move(0, wrong(trace.value(2, depth_max)), True, OPPONENT)
    leaf = descend(sim, trace, SPLIT_DEPTH)
    assert leaf.depth == SPLIT_DEPTH and leaf.claimant == HONEST
    position = attack_position(leaf.position)
    with pytest.raises(Refused, match="must not end in it"):
        sim.move(leaf.index, trace.value(position, depth_max), True, OPPONENT)
    true_root = replace(leaf, index=len(sim.claims), parent_index=leaf.index,
                        claimant=OPPONENT, position=position,
                        value=trace.value(position, depth_max))
    sim.claims.append(true_root)
    plan = respond(sim.view(), trace, RULES, sim.now)
    assert plan.actions == () and plan.blocked == ()
    # a false one there is attacked
    sim.claims[-1] = replace(true_root, value=wrong(true_root.value))
    move = only(respond(sim.view(), trace, RULES, sim.now).actions)
    assert isinstance(move, Move) and move.parent_index == true_root.index and move.is_attack
