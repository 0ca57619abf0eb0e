"""Crossing an epoch boundary: the machine waits for the next epoch's set, then weighs votes by it.

The set of an epoch comes from L1 (the locking pool at the anchor block's L1 origin); the pure
machine only asks for it and must neither sign nor decide anything until the answer arrives.
"""

from __future__ import annotations

from ordo.consensus import (
    BlockValidated,
    Broadcast,
    Commit,
    ProposalReceived,
    RequestValidatorSet,
    Start,
    Step,
    TimeoutFired,
    Validator,
    ValidatorSet,
    ValidatorSetResolved,
    VoteReceived,
    VoteType,
    create_state,
    genesis_tip,
    step,
)
from ordo.consensus.actions import IgnoreReason, MessageIgnored
from tests.consensus.committee import GENESIS_HASH, Committee, of_type, run

COMMITTEE = Committee((10, 10, 10, 10, 10), epoch_length=1)
FIRST_SET = ValidatorSet.of(Validator(COMMITTEE.signers[i].address, 10) for i in range(4))
NEXT_SET = ValidatorSet.of([*FIRST_SET.validators, Validator(COMMITTEE.signers[4].address, 100)])


def decided_first_height(own: int | None = None):  # type: ignore[no-untyped-def]
    """A node of the first set (or an observer) that has just decided height 1."""
    state = create_state(COMMITTEE.params, FIRST_SET, None if own is None else COMMITTEE.keys[own])
    state, _ = step(state, Start(genesis_tip(GENESIS_HASH)))
    proposer = COMMITTEE.proposer_index(state, 0)
    value = COMMITTEE.value_by(proposer)
    events = [ProposalReceived(COMMITTEE.proposal(proposer, value)),
              BlockValidated(value.block_hash, True)]
    events += [VoteReceived(COMMITTEE.vote(i, VoteType.PRECOMMIT, value.block_hash))
               for i in range(3)]
    state, actions = run(state, *events)
    return state, actions, value


def test_deciding_the_last_block_of_an_epoch_asks_for_the_next_set_and_waits() -> None:
    state, actions, value = decided_first_height()
    assert of_type(actions, Commit)[0].value == value
    assert of_type(actions, RequestValidatorSet) == [RequestValidatorSet(1, value.block_hash)]
    assert state.awaiting_set is not None and state.awaiting_set.height == 2
    assert state.height == 1, "the decided height stays current until the set is known"
    # While waiting: no timer, no stale vote and no decision moves the machine.
    late_vote = COMMITTEE.vote(3, VoteType.PRECOMMIT, value.block_hash)
    waited, quiet = run(state, TimeoutFired(1, 0, Step.PRECOMMIT), VoteReceived(late_vote))
    assert waited.awaiting_set == state.awaiting_set
    assert not of_type(quiet, Commit) and not of_type(quiet, RequestValidatorSet)


def test_the_new_sets_member_is_buffered_while_waiting_and_counts_once_the_set_is_known() -> None:
    state, _, value = decided_first_height()
    newcomer_vote = COMMITTEE.vote(4, VoteType.PREVOTE, height=2, parent=value.block_hash)
    state, actions = step(state, VoteReceived(newcomer_vote))
    assert not [a for a in of_type(actions, MessageIgnored)
                if a.reason == IgnoreReason.NOT_VALIDATOR]
    assert newcomer_vote in state.buffered
    state, actions = step(state, ValidatorSetResolved(1, value.block_hash, NEXT_SET))
    assert state.awaiting_set is None and state.height == 2
    assert state.validators == NEXT_SET
    assert state.prevotes[0].stake == 100, "the buffered vote of the newcomer was admitted"


def test_an_answer_for_another_epoch_or_anchor_is_ignored() -> None:
    state, _, value = decided_first_height()
    for wrong in (ValidatorSetResolved(2, value.block_hash, NEXT_SET),
                  ValidatorSetResolved(1, b"\x01" * 32, NEXT_SET)):
        after, actions = step(state, wrong)
        assert after.awaiting_set == state.awaiting_set
        assert [a.reason for a in of_type(actions, MessageIgnored)] == [IgnoreReason.UNEXPECTED]


def test_a_validator_that_leaves_the_set_stops_signing_and_one_that_joins_starts() -> None:
    leaving_set = ValidatorSet.of(Validator(COMMITTEE.signers[i].address, 10) for i in (1, 2, 3))
    timeouts = [TimeoutFired(2, 0, Step.PROPOSE), TimeoutFired(2, 0, Step.PREVOTE)]
    state, _, value = decided_first_height(0)
    state, actions = run(state, ValidatorSetResolved(1, value.block_hash, leaving_set), *timeouts)
    assert state.validators == leaving_set and state.height == 2
    assert not of_type(actions, Broadcast), "a validator that left the set signs nothing"
    # A node whose signer joins at epoch 1 follows epoch 0 silently and votes from height 2 on.
    joiner = create_state(COMMITTEE.params, FIRST_SET, COMMITTEE.keys[4])
    joiner, _ = step(joiner, Start(genesis_tip(GENESIS_HASH)))
    proposer = COMMITTEE.proposer_index(joiner, 0)
    first = COMMITTEE.value_by(proposer)
    joiner, early = run(joiner, ProposalReceived(COMMITTEE.proposal(proposer, first)),
                        BlockValidated(first.block_hash, True),
                        *[VoteReceived(COMMITTEE.vote(i, VoteType.PRECOMMIT, first.block_hash))
                          for i in range(3)])
    assert not of_type(early, Broadcast)
    joiner, later = run(joiner, ValidatorSetResolved(1, first.block_hash, NEXT_SET), *timeouts)
    own_votes = [a.message for a in of_type(later, Broadcast)]
    assert own_votes and all(vote.validator == COMMITTEE.signers[4].address for vote in own_votes)
