"""``step(state, event) -> (state, actions)``: the whole consensus algorithm as one pure function.

No clock, no sockets, no disk, no randomness: the node (or the simulator) turns timers, network
messages and block execution into events and carries out the actions. The same inputs always
give the same outputs, which is what lets the simulator replay any run from its seed.
"""

from __future__ import annotations

from dataclasses import replace

from ordo.consensus.actions import Action, IgnoreReason, MessageIgnored
from ordo.consensus.certificate import CertificateError, verify_certificate
from ordo.consensus.events import (
    BlockBuilt,
    BlockValidated,
    DecisionReceived,
    Event,
    ProposalReceived,
    Start,
    TimeoutFired,
    ValidatorSetResolved,
    VoteReceived,
)
from ordo.consensus.intake import admit_proposal, admit_vote
from ordo.consensus.messages import NIL, Proposal, VoteType
from ordo.consensus.params import Step
from ordo.consensus.rules import apply_rules
from ordo.consensus.schedule import get_epoch
from ordo.consensus.state import ConsensusState, RecoveryRecord
from ordo.consensus.transitions import (
    Outcome,
    cast_vote,
    decide,
    enter_height,
    propose,
    resolve_validator_set,
    start_round,
    store_proposal,
    store_vote,
)
from ordo.consensus.vote_tally import EMPTY_TALLY


def step(state: ConsensusState, event: Event) -> Outcome:
    """Apply one event, then every upon-rule it enables (including at following heights)."""
    if state.awaiting_set is not None and not isinstance(event, Start | ValidatorSetResolved):
        return _while_awaiting_set(state, event)
    if isinstance(event, ValidatorSetResolved):
        state, actions = _on_validator_set(state, event)
    elif isinstance(event, VoteReceived):
        state, actions = admit_vote(state, event.vote)
    elif isinstance(event, ProposalReceived):
        state, actions = admit_proposal(state, event.proposal)
    elif isinstance(event, TimeoutFired):
        state, actions = _on_timeout(state, event)
    elif isinstance(event, BlockValidated):
        state, actions = _on_validated(state, event)
    elif isinstance(event, BlockBuilt):
        state, actions = _on_built(state, event)
    elif isinstance(event, DecisionReceived):
        state, actions = _on_decision(state, event)
    elif isinstance(event, Start):
        state, actions = _on_start(state, event)
    else:
        return state, [MessageIgnored(IgnoreReason.UNEXPECTED, 0, b"")]
    if not state.started:
        return state, actions
    return _settle(state, actions)


def _settle(state: ConsensusState, actions: list[Action]) -> Outcome:
    """Run the rules; after a decision, admit the messages buffered for the new height."""
    while True:
        state, fired = apply_rules(state)
        actions.extend(fired)
        if state.awaiting_set is not None:
            return state, actions
        ready = [message for message in state.buffered if message.height == state.height]
        if not ready:
            if state.buffered and any(m.height < state.height for m in state.buffered):
                state = replace(
                    state, buffered=tuple(m for m in state.buffered if m.height > state.height)
                )
            return state, actions
        state = replace(state, buffered=tuple(m for m in state.buffered if m.height > state.height))
        for message in ready:
            if isinstance(message, Proposal):
                state, admitted = admit_proposal(state, message)
            else:
                state, admitted = admit_vote(state, message)
            actions.extend(a for a in admitted if not isinstance(a, MessageIgnored))


def _on_start(state: ConsensusState, event: Start) -> Outcome:
    if event.tip.height < 1 or len(event.tip.parent_hash) != 32:
        return state, [MessageIgnored(IgnoreReason.UNEXPECTED, event.tip.height, b"")]
    state = enter_height(replace(state, started=True, buffered=(), awaiting_set=None), event.tip)
    record = event.recovery
    if (
        record is None
        or record.height != event.tip.height
        or record.parent_hash != event.tip.parent_hash
    ):
        return start_round(state, 0)
    return start_round(_restore(state, record), record.round)


