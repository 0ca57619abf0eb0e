"""Each upon-rule of docs/consensus.md §8, driven through the real step function one event at a
time."""

from __future__ import annotations

from ordo.consensus import (
    NIL,
    BlockBuilt,
    BlockValidated,
    Broadcast,
    Commit,
    ConsensusState,
    ProposalReceived,
    ProposeRequest,
    RequestValidation,
    ScheduleTimeout,
    Step,
    TimeoutFired,
    VoteReceived,
    VoteType,
    verify_certificate,
)
from ordo.consensus.actions import Action
from tests.consensus.committee import CHAIN_ID, GENESIS_HASH, Committee, of_type, run

PREVOTE, PRECOMMIT = VoteType.PREVOTE, VoteType.PRECOMMIT


def broadcasts(actions: list[Action]) -> list[object]:
    return [action.message for action in of_type(actions, Broadcast)]


def timeouts(actions: list[Action]) -> list[ScheduleTimeout]:
    return of_type(actions, ScheduleTimeout)


def outsider(committee: Committee, *rounds: int) -> int:
    """A validator that proposes in none of ``rounds`` at height 1."""
    state, _ = committee.started(None)
    busy = {committee.proposer_index(state, round_) for round_ in rounds}
    return next(index for index in range(len(committee.stakes)) if index not in busy)


def others(committee: Committee, me: int) -> list[int]:
    return [index for index in range(len(committee.stakes)) if index != me]


def receive_valid_proposal(
    committee: Committee,
    state: ConsensusState,
    round_: int = 0,
    tag: bytes = b"a",
    valid_round: int = -1,
    built_in: int | None = None,
) -> tuple[ConsensusState, list[Action], bytes]:
    """Proposal of round ``round_`` of a block built by the proposer of ``built_in`` (default:
    the same round), validated as valid."""
    proposer = committee.proposer_index(state, round_)
    builder = committee.proposer_index(state, round_ if built_in is None else built_in)
    value = committee.value_by(builder, tag)
    state, actions = run(
        state,
        ProposalReceived(committee.proposal(proposer, value, round_, valid_round)),
        BlockValidated(value.block_hash, True),
    )
    return state, actions, value.block_hash


def locked_state(committee: Committee, me: int) -> tuple[ConsensusState, bytes]:
    """``me`` locked on a value at round 0 (step precommit)."""
    state, _ = committee.started(me)
    state, _, block = receive_valid_proposal(committee, state)
    votes = [VoteReceived(committee.vote(i, PREVOTE, block)) for i in others(committee, me)]
    state, _ = run(state, *votes)
    assert state.locked_round == 0 and state.step == Step.PRECOMMIT
    return state, block


def enter_round_one(committee: Committee, me: int, state: ConsensusState) -> ConsensusState:
    """Precommit nil quorum from the others: round 1 at once, without waiting out the precommit
    timer (rules.rule_nil_round_skip, docs/consensus.md §18 departure 11)."""
    votes = [VoteReceived(committee.vote(i, PRECOMMIT, NIL)) for i in others(committee, me)]
    state, actions = run(state, *votes)
    assert state.round == 1 and state.step == Step.PROPOSE
    assert ScheduleTimeout(1, 1, Step.PROPOSE, committee.params.timeout_ms(Step.PROPOSE, 1)) \
        in actions
    return state


def test_start_non_proposer_sets_propose_timer_only() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, actions = committee.started(me)
    assert actions == [ScheduleTimeout(1, 0, Step.PROPOSE, committee.params.propose_base_ms)]
    assert (state.height, state.round, state.step) == (1, 0, Step.PROPOSE)


def test_start_proposer_requests_block_then_proposes_and_prevotes_it() -> None:
    committee = Committee((1, 1, 1, 1))
    probe, _ = committee.started(None)
    me = committee.proposer_index(probe, 0)
    state, actions = committee.started(me)
    assert of_type(actions, ProposeRequest) == [ProposeRequest(1, 0, GENESIS_HASH)]
    value = committee.value_by(me)
    state, actions = run(state, BlockBuilt(1, 0, value))
    assert broadcasts(actions) == [
        committee.proposal(me, value),
        committee.vote(me, PREVOTE, value.block_hash),
    ]
    state, actions = run(state, BlockBuilt(1, 0, committee.value_by(me, b"late")))
    assert broadcasts(actions) == []


def test_rule1_waits_for_validity_then_prevotes_the_value() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    state, actions = run(state, ProposalReceived(committee.proposal(proposer, value)))
    assert actions == [RequestValidation(value)]
    assert state.step == Step.PROPOSE
    state, actions = run(state, BlockValidated(value.block_hash, True))
    assert broadcasts(actions) == [committee.vote(me, PREVOTE, value.block_hash)]
    assert state.step == Step.PREVOTE


