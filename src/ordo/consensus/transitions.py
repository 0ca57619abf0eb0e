"""The state changes the upon-rules are made of: starting rounds and heights, voting, deciding.

Each function returns the new state and the actions it caused. ``cast_vote`` is the only place a
vote is signed, and it never signs a second vote of one (height, round, type): after a restart
from a RecoveryRecord the old vote is reused, so this node cannot equivocate.
"""

from __future__ import annotations

from dataclasses import replace

from ordo.consensus.actions import (
    Action,
    Broadcast,
    Commit,
    ProposeRequest,
    RequestValidatorSet,
    ScheduleTimeout,
)
from ordo.consensus.certificate import CommitCertificate
from ordo.consensus.messages import (
    Proposal,
    ProposedValue,
    Vote,
    VoteType,
    sign_proposal,
    sign_vote,
)
from ordo.consensus.params import Step
from ordo.consensus.schedule import (
    ChainTip,
    advance_tip,
    compute_epoch_seed,
    compute_proposer_order,
    get_epoch,
    get_proposer,
)
from ordo.consensus.state import ConsensusState
from ordo.consensus.validator_set import ValidatorSet
from ordo.consensus.vote_tally import EMPTY_TALLY, add_vote

Outcome = tuple[ConsensusState, list[Action]]


def get_round_proposer(state: ConsensusState, round_: int) -> bytes:
    return get_proposer(state.order, state.tip.proposer_offset, round_)


def is_own_proposer(state: ConsensusState, round_: int) -> bool:
    return state.signer is not None and get_round_proposer(state, round_) == state.signer.address


def find_value(state: ConsensusState, block_hash: bytes) -> ProposedValue | None:
    """The value with this hash from any proposal of this height (the hash binds the value)."""
    for proposals in state.proposals.values():
        for proposal in proposals:
            if proposal.value.block_hash == block_hash:
                return proposal.value
    return None


def store_vote(state: ConsensusState, vote: Vote) -> ConsensusState:
    """Count a verified first vote of its signer for its (round, type)."""
    stake = state.validators.stake_of(vote.validator)
    signers = state.round_signers.get(vote.round, frozenset())
    round_signers = dict(state.round_signers)
    round_signers[vote.round] = signers | {vote.validator}
    if vote.vote_type == VoteType.PREVOTE:
        prevotes = dict(state.prevotes)
        prevotes[vote.round] = add_vote(prevotes.get(vote.round, EMPTY_TALLY), vote, stake)
        return replace(state, prevotes=prevotes, round_signers=round_signers)
    precommits = dict(state.precommits)
    precommits[vote.round] = add_vote(precommits.get(vote.round, EMPTY_TALLY), vote, stake)
    return replace(state, precommits=precommits, round_signers=round_signers)


def store_proposal(state: ConsensusState, proposal: Proposal) -> ConsensusState:
    proposals = dict(state.proposals)
    proposals[proposal.round] = (*proposals.get(proposal.round, ()), proposal)
    signers = state.round_signers.get(proposal.round, frozenset())
    round_signers = dict(state.round_signers)
    round_signers[proposal.round] = signers | {proposal.proposer}
    return replace(state, proposals=proposals, round_signers=round_signers)


def is_voting(state: ConsensusState) -> bool:
    """A node signs only while its signer is in the current epoch's set: one that left (or has
    not joined yet) follows the chain like any full node."""
    return state.signer is not None and state.signer.address in state.validators


def cast_vote(state: ConsensusState, vote_type: VoteType, block_hash: bytes) -> Outcome:
    if state.signer is None or not is_voting(state):
        return state, []
    tallies = state.prevotes if vote_type == VoteType.PREVOTE else state.precommits
    if state.signer.address in tallies.get(state.round, EMPTY_TALLY).votes:
        return state, []
    vote = sign_vote(
        state.signer, state.params.chain_id, state.height, state.round, vote_type,
        state.tip.parent_hash, block_hash
    )
    return store_vote(state, vote), [Broadcast(vote)]


def _own_proposal(state: ConsensusState, round_: int) -> Proposal | None:
    for proposal in state.proposals.get(round_, ()):
        if state.signer is not None and proposal.proposer == state.signer.address:
            return proposal
    return None


def propose(state: ConsensusState, value: ProposedValue, valid_round: int) -> Outcome:
    """Sign and broadcast our proposal for the current round (at most one per round)."""
    existing = _own_proposal(state, state.round)
    if existing is not None or state.signer is None or not is_voting(state):
        return state, []
    proposal = sign_proposal(state.signer, state.params.chain_id, state.round, valid_round, value)
    validity = dict(state.validity)
    validity.setdefault(value.block_hash, True)
    state = replace(store_proposal(state, proposal), validity=validity)
    return state, [Broadcast(proposal)]


def start_round(state: ConsensusState, round_: int) -> Outcome:
    """Enter ``round_`` at step propose. Every node sets the propose timer, the proposer too: if
    its own block never arrives it must still prevote nil rather than stall the round."""
    state = replace(state, round=round_, step=Step.PROPOSE, awaiting_build=None)
    actions: list[Action] = [
        ScheduleTimeout(
            state.height, round_, Step.PROPOSE, state.params.timeout_ms(Step.PROPOSE, round_)
        )
    ]
    if not is_own_proposer(state, round_) or _own_proposal(state, round_) is not None:
        return state, actions
    if state.valid_value is not None:
        state, proposed = propose(state, state.valid_value, state.valid_round)
        return state, actions + proposed
    state = replace(state, awaiting_build=(state.height, round_))
    return state, [*actions, ProposeRequest(state.height, round_, state.tip.parent_hash)]


def enter_height(state: ConsensusState, tip: ChainTip) -> ConsensusState:
    """Reset the per-height state for ``tip``; recompute the order when the epoch changed."""
    order = state.order
    if not order or tip.epoch_anchor_hash != state.tip.epoch_anchor_hash:
        order = compute_proposer_order(compute_epoch_seed(tip.epoch_anchor_hash), state.validators)
    return replace(
        state,
        tip=tip,
        order=order,
        round=0,
        step=Step.PROPOSE,
        locked_value=None,
        locked_round=-1,
        valid_value=None,
        valid_round=-1,
        proposals={},
        prevotes={},
        precommits={},
        round_signers={},
        validity={},
        validation_requested=frozenset(),
        fired=frozenset(),
        reported_equivocations=frozenset(),
        highest_seen_height=max(state.highest_seen_height, tip.height),
        awaiting_build=None,
    )


def decide(state: ConsensusState, value: ProposedValue, certificate: CommitCertificate) -> Outcome:
    """Commit ``value`` and start round 0 of the next height (rule 7's consequence)."""
    commit = Commit(state.height, value, certificate)
    tip = advance_tip(
        state.tip, value.block_hash, value.proposer, state.order, state.params.epoch_length
    )
    epoch = get_epoch(tip.height, state.params.epoch_length)
    if epoch != get_epoch(state.height, state.params.epoch_length):
        state = replace(state, awaiting_set=tip, awaiting_build=None)
        return state, [commit, RequestValidatorSet(epoch, tip.epoch_anchor_hash)]
    state, actions = start_round(enter_height(state, tip), 0)
    return state, [commit, *actions]


def resolve_validator_set(state: ConsensusState, validators: ValidatorSet) -> Outcome:
    """Enter the height the machine waited at, weighing votes by the new epoch's set."""
    tip = state.awaiting_set
    assert tip is not None
    state = replace(state, validators=validators, awaiting_set=None, order=())
    return start_round(enter_height(state, tip), 0)
