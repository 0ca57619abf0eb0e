"""Bad input is ignored with a reason, duplicates are idempotent, and the delivery machinery
(next-height buffer, catch-up, recovery after a restart, re-broadcast) does its job."""

from __future__ import annotations

from dataclasses import replace

from eth_hash.auto import keccak

from ordo.consensus import (
    NIL,
    BlockValidated,
    Broadcast,
    CatchUpNeeded,
    Commit,
    DecisionReceived,
    IgnoreReason,
    MessageIgnored,
    Proposal,
    ProposalReceived,
    RequestValidation,
    Start,
    TimeoutFired,
    Vote,
    VoteReceived,
    VoteType,
    build_certificate,
    compute_held_messages,
    compute_rebroadcast,
    compute_recovery_record,
    genesis_tip,
    sign_vote,
)
from ordo.consensus.signing import LocalSigner
from tests.consensus.committee import CHAIN_ID, GENESIS_HASH, Committee, of_type, run

PREVOTE, PRECOMMIT = VoteType.PREVOTE, VoteType.PRECOMMIT


def reasons(actions: list) -> list[IgnoreReason]:  # type: ignore[type-arg]
    return [action.reason for action in of_type(actions, MessageIgnored)]


def test_bad_messages_are_ignored_with_reasons_and_change_nothing() -> None:
    committee = Committee((1, 1, 1, 1))
    state, _ = committee.started(0)
    good = committee.vote(1, PREVOTE, NIL)
    stranger = sign_vote(
        LocalSigner(keccak(b"stranger")), CHAIN_ID, 1, 0, PREVOTE, GENESIS_HASH, NIL
    )
    forged = replace(good, signature=committee.vote(2, PREVOTE, NIL).signature)
    cases = [
        (stranger, IgnoreReason.NOT_VALIDATOR),
        (forged, IgnoreReason.BAD_SIGNATURE),
        (replace(good, chain_id=CHAIN_ID + 1), IgnoreReason.WRONG_CHAIN),
        (committee.vote(1, PREVOTE, NIL, height=0), IgnoreReason.STALE_HEIGHT),
        (committee.vote(1, PREVOTE, NIL, round_=10_001), IgnoreReason.FUTURE_ROUND),
        (committee.vote(1, PREVOTE, NIL, parent=keccak(b"another chain")),
         IgnoreReason.WRONG_PARENT),
    ]
    for vote, reason in cases:
        after, actions = run(state, VoteReceived(vote))
        assert reasons(actions) == [reason]
        assert after == state
    wrong_proposer = next(i for i in range(4) if i != committee.proposer_index(state, 0))
    after, actions = run(
        state,
        ProposalReceived(committee.proposal(wrong_proposer, committee.value_by(wrong_proposer))),
    )
    assert reasons(actions) == [IgnoreReason.WRONG_PROPOSER] and after == state


def test_fresh_proposal_must_name_its_proposer_as_builder() -> None:
    committee = Committee((1, 1, 1, 1))
    state, _ = committee.started(0)
    proposer = committee.proposer_index(state, 0)
    someone_else = (proposer + 1) % 4
    value = committee.value_by(someone_else)
    after, actions = run(state, ProposalReceived(committee.proposal(proposer, value)))
    assert reasons(actions) == [IgnoreReason.WRONG_BUILDER] and after == state


def test_duplicates_are_idempotent() -> None:
    committee = Committee((1, 1, 1, 1))
    state, _ = committee.started(0)
    vote = committee.vote(1, PREVOTE, NIL)
    once, _ = run(state, VoteReceived(vote))
    twice, actions = run(once, VoteReceived(vote))
    assert twice == once and reasons(actions) == [IgnoreReason.DUPLICATE]
    proposer = committee.proposer_index(state, 0)
    proposal = committee.proposal(proposer, committee.value_by(proposer))
    once, first = run(state, ProposalReceived(proposal))
    twice, actions = run(once, ProposalReceived(proposal))
    assert of_type(first, RequestValidation) and twice == once
    assert reasons(actions) == [IgnoreReason.DUPLICATE]


def test_next_height_messages_are_buffered_and_replayed_after_deciding() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    # a height-2 proposal arrives early, from height 2's proposer (same producer, offset kept)
    early_value = committee.value_by(proposer, b"h2", height=2, parent=value.block_hash)
    early = committee.proposal(proposer, early_value)
    state, actions = run(state, ProposalReceived(early))
    assert of_type(actions, CatchUpNeeded) == [CatchUpNeeded(2)]
    assert state.buffered == (early,)
    state, actions = run(
        state,
        ProposalReceived(committee.proposal(proposer, value)),
        BlockValidated(value.block_hash, True),
        *[
            VoteReceived(committee.vote(i, PRECOMMIT, value.block_hash))
            for i in range(4)
            if i != me
        ],
    )
    assert [commit.height for commit in of_type(actions, Commit)] == [1]
    assert of_type(actions, RequestValidation)[-1] == RequestValidation(early_value)
    assert state.height == 2 and state.buffered == ()


def test_far_future_messages_ask_for_catch_up_only_once() -> None:
    committee = Committee((1, 1, 1, 1))
    state, _ = committee.started(0)
    state, actions = run(state, VoteReceived(committee.vote(1, PREVOTE, NIL, height=9)))
    assert of_type(actions, CatchUpNeeded) == [CatchUpNeeded(9)]
    assert reasons(actions) == [IgnoreReason.FUTURE_HEIGHT]
    state, actions = run(state, VoteReceived(committee.vote(2, PREVOTE, NIL, height=9)))
    assert of_type(actions, CatchUpNeeded) == []