def test_rule1_prevotes_nil_for_an_invalid_value() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    state, actions = run(
        state,
        ProposalReceived(committee.proposal(proposer, value)),
        BlockValidated(value.block_hash, False),
    )
    assert broadcasts(actions) == [committee.vote(me, PREVOTE, NIL)]


def test_rule1_prevotes_nil_when_parent_is_wrong_without_asking_the_node() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer, parent=b"\x07" * 32)
    state, actions = run(state, ProposalReceived(committee.proposal(proposer, value)))
    assert of_type(actions, RequestValidation) == []
    assert broadcasts(actions) == [committee.vote(me, PREVOTE, NIL)]


def test_rule1_prevotes_nil_when_locked_on_another_value() -> None:
    committee = Committee((1, 1, 1, 1))
    me = outsider(committee, 0, 1)
    state, _ = locked_state(committee, me)
    state = enter_round_one(committee, me, state)
    state, actions, _ = receive_valid_proposal(committee, state, round_=1, tag=b"other")
    assert broadcasts(actions) == [committee.vote(me, PREVOTE, NIL, round_=1)]


def test_rule1_prevotes_the_locked_value_when_its_builder_proposes_it_again() -> None:
    committee = Committee((1, 1, 1, 1))
    me = outsider(committee, 0)
    state, locked = locked_state(committee, me)
    # a skip set of round-4 messages moves us to round 4, whose proposer built the locked value
    skip = [
        VoteReceived(committee.vote(i, PRECOMMIT, NIL, round_=4)) for i in others(committee, me)[:2]
    ]
    state, _ = run(state, *skip)
    assert state.round == 4 and committee.proposer_index(state, 4) == committee.proposer_index(
        state, 0
    )
    state, actions, block = receive_valid_proposal(committee, state, round_=4, tag=b"a")
    assert block == locked
    assert broadcasts(actions) == [committee.vote(me, PREVOTE, locked, round_=4)]


def test_rule2_unlocks_on_reproposal_with_newer_prevote_quorum() -> None:
    committee = Committee((1, 1, 1, 1))
    me = outsider(committee, 0, 1, 2)
    state, _ = locked_state(committee, me)
    state = enter_round_one(committee, me, state)
    state, actions, other = receive_valid_proposal(committee, state, round_=1, tag=b"b")
    assert broadcasts(actions) == [committee.vote(me, PREVOTE, NIL, round_=1)]
    quorum_round_1 = [
        VoteReceived(committee.vote(i, PREVOTE, other, round_=1)) for i in others(committee, me)
    ]
    nil_precommits = [
        VoteReceived(committee.vote(i, PRECOMMIT, NIL, round_=1)) for i in others(committee, me)
    ]
    # we precommit nil (prevote timer) before the round-1 quorum reaches us: no re-lock
    state, _ = run(
        state,
        TimeoutFired(1, 1, Step.PREVOTE),
        *quorum_round_1,
        *nil_precommits,
        TimeoutFired(1, 1, Step.PRECOMMIT),
    )
    assert state.round == 2 and state.locked_round == 0 and state.valid_round == 1
    # a valid-round proposal of round 2 re-proposes ``other`` with vr = 1 >= locked_round
    state, actions, block = receive_valid_proposal(
        committee, state, round_=2, tag=b"b", valid_round=1, built_in=1
    )
    assert block == other
    assert broadcasts(actions) == [committee.vote(me, PREVOTE, other, round_=2)]


def test_rule2_does_not_fire_without_a_prevote_quorum_in_the_valid_round() -> None:
    committee = Committee((1, 1, 1, 1))
    me = outsider(committee, 0, 1)
    state, _ = committee.started(me)
    nil_precommits = [
        VoteReceived(committee.vote(i, PRECOMMIT, NIL)) for i in others(committee, me)
    ]
    state, _ = run(state, *nil_precommits, TimeoutFired(1, 0, Step.PRECOMMIT))
    state, actions, _ = receive_valid_proposal(committee, state, round_=1, valid_round=0)
    assert broadcasts(actions) == []
    assert state.step == Step.PROPOSE
    state, actions = run(state, TimeoutFired(1, 1, Step.PROPOSE))
    assert broadcasts(actions) == [committee.vote(me, PREVOTE, NIL, round_=1)]