def _restore(state: ConsensusState, record: RecoveryRecord) -> ConsensusState:
    """Put back our own signed messages and locks; cast_vote and propose then reuse them."""
    validity = dict(state.validity)
    for value in (record.locked_value, record.valid_value):
        if value is not None:
            validity[value.block_hash] = True
    own = state.address
    for proposal in record.own_proposals:
        if proposal.proposer == own and proposal.height == state.height:
            state = store_proposal(state, proposal)
            validity[proposal.value.block_hash] = True
    parent = state.tip.parent_hash
    for vote in record.own_votes:
        if vote.validator == own and vote.height == state.height and vote.parent_hash == parent:
            state = store_vote(state, vote)
    for vote in record.justification:
        if (
            vote.height == state.height
            and vote.vote_type == VoteType.PREVOTE
            and vote.parent_hash == parent
        ):
            tally = state.prevotes.get(vote.round, EMPTY_TALLY)
            if not tally.has_vote(vote.validator, vote.block_hash):
                state = store_vote(state, vote)
    return replace(
        state,
        locked_value=record.locked_value,
        locked_round=record.locked_round,
        valid_value=record.valid_value,
        valid_round=record.valid_round,
        validity=validity,
    )


def _while_awaiting_set(state: ConsensusState, event: Event) -> Outcome:
    """Between deciding an epoch's last block and learning the next epoch's set: keep the new
    height's messages for later; everything else concerns the decided height or must wait."""
    if isinstance(event, VoteReceived | ProposalReceived):
        message = event.vote if isinstance(event, VoteReceived) else event.proposal
        if message.height <= state.height:
            return state, [MessageIgnored(IgnoreReason.STALE_HEIGHT, message.height, b"")]
        if isinstance(message, Proposal):
            return admit_proposal(state, message)
        return admit_vote(state, message)
    if isinstance(event, DecisionReceived):
        return state, [MessageIgnored(IgnoreReason.FUTURE_HEIGHT, event.value.height, b"")]
    return state, []


def _on_validator_set(state: ConsensusState, event: ValidatorSetResolved) -> Outcome:
    tip = state.awaiting_set
    if (
        tip is None
        or event.epoch != get_epoch(tip.height, state.params.epoch_length)
        or event.anchor_hash != tip.epoch_anchor_hash
    ):
        return state, [MessageIgnored(IgnoreReason.UNEXPECTED, state.height, b"")]
    return resolve_validator_set(state, event.validators)


def _on_timeout(state: ConsensusState, event: TimeoutFired) -> Outcome:
    if not state.started or (event.height, event.round) != (state.height, state.round):
        return state, []
    if event.step == Step.PROPOSE and state.step == Step.PROPOSE:
        return cast_vote(replace(state, step=Step.PREVOTE), VoteType.PREVOTE, NIL)
    if event.step == Step.PREVOTE and state.step == Step.PREVOTE:
        return cast_vote(replace(state, step=Step.PRECOMMIT), VoteType.PRECOMMIT, NIL)
    if event.step == Step.PRECOMMIT:
        return start_round(state, state.round + 1)
    return state, []


def _on_validated(state: ConsensusState, event: BlockValidated) -> Outcome:
    if event.block_hash not in state.validation_requested or event.block_hash in state.validity:
        return state, [MessageIgnored(IgnoreReason.UNEXPECTED, state.height, b"")]
    validity = dict(state.validity)
    validity[event.block_hash] = bool(event.valid)
    return replace(state, validity=validity), []


def _on_built(state: ConsensusState, event: BlockBuilt) -> Outcome:
    value = event.value
    expected = (state.height, state.round)
    if (
        state.awaiting_build != expected
        or (event.height, event.round) != expected
        or state.step != Step.PROPOSE
        or value.height != state.height
        or value.parent_hash != state.tip.parent_hash
        or value.proposer != state.address
    ):
        return state, [MessageIgnored(IgnoreReason.UNEXPECTED, event.height, b"")]
    return propose(replace(state, awaiting_build=None), value, -1)


def _on_decision(state: ConsensusState, event: DecisionReceived) -> Outcome:
    certificate, value = event.certificate, event.value
    if not state.started:
        return state, [MessageIgnored(IgnoreReason.NOT_STARTED, certificate.height, b"")]
    if certificate.height < state.height:
        return state, [MessageIgnored(IgnoreReason.STALE_HEIGHT, certificate.height, b"")]
    if certificate.height > state.height:
        return state, [MessageIgnored(IgnoreReason.FUTURE_HEIGHT, certificate.height, b"")]
    if value.block_hash != certificate.block_hash or value.height != certificate.height:
        return state, [MessageIgnored(IgnoreReason.BAD_CERTIFICATE, certificate.height, b"")]
    if value.parent_hash != state.tip.parent_hash:
        return state, [MessageIgnored(IgnoreReason.WRONG_PARENT, certificate.height, b"")]
    try:
        verify_certificate(
            certificate, state.validators, state.params.chain_id, value.parent_hash
        )
    except CertificateError:
        return state, [MessageIgnored(IgnoreReason.BAD_CERTIFICATE, certificate.height, b"")]
    return decide(state, value, certificate)
