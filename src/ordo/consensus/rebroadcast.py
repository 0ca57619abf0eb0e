"""What a node re-sends and what it persists: pure views of the state.

Messages get lost, and the algorithm's liveness assumes that messages between correct nodes are
eventually delivered. So until a height is decided each node periodically re-broadcasts what a
peer needs to make progress with it: the current round's proposals, all its own votes of the
height (a peer stuck in an earlier round needs our earlier precommits to follow us, and a
skip set of later-round messages to jump), and, when it holds a valid value, the proposal and
prevote quorum that justify re-proposing it (a peer locked on an older value needs them to
unlock). Receivers treat copies as duplicates, so re-sending is always safe.

The other direction matters too: a node that rebuilds its machine in-process (the driver does,
after a step the disk refused or a failed commit) must keep what it had been delivered, because
its network remembers having delivered those messages and drops the peers' re-sent copies as
gossip duplicates; :func:`compute_held_messages` is what it re-feeds.
"""

from __future__ import annotations

from ordo.consensus.messages import ConsensusMessage, Proposal, Vote
from ordo.consensus.state import ConsensusState, RecoveryRecord
from ordo.consensus.vote_tally import EMPTY_TALLY


def _own_votes(state: ConsensusState) -> list[Vote]:
    own = state.address
    if own is None:
        return []
    votes = [tally.votes[own] for tally in state.prevotes.values() if own in tally.votes]
    votes += [tally.votes[own] for tally in state.precommits.values() if own in tally.votes]
    return votes


def compute_rebroadcast(state: ConsensusState) -> tuple[ConsensusMessage, ...]:
    if not state.started:
        return ()
    messages: list[ConsensusMessage] = list(state.proposals.get(state.round, ()))
    own_votes = sorted(_own_votes(state), key=lambda vote: (vote.round, vote.vote_type))
    messages += own_votes
    valid_value, valid_round = state.valid_value, state.valid_round
    if valid_value is not None and valid_round != state.round:
        messages += [
            proposal
            for proposal in state.proposals.get(valid_round, ())
            if proposal.value.block_hash == valid_value.block_hash
        ]
        tally = state.prevotes.get(valid_round, EMPTY_TALLY)
        messages += tally.votes_for(valid_value.block_hash)
    unique: dict[ConsensusMessage, None] = dict.fromkeys(messages)
    return tuple(unique)


def compute_held_messages(state: ConsensusState) -> tuple[ConsensusMessage, ...]:
    """Every peer's proposal and vote the state holds for its height (all rounds) and the
    buffered next-height messages: what a rebuilt machine must be handed again. Our own messages
    are left out: the recovery record restores them (docs/consensus.md §13)."""
    own = state.address
    messages: list[ConsensusMessage] = [
        proposal
        for proposals in state.proposals.values()
        for proposal in proposals
        if proposal.proposer != own
    ]
    for tallies in (state.prevotes, state.precommits):
        for tally in tallies.values():
            messages += [
                vote
                for voters in tally.by_hash.values()
                for vote in voters.values()
                if vote.validator != own
            ]
    messages += [message for message in state.buffered
                 if (message.proposer if isinstance(message, Proposal) else message.validator)
                 != own]
    return tuple(dict.fromkeys(messages))


def compute_recovery_record(state: ConsensusState) -> RecoveryRecord:
    """Persist this (atomically, before sending the step's messages) after every step that
    signed something; Start(tip, record) then resumes without any risk of double-signing."""
    own = state.address
    own_proposals: tuple[Proposal, ...] = tuple(
        proposal
        for proposals in state.proposals.values()
        for proposal in proposals
        if proposal.proposer == own
    )
    votes = sorted(_own_votes(state), key=lambda vote: (vote.round, vote.vote_type))
    justification: list[Vote] = []
    for value, round_ in (
        (state.locked_value, state.locked_round),
        (state.valid_value, state.valid_round),
    ):
        if value is not None:
            tally = state.prevotes.get(round_, EMPTY_TALLY)
            justification += tally.votes_for(value.block_hash)
    return RecoveryRecord(
        height=state.height,
        round=state.round,
        parent_hash=state.tip.parent_hash,
        locked_value=state.locked_value,
        locked_round=state.locked_round,
        valid_value=state.valid_value,
        valid_round=state.valid_round,
        own_votes=tuple(votes),
        own_proposals=own_proposals,
        justification=tuple(dict.fromkeys(justification)),
    )
