"""Admission of proposals and votes: every check a message must pass before it counts.

Cheap checks (chain, membership, height, round, duplicates, proposer) run before the signature
is recovered, so junk and re-broadcast copies cost almost nothing. Nothing here raises: each
rejection becomes a MessageIgnored action for the node's counters.
"""

from __future__ import annotations

from dataclasses import replace

from ordo.consensus.actions import (
    Action,
    CatchUpNeeded,
    Evidence,
    IgnoreReason,
    MessageIgnored,
    RequestValidation,
)
from ordo.consensus.evidence import make_equivocation
from ordo.consensus.messages import NIL, ConsensusMessage, Proposal, Vote, VoteType
from ordo.consensus.schedule import get_epoch
from ordo.consensus.state import ConsensusState
from ordo.consensus.transitions import (
    Outcome,
    find_value,
    get_round_proposer,
    store_proposal,
    store_vote,
)
from ordo.consensus.vote_tally import EMPTY_TALLY

MAX_HASHES_PER_SIGNER = 3


def _ignored(state: ConsensusState, reason: IgnoreReason, height: int, signer: bytes) -> Outcome:
    return state, [MessageIgnored(reason, height, signer)]


def _signer_of(message: ConsensusMessage) -> bytes:
    return message.proposer if isinstance(message, Proposal) else message.validator


def _is_signed(message: ConsensusMessage) -> bool:
    if isinstance(message, Proposal):
        return message.is_signed_by_proposer()
    return message.is_signed_by_validator()


def _admit_future(state: ConsensusState, message: ConsensusMessage) -> Outcome:
    """A correctly signed message from a later height: keep it if it is for the next height, and
    tell the node when it reveals a height beyond any seen before."""
    signer = _signer_of(message)
    if not _is_signed(message):
        return _ignored(state, IgnoreReason.BAD_SIGNATURE, message.height, signer)
    actions: list[Action] = []
    if message.height > state.highest_seen_height:
        state = replace(state, highest_seen_height=message.height)
        actions.append(CatchUpNeeded(message.height))
    if message.height != state.height + 1:
        actions.append(MessageIgnored(IgnoreReason.FUTURE_HEIGHT, message.height, signer))
    elif message in state.buffered:
        actions.append(MessageIgnored(IgnoreReason.DUPLICATE, message.height, signer))
    elif len(state.buffered) >= state.params.max_buffered_messages:
        actions.append(MessageIgnored(IgnoreReason.BUFFER_FULL, message.height, signer))
    else:
        state = replace(state, buffered=(*state.buffered, message))
    return state, actions


def _precheck(state: ConsensusState, message: ConsensusMessage) -> Outcome | None:
    """The checks proposals and votes share; None when the message may proceed."""
    signer = _signer_of(message)
    if not state.started:
        return _ignored(state, IgnoreReason.NOT_STARTED, message.height, signer)
    if message.chain_id != state.params.chain_id:
        return _ignored(state, IgnoreReason.WRONG_CHAIN, message.height, signer)
    if signer not in state.validators and not _is_next_epoch(state, message.height):
        return _ignored(state, IgnoreReason.NOT_VALIDATOR, message.height, signer)
    if message.height < state.height:
        return _ignored(state, IgnoreReason.STALE_HEIGHT, message.height, signer)
    if message.height > state.height:
        return _admit_future(state, message)
    if message.round > state.round + state.params.max_round_lookahead:
        return _ignored(state, IgnoreReason.FUTURE_ROUND, message.height, signer)
    return None


def _is_next_epoch(state: ConsensusState, height: int) -> bool:
    """A later height in another epoch: its set may differ from ours, so membership is checked
    when the message is admitted at its own height (it is only buffered before that)."""
    epoch_length = state.params.epoch_length
    return height > state.height and get_epoch(height, epoch_length) != get_epoch(
        state.height, epoch_length)


def _is_known_hash(state: ConsensusState, block_hash: bytes) -> bool:
    return block_hash == NIL or find_value(state, block_hash) is not None


def admit_vote(state: ConsensusState, vote: Vote) -> Outcome:
    """Count a vote for this height on our parent (votes naming another parent are dropped:
    they are about another chain). A double-signer's further votes are counted too (for their
    own block hash only) and reported once as evidence; beyond MAX_HASHES_PER_SIGNER blocks per
    tally, only votes for nil or for proposed blocks are kept, so a double-signer cannot fill
    memory."""
    rejected = _precheck(state, vote)
    if rejected is not None:
        return rejected
    if vote.parent_hash != state.tip.parent_hash:
        # A vote about another chain at this height: it neither counts nor conflicts.
        return _ignored(state, IgnoreReason.WRONG_PARENT, vote.height, vote.validator)
    tallies = state.prevotes if vote.vote_type == VoteType.PREVOTE else state.precommits
    tally = tallies.get(vote.round, EMPTY_TALLY)
    if tally.has_vote(vote.validator, vote.block_hash):
        return _ignored(state, IgnoreReason.DUPLICATE, vote.height, vote.validator)
    if not vote.is_signed_by_validator():
        return _ignored(state, IgnoreReason.BAD_SIGNATURE, vote.height, vote.validator)
    first = tally.votes.get(vote.validator)
    if first is None:
        return store_vote(state, vote), []
    actions: list[Action] = []
    key = (vote.validator, vote.round, int(vote.vote_type))
    if key not in state.reported_equivocations:
        state = replace(state, reported_equivocations=state.reported_equivocations | {key})
        actions.append(Evidence(make_equivocation(first, vote)))
    if tally.count_hashes_of(vote.validator) >= MAX_HASHES_PER_SIGNER and not _is_known_hash(
        state, vote.block_hash
    ):
        actions.append(MessageIgnored(IgnoreReason.EQUIVOCATION_LIMIT, vote.height, vote.validator))
        return state, actions
    return store_vote(state, vote), actions


def admit_proposal(state: ConsensusState, proposal: Proposal) -> Outcome:
    rejected = _precheck(state, proposal)
    if rejected is not None:
        return rejected
    if proposal.proposer != get_round_proposer(state, proposal.round):
        return _ignored(state, IgnoreReason.WRONG_PROPOSER, proposal.height, proposal.proposer)
    stored = state.proposals.get(proposal.round, ())
    if proposal in stored:
        return _ignored(state, IgnoreReason.DUPLICATE, proposal.height, proposal.proposer)
    if len(stored) >= state.params.max_proposals_per_round:
        return _ignored(state, IgnoreReason.TOO_MANY_PROPOSALS, proposal.height, proposal.proposer)
    if proposal.valid_round == -1 and proposal.value.proposer != proposal.proposer:
        return _ignored(state, IgnoreReason.WRONG_BUILDER, proposal.height, proposal.proposer)
    if not proposal.is_signed_by_proposer():
        return _ignored(state, IgnoreReason.BAD_SIGNATURE, proposal.height, proposal.proposer)
    state = store_proposal(state, proposal)
    block_hash = proposal.value.block_hash
    if block_hash in state.validity or block_hash in state.validation_requested:
        return state, []
    if proposal.value.parent_hash != state.tip.parent_hash:
        validity = dict(state.validity)
        validity[block_hash] = False
        return replace(state, validity=validity), []
    requested = state.validation_requested | {block_hash}
    return replace(state, validation_requested=requested), [RequestValidation(proposal.value)]