def test_rule3_prevote_timer_once_on_mixed_quorum() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    state, _, block = receive_valid_proposal(committee, state)
    first, second, third = others(committee, me)
    state, actions = run(
        state,
        VoteReceived(committee.vote(first, PREVOTE, block)),
        VoteReceived(committee.vote(second, PREVOTE, NIL)),
    )
    assert timeouts(actions) == [ScheduleTimeout(1, 0, Step.PREVOTE, 500)]
    state, actions = run(state, VoteReceived(committee.vote(third, PREVOTE, b"\x05" * 32)))
    assert timeouts(actions) == []
    state, actions = run(state, TimeoutFired(1, 0, Step.PREVOTE))
    assert broadcasts(actions) == [committee.vote(me, PRECOMMIT, NIL)]


def test_rule4_locks_and_precommits_at_step_prevote() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    state, _, block = receive_valid_proposal(committee, state)
    first, second, _ = others(committee, me)
    state, actions = run(
        state,
        VoteReceived(committee.vote(first, PREVOTE, block)),
        VoteReceived(committee.vote(second, PREVOTE, block)),
    )
    assert broadcasts(actions) == [committee.vote(me, PRECOMMIT, block)]
    assert state.locked_value is not None and state.locked_value.block_hash == block
    assert (state.locked_round, state.valid_round, state.step) == (0, 0, Step.PRECOMMIT)


def test_rule4_after_precommitting_nil_only_updates_the_valid_value() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    state, _ = run(state, TimeoutFired(1, 0, Step.PROPOSE), TimeoutFired(1, 0, Step.PREVOTE))
    assert state.step == Step.PRECOMMIT
    state, _, block = receive_valid_proposal(committee, state)
    votes = [VoteReceived(committee.vote(i, PREVOTE, block)) for i in others(committee, me)]
    state, actions = run(state, *votes)
    assert broadcasts(actions) == []
    assert state.locked_round == -1 and state.locked_value is None
    assert state.valid_round == 0 and state.valid_value is not None


def test_rule4_does_not_fire_for_a_value_not_yet_validated() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    proposal = committee.proposal(proposer, value)
    state, _ = run(state, ProposalReceived(proposal), TimeoutFired(1, 0, Step.PROPOSE))
    votes = [
        VoteReceived(committee.vote(i, PREVOTE, value.block_hash)) for i in others(committee, me)
    ]
    state, actions = run(state, *votes)
    assert state.locked_round == -1 and broadcasts(actions) == []
    state, actions = run(state, BlockValidated(value.block_hash, True))
    assert broadcasts(actions) == [committee.vote(me, PRECOMMIT, value.block_hash)]


def test_rule5_precommits_nil_on_nil_prevote_quorum() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    state, _ = run(state, TimeoutFired(1, 0, Step.PROPOSE))
    first, second, _ = others(committee, me)
    state, actions = run(
        state,
        VoteReceived(committee.vote(first, PREVOTE, NIL)),
        VoteReceived(committee.vote(second, PREVOTE, NIL)),
    )
    assert broadcasts(actions) == [committee.vote(me, PRECOMMIT, NIL)]
    assert state.step == Step.PRECOMMIT


def test_rule6_precommit_timer_once_then_next_round() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    first, second, third = others(committee, me)
    state, actions = run(
        state,
        VoteReceived(committee.vote(first, PRECOMMIT, NIL)),
        VoteReceived(committee.vote(second, PRECOMMIT, b"\x09" * 32)),
    )
    assert timeouts(actions) == []
    state, actions = run(state, VoteReceived(committee.vote(third, PRECOMMIT, NIL)))
    assert timeouts(actions) == [ScheduleTimeout(1, 0, Step.PRECOMMIT, 500)]
    state, actions = run(state, TimeoutFired(1, 0, Step.PRECOMMIT))
    assert (state.round, state.step) == (1, Step.PROPOSE)
    assert ScheduleTimeout(1, 1, Step.PROPOSE, committee.params.timeout_ms(Step.PROPOSE, 1)) \
        in actions


def test_nil_precommit_quorum_starts_the_next_round_without_the_precommit_timer() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    first, second, _ = others(committee, me)
    state, _ = run(
        state,
        TimeoutFired(1, 0, Step.PROPOSE),
        VoteReceived(committee.vote(first, PREVOTE, NIL)),
        VoteReceived(committee.vote(second, PREVOTE, NIL)),
    )
    assert (state.round, state.step) == (0, Step.PRECOMMIT)
    state, actions = run(state, VoteReceived(committee.vote(first, PRECOMMIT, NIL)))
    assert state.round == 0  # two nil precommits of four: no quorum yet
    state, actions = run(state, VoteReceived(committee.vote(second, PRECOMMIT, NIL)))
    assert (state.round, state.step) == (1, Step.PROPOSE)
    assert [t.step for t in timeouts(actions)] == [Step.PROPOSE]
    # the timer of round 0 that a slower path would still set off changes nothing now
    state, actions = run(state, TimeoutFired(1, 0, Step.PRECOMMIT))
    assert (state.round, state.step) == (1, Step.PROPOSE) and actions == []


