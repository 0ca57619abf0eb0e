"""The upon-rules of Tendermint's Algorithm 1 (docs/consensus.md §8 numbering), stake-weighted.

Each rule is a function of the state alone that returns None when its condition does not hold.
:func:`apply_rules` fires them until none applies, so a quorum completed by our own vote is seen
at once. Rules that the paper fires "for the first time" record (rule, round) in ``state.fired``.

Two deliberate departures. Rule 7 takes the value with the precommitted hash from a proposal
of any round of this height, not only round r's: the hash binds the value and safety rests on the
precommit quorum alone; this lets a node that missed round r's proposal decide from a
re-proposal. And a precommit quorum for nil in the current round starts the next round at once
(:func:`rule_nil_round_skip`) instead of waiting out the precommit timer: that timer waits for
precommits that could still complete a quorum for a value, and after more than 2/3 precommitted
nil none can (without more than 1/3 double-signing); moving to a later round is always safe, as
safety rests on locks and quorums, never on timing (docs/consensus.md §18, departure 11).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ordo.consensus.actions import Action, ScheduleTimeout
from ordo.consensus.certificate import build_certificate
from ordo.consensus.messages import NIL, Proposal, VoteType
from ordo.consensus.params import Step
from ordo.consensus.state import ConsensusState
from ordo.consensus.transitions import (
    Outcome,
    cast_vote,
    decide,
    find_value,
    start_round,
)
from ordo.consensus.vote_tally import EMPTY_TALLY

RULE_PREVOTE_TIMER = 3
RULE_LOCK = 4
RULE_PRECOMMIT_NIL = 5
RULE_PRECOMMIT_TIMER = 6


def _is_locked_on_other(state: ConsensusState, block_hash: bytes) -> bool:
    return state.locked_value is not None and state.locked_value.block_hash != block_hash


def _prevote(state: ConsensusState, block_hash: bytes) -> Outcome:
    return cast_vote(replace(state, step=Step.PREVOTE), VoteType.PREVOTE, block_hash)


def _current_proposals(state: ConsensusState) -> tuple[Proposal, ...]:
    return state.proposals.get(state.round, ())


def rule_fresh_proposal(state: ConsensusState) -> Outcome | None:
    """Rule 1: PROPOSAL(h, r, v, -1) at step propose -> prevote v if valid and not locked on
    another value, else nil. Waits for the node's validity verdict."""
    if state.step != Step.PROPOSE:
        return None
    for proposal in _current_proposals(state):
        block_hash = proposal.value.block_hash
        if proposal.valid_round != -1 or block_hash not in state.validity:
            continue
        acceptable = state.validity[block_hash] and (
            state.locked_round == -1 or not _is_locked_on_other(state, block_hash)
        )
        return _prevote(state, block_hash if acceptable else NIL)
    return None


def rule_reproposal(state: ConsensusState) -> Outcome | None:
    """Rule 2: PROPOSAL(h, r, v, vr), 0 <= vr < r, with a prevote quorum for v in vr."""
    if state.step != Step.PROPOSE:
        return None
    for proposal in _current_proposals(state):
        valid_round = proposal.valid_round
        block_hash = proposal.value.block_hash
        if not 0 <= valid_round < state.round or block_hash not in state.validity:
            continue
        tally = state.prevotes.get(valid_round, EMPTY_TALLY)
        if not state.validators.is_quorum(tally.stake_for(block_hash)):
            continue
        acceptable = state.validity[block_hash] and (
            state.locked_round <= valid_round or not _is_locked_on_other(state, block_hash)
        )
        return _prevote(state, block_hash if acceptable else NIL)
    return None


def rule_prevote_timer(state: ConsensusState) -> Outcome | None:
    """Rule 3: a prevote quorum for anything at step prevote -> set the prevote timer once."""
    key = (RULE_PREVOTE_TIMER, state.round)
    if state.step != Step.PREVOTE or key in state.fired:
        return None
    if not state.validators.is_quorum(state.prevotes.get(state.round, EMPTY_TALLY).stake):
        return None
    timeout = ScheduleTimeout(
        state.height,
        state.round,
        Step.PREVOTE,
        state.params.timeout_ms(Step.PREVOTE, state.round),
    )
    return replace(state, fired=state.fired | {key}), [timeout]