def test_catch_up_commits_a_certified_decision_and_refuses_bad_ones() -> None:
    committee = Committee((1, 1, 1, 1))
    state, _ = committee.started(0)
    value = committee.value_by(2)
    certificate = build_certificate(
        [committee.vote(i, PRECOMMIT, value.block_hash, round_=3) for i in (1, 2, 3)]
    )
    weak = replace(certificate, signatures=certificate.signatures[:2])
    _, actions = run(state, DecisionReceived(value, weak))
    assert reasons(actions) == [IgnoreReason.BAD_CERTIFICATE]
    other = committee.value_by(2, b"other")
    _, actions = run(state, DecisionReceived(other, certificate))
    assert reasons(actions) == [IgnoreReason.BAD_CERTIFICATE]
    orphan = committee.value_by(2, parent=b"\x01" * 32)
    orphan_certificate = build_certificate(
        [committee.vote(i, PRECOMMIT, orphan.block_hash) for i in (1, 2, 3)]
    )
    _, actions = run(state, DecisionReceived(orphan, orphan_certificate))
    assert reasons(actions) == [IgnoreReason.WRONG_PARENT]
    after, actions = run(state, DecisionReceived(value, certificate))
    assert of_type(actions, Commit) == [Commit(1, value, certificate)]
    assert after.height == 2 and after.tip.parent_hash == value.block_hash


def test_restart_from_recovery_record_never_signs_a_conflicting_vote() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    state, _ = run(
        state,
        ProposalReceived(committee.proposal(proposer, value)),
        BlockValidated(value.block_hash, True),
    )
    record = compute_recovery_record(state)
    assert record.own_votes == (committee.vote(me, PREVOTE, value.block_hash),)
    restarted, actions = run(committee.state_of(me), Start(genesis_tip(GENESIS_HASH), record))
    assert of_type(actions, Broadcast) == []
    restarted, actions = run(restarted, TimeoutFired(1, 0, 0))  # propose timer: would be nil
    assert of_type(actions, Broadcast) == []
    assert committee.vote(me, PREVOTE, value.block_hash) in compute_rebroadcast(restarted)


def test_recovery_keeps_the_lock_and_its_justification() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    state, _ = run(
        state,
        ProposalReceived(committee.proposal(proposer, value)),
        BlockValidated(value.block_hash, True),
        *[VoteReceived(committee.vote(i, PREVOTE, value.block_hash)) for i in range(4) if i != me],
    )
    assert state.locked_round == 0
    record = compute_recovery_record(state)
    assert len(record.justification) == 4
    restarted, _ = run(committee.state_of(me), Start(genesis_tip(GENESIS_HASH), record))
    assert restarted.locked_value == value and restarted.locked_round == 0
    assert restarted.prevotes[0].stake_for(value.block_hash) == 4


def test_rebroadcast_carries_the_proposal_and_all_own_votes() -> None:
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    assert compute_rebroadcast(state) == ()
    state, _ = run(state, TimeoutFired(1, 0, 0))
    nil_prevote = committee.vote(me, PREVOTE, NIL)
    assert compute_rebroadcast(state) == (nil_prevote,)
    others = [i for i in range(4) if i != me]
    # a nil prevote quorum makes us precommit nil; the others' nil precommits then start round 1
    state, _ = run(
        state,
        *[VoteReceived(committee.vote(i, PREVOTE, NIL)) for i in others[:2]],
        *[VoteReceived(committee.vote(i, PRECOMMIT, NIL)) for i in others],
    )
    assert state.round == 1
    resent = compute_rebroadcast(state)
    assert nil_prevote in resent and committee.vote(me, PRECOMMIT, NIL) in resent


def received(message: Proposal | Vote) -> ProposalReceived | VoteReceived:
    return ProposalReceived(message) if isinstance(message, Proposal) else VoteReceived(message)


def test_held_messages_give_a_rebuilt_machine_what_the_old_one_was_delivered() -> None:
    # The driver re-feeds these after an in-process restart: the network drops re-sent copies
    # of what it delivered once, so the rebuilt machine would otherwise miss the peers' votes.
    committee = Committee((1, 1, 1, 1))
    me = committee.non_proposer(0)
    state, _ = committee.started(me)
    proposer = committee.proposer_index(state, 0)
    value = committee.value_by(proposer)
    others = [i for i in range(4) if i != me]
    delivered = [
        committee.proposal(proposer, value),
        committee.vote(others[0], PREVOTE, value.block_hash),
        committee.vote(others[1], PREVOTE, NIL),
        committee.vote(others[2], PRECOMMIT, NIL, round_=1),
        committee.vote(others[0], PREVOTE, NIL, height=2, parent=value.block_hash),
    ]
    state, _ = run(state, *map(received, delivered), BlockValidated(value.block_hash, True))
    assert committee.vote(me, PREVOTE, value.block_hash) in compute_rebroadcast(state)
    held = compute_held_messages(state)
    assert sorted(held, key=repr) == sorted(delivered, key=repr)  # ours left to the record
    record = compute_recovery_record(state)
    rebuilt, _ = run(committee.state_of(me), Start(genesis_tip(GENESIS_HASH), record),
                     *map(received, held))
    assert rebuilt.prevotes[0].votes == state.prevotes[0].votes
    assert rebuilt.precommits[1].votes == state.precommits[1].votes
    assert rebuilt.buffered == state.buffered and len(rebuilt.buffered) == 1