def test_rule7_decides_in_another_round_with_a_verifying_certificate() -> None:
    committee = Committee((1, 1, 1, 1))
    me = outsider(committee, 1)
    state, _ = committee.started(me)
    state, _, block = receive_valid_proposal(committee, state, round_=1)
    precommits = [
        VoteReceived(committee.vote(i, PRECOMMIT, block, round_=1)) for i in others(committee, me)
    ]
    state, actions = run(state, *precommits)
    commits = of_type(actions, Commit)
    assert len(commits) == 1
    commit = commits[0]
    assert (commit.height, commit.value.block_hash, commit.certificate.round) == (1, block, 1)
    verify_certificate(commit.certificate, committee.validators, CHAIN_ID, commit.value.parent_hash)
    assert (state.height, state.round, state.step) == (2, 0, Step.PROPOSE)
    assert state.tip.parent_hash == block and state.locked_round == -1
    assert state.tip.proposer_offset == 1  # sticky failover: round 1's proposer keeps proposing


def test_rule7_needs_the_value_and_its_validity() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    precommits = [
        VoteReceived(committee.vote(i, PRECOMMIT, value.block_hash)) for i in others(committee, me)
    ]
    state, actions = run(state, *precommits)
    assert of_type(actions, Commit) == []
    state, actions = run(state, ProposalReceived(committee.proposal(proposer, value)))
    assert of_type(actions, Commit) == []
    state, actions = run(state, BlockValidated(value.block_hash, True))
    assert [commit.height for commit in of_type(actions, Commit)] == [1]


def test_rule8_skip_set_from_a_later_round_moves_us_there() -> None:
    committee = Committee((1, 2, 3, 4))  # total 10: a skip set needs stake >= 4
    state, _ = committee.started(None)
    by_stake = {committee.stakes[i]: i for i in range(4)}
    smallest, middle, large = by_stake[1], by_stake[2], by_stake[3]
    state, actions = run(
        state,
        VoteReceived(committee.vote(smallest, PREVOTE, NIL, round_=5)),
        VoteReceived(committee.vote(middle, PREVOTE, NIL, round_=5)),
    )
    assert state.round == 0  # stake 3 of 10 is not more than a third
    state, actions = run(state, VoteReceived(committee.vote(large, PRECOMMIT, NIL, round_=5)))
    assert (state.round, state.step) == (5, Step.PROPOSE)
    assert ScheduleTimeout(1, 5, Step.PROPOSE, committee.params.timeout_ms(Step.PROPOSE, 5)) \
        in actions


def test_unequal_stakes_quorum_is_by_stake_not_by_count() -> None:
    committee = Committee((1, 1, 1, 6))  # total 9: a quorum needs stake >= 7
    by_stake = sorted(range(4), key=lambda i: committee.stakes[i])
    small_a, small_b, small_c, big = by_stake
    state, _ = committee.started(None)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    state, _ = run(
        state,
        ProposalReceived(committee.proposal(proposer, value)),
        BlockValidated(value.block_hash, True),
    )
    smalls = [
        VoteReceived(committee.vote(i, PRECOMMIT, value.block_hash))
        for i in (small_a, small_b, small_c)
    ]
    state, actions = run(state, *smalls)
    assert of_type(actions, Commit) == []  # three of four validators, 3 of 9 stake
    state, actions = run(state, VoteReceived(committee.vote(big, PRECOMMIT, value.block_hash)))
    assert len(of_type(actions, Commit)) == 1


def test_stale_timeouts_are_ignored() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    after, actions = run(
        state,
        TimeoutFired(1, 3, Step.PROPOSE),
        TimeoutFired(2, 0, Step.PROPOSE),
        TimeoutFired(1, 0, Step.PREVOTE),
    )
    assert actions == [] and after == state


def test_observer_decides_but_never_signs() -> None:
    committee = Committee((1, 1, 1))
    state, actions = committee.started(None)
    state, more, block = receive_valid_proposal(committee, state)
    state, last = run(state, *[VoteReceived(committee.vote(i, PRECOMMIT, block)) for i in range(3)])
    assert broadcasts(actions + more + last) == []
    assert len(of_type(last, Commit)) == 1
