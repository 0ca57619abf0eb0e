"""Votes commit to the chain they extend (vote format v2): a validator that returns after a
fallback batch replaced blocks it had voted for, and votes again at those heights on L1's chain,
does not equivocate, while two votes on one parent for different blocks still do."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from ordo.consensus import (
    BlockValidated,
    Broadcast,
    ConsensusState,
    DecisionReceived,
    Evidence,
    EvidenceError,
    IgnoreReason,
    MessageIgnored,
    ProposalReceived,
    ProposedValue,
    Start,
    Vote,
    VoteReceived,
    VoteType,
    build_certificate,
    compute_recovery_record,
    verify_certificate,
    verify_equivocation,
)
from ordo.consensus.certificate import CertificateError, certificate_precommits
from ordo.consensus.evidence import make_equivocation
from tests.consensus.committee import CHAIN_ID, Committee, of_type, run

PREVOTE, PRECOMMIT = VoteType.PREVOTE, VoteType.PRECOMMIT


def at_height_2(committee: Committee, index: int | None, first: ProposedValue
                ) -> ConsensusState:
    """A node whose chain has ``first`` final at height 1 (synced with its certificate)."""
    state, _ = committee.started(index)
    certificate = build_certificate(
        [committee.vote(i, PRECOMMIT, first.block_hash) for i in range(3)])
    state, actions = run(state, DecisionReceived(first, certificate))
    assert state.height == 2 and state.tip.parent_hash == first.block_hash, actions
    return state


def precommit_at_height_2(committee: Committee, state: ConsensusState, me: int, tag: bytes
                          ) -> tuple[ConsensusState, ProposedValue, Vote]:
    """Height 2, round 0: the proposer proposes on our parent, everyone prevotes it; our
    precommit for it."""
    parent = state.tip.parent_hash
    proposer = committee.proposer_index(state, 0)
    assert proposer != me
    value = committee.value_by(proposer, tag, height=2, parent=parent)
    state, actions = run(
        state,
        ProposalReceived(committee.proposal(proposer, value)),
        BlockValidated(value.block_hash, True),
        *[VoteReceived(committee.vote(i, PREVOTE, value.block_hash, height=2, parent=parent))
          for i in range(4) if i != me],
    )
    precommits = [action.message for action in of_type(actions, Broadcast)
                  if isinstance(action.message, Vote) and action.message.vote_type == PRECOMMIT]
    assert len(precommits) == 1
    return state, value, precommits[0]


def test_a_returning_validator_votes_again_on_l1s_chain_and_is_not_slashable() -> None:
    committee = Committee((1, 1, 1, 1))
    producer = committee.proposer_index(committee.started(None)[0], 0)
    me, peer = [i for i in range(4) if i != producer][:2]
    dropped_1 = committee.value_by(producer, b"never posted")
    fallback_1 = committee.value_by(producer, b"fallback batch on L1")

    # Before: on the chain it made, the node precommits block X at height 2, round 0, and X is
    # certified; the certificate is public (block sync, ordo_getCommit).
    old, dropped_2, old_precommit = precommit_at_height_2(
        committee, at_height_2(committee, me, dropped_1), me, b"x")
    old_record = compute_recovery_record(old)
    certificate = build_certificate(
        [old_precommit, *(committee.vote(i, PRECOMMIT, dropped_2.block_hash, height=2,
                                         parent=dropped_1.block_hash) for i in range(4)
                          if i != me)])
    verify_certificate(certificate, committee.validators, CHAIN_ID, dropped_1.block_hash)
    with pytest.raises(CertificateError, match="bad precommit signature"):
        verify_certificate(certificate, committee.validators, CHAIN_ID, fallback_1.block_hash)
    public_precommit = next(vote for vote in certificate_precommits(
        certificate, CHAIN_ID, dropped_1.block_hash) if vote.validator == old_precommit.validator)
    assert public_precommit == old_precommit and public_precommit.is_signed_by_validator()

    # After: L1's chain has the fallback block at height 1. Even handed the old recovery record
    # (same height), the node does not restore votes of another chain; it votes anew, in the
    # same round, for another block.
    new_tip = at_height_2(committee, None, fallback_1).tip
    restarted, actions = run(committee.state_of(me), Start(new_tip, old_record))
    assert old_record.height == new_tip.height and old_record.parent_hash != new_tip.parent_hash
    assert restarted.locked_value is None and not restarted.prevotes and not restarted.precommits
    assert of_type(actions, Broadcast) == []
    _, _, new_precommit = precommit_at_height_2(committee, restarted, me, b"y")
    assert (new_precommit.height, new_precommit.round, new_precommit.vote_type) == (
        old_precommit.height, old_precommit.round, old_precommit.vote_type)
    assert new_precommit.block_hash != old_precommit.block_hash
    assert new_precommit.parent_hash == fallback_1.block_hash

    # The old certificate's precommit and the new one are no evidence anywhere.
    with pytest.raises(EvidenceError, match="different parents"):
        verify_equivocation(make_equivocation(public_precommit, new_precommit), CHAIN_ID)
    peer_state = at_height_2(committee, peer, fallback_1)
    _, actions = run(peer_state, VoteReceived(new_precommit), VoteReceived(public_precommit))
    assert of_type(actions, Evidence) == []
    assert [a.reason for a in of_type(actions, MessageIgnored)] == [IgnoreReason.WRONG_PARENT]


def test_two_votes_on_one_parent_for_different_blocks_are_still_evidence() -> None:
    committee = Committee((1, 1, 1, 1))
    first = committee.value_by(committee.non_proposer(0), b"one")
    state = at_height_2(committee, 0, first)
    parent = first.block_hash
    a = committee.vote(2, PRECOMMIT, keccak(b"a"), height=2, parent=parent)
    b = committee.vote(2, PRECOMMIT, keccak(b"b"), height=2, parent=parent)
    _, actions = run(state, VoteReceived(a), VoteReceived(b))
    assert [action.equivocation for action in of_type(actions, Evidence)] == [
        make_equivocation(a, b)]
    verify_equivocation(make_equivocation(a, b), CHAIN_ID)