def rule_lock(state: ConsensusState) -> Outcome | None:
    """Rule 4: proposal v and a prevote quorum for v in this round, v valid, step >= prevote:
    lock and precommit v if still at prevote; in any case remember v as the valid value."""
    key = (RULE_LOCK, state.round)
    if state.step == Step.PROPOSE or key in state.fired:
        return None
    tally = state.prevotes.get(state.round, EMPTY_TALLY)
    for proposal in _current_proposals(state):
        value = proposal.value
        if state.validity.get(value.block_hash) is not True:
            continue
        if not state.validators.is_quorum(tally.stake_for(value.block_hash)):
            continue
        fired = state.fired | {key}
        if state.step == Step.PREVOTE:
            state = replace(
                state,
                fired=fired,
                locked_value=value,
                locked_round=state.round,
                valid_value=value,
                valid_round=state.round,
                step=Step.PRECOMMIT,
            )
            return cast_vote(state, VoteType.PRECOMMIT, value.block_hash)
        return replace(state, fired=fired, valid_value=value, valid_round=state.round), []
    return None


def rule_precommit_nil(state: ConsensusState) -> Outcome | None:
    """Rule 5: a prevote quorum for nil at step prevote -> precommit nil."""
    key = (RULE_PRECOMMIT_NIL, state.round)
    if state.step != Step.PREVOTE or key in state.fired:
        return None
    tally = state.prevotes.get(state.round, EMPTY_TALLY)
    if not state.validators.is_quorum(tally.stake_for(NIL)):
        return None
    state = replace(state, fired=state.fired | {key}, step=Step.PRECOMMIT)
    return cast_vote(state, VoteType.PRECOMMIT, NIL)


def rule_precommit_timer(state: ConsensusState) -> Outcome | None:
    """Rule 6: a precommit quorum for anything in this round -> set the precommit timer once."""
    key = (RULE_PRECOMMIT_TIMER, state.round)
    if key in state.fired:
        return None
    if not state.validators.is_quorum(state.precommits.get(state.round, EMPTY_TALLY).stake):
        return None
    timeout = ScheduleTimeout(
        state.height,
        state.round,
        Step.PRECOMMIT,
        state.params.timeout_ms(Step.PRECOMMIT, state.round),
    )
    return replace(state, fired=state.fired | {key}), [timeout]


def rule_nil_round_skip(state: ConsensusState) -> Outcome | None:
    """A precommit quorum for nil in this round -> start the next round without the precommit
    timer (departure 11). After a producer dies this saves the whole precommit timeout."""
    tally = state.precommits.get(state.round, EMPTY_TALLY)
    if not state.validators.is_quorum(tally.stake_for(NIL)):
        return None
    return start_round(state, state.round + 1)


def rule_decide(state: ConsensusState) -> Outcome | None:
    """Rule 7: a precommit quorum for v in any round, v known and valid -> commit v."""
    for tally in state.precommits.values():
        for block_hash, stake in tally.stake_by_hash.items():
            if block_hash == NIL or not state.validators.is_quorum(stake):
                continue
            if state.validity.get(block_hash) is not True:
                continue
            value = find_value(state, block_hash)
            if value is None:
                continue
            return decide(state, value, build_certificate(tally.votes_for(block_hash)))
    return None


def rule_round_skip(state: ConsensusState) -> Outcome | None:
    """Rule 8: messages of a later round from a skip set -> start that round (the latest one)."""
    target = -1
    for round_, signers in state.round_signers.items():
        if round_ > max(state.round, target) and state.validators.is_skip_set(
            state.validators.stake_of_all(signers)
        ):
            target = round_
    if target < 0:
        return None
    return start_round(state, target)


RULES: tuple[Callable[[ConsensusState], Outcome | None], ...] = (
    rule_decide,
    rule_round_skip,
    rule_fresh_proposal,
    rule_reproposal,
    rule_prevote_timer,
    rule_lock,
    rule_precommit_nil,
    rule_nil_round_skip,
    rule_precommit_timer,
)


def apply_rules(state: ConsensusState) -> Outcome:
    """Fire rules until none applies. Terminates: each firing advances (height, round, step) or
    adds to ``fired``, and none of those can repeat. A decision that closes an epoch stops the
    rules until the next epoch's set is known (the decided height is then still current)."""
    actions: list[Action] = []
    fired_any = True
    while fired_any and state.awaiting_set is None:
        fired_any = False
        for rule in RULES:
            outcome = rule(state)
            if outcome is not None:
                state, new_actions = outcome
                actions.extend(new_actions)
                fired_any = True
                break
    return state, actions
