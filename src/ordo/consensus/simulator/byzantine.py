"""How a Byzantine validator corrupts what it sends: per peer, so different peers see different
messages. The Byzantine node runs the honest state machine to stay in step with the network, and
every message it would send passes through :func:`forge` on its way to each peer."""

from __future__ import annotations

import random

from ordo.consensus.messages import (
    NIL,
    ConsensusMessage,
    Proposal,
    Vote,
    sign_proposal,
    sign_vote,
)
from ordo.consensus.signing import LocalSigner
from ordo.consensus.simulator.fake_block import make_fake_value
from ordo.consensus.simulator.scenario import Behaviour
from ordo.consensus.state import ConsensusState

_ACTIVE = (
    Behaviour.EQUIVOCATE,
    Behaviour.DOUBLE_PROPOSE,
    Behaviour.UNKNOWN_VOTES,
    Behaviour.INVALID_PROPOSE,
)


def _known_hashes(state: ConsensusState, round_: int) -> list[bytes]:
    return [NIL] + [proposal.value.block_hash for proposal in state.proposals.get(round_, ())]


def _equivocating_vote(
    vote: Vote, state: ConsensusState, signer: LocalSigner, rng: random.Random
) -> Vote:
    if rng.random() < 0.5:
        return vote
    choices = [h for h in _known_hashes(state, vote.round) if h != vote.block_hash]
    block_hash = rng.choice(choices) if choices else rng.randbytes(32)
    return sign_vote(signer, vote.chain_id, vote.height, vote.round, vote.vote_type, block_hash)


def _second_proposal(
    proposal: Proposal, node_index: int, signer: LocalSigner
) -> Proposal:
    value = proposal.value
    other = make_fake_value(value.height, value.parent_hash, node_index, proposal.round,
                            nonce=2**63 + proposal.round, valid=True)
    return sign_proposal(signer, proposal.chain_id, proposal.round, -1, other)


def _invalid_proposal(
    proposal: Proposal, node_index: int, signer: LocalSigner, rng: random.Random
) -> Proposal:
    """A block that fails validation: by flag, or by claiming a parent that is not ours."""
    value = proposal.value
    parent = value.parent_hash if rng.random() < 0.5 else rng.randbytes(32)
    bad = make_fake_value(value.height, parent, node_index, proposal.round,
                          nonce=2**62 + proposal.round, valid=False)
    return sign_proposal(signer, proposal.chain_id, proposal.round, proposal.valid_round, bad)


def _vote_for_second_proposal(
    vote: Vote, node_index: int, state: ConsensusState, signer: LocalSigner
) -> Vote:
    """Back the second proposal with votes to the peers that received it."""
    for proposal in state.proposals.get(vote.round, ()):
        if proposal.proposer == signer.address and proposal.value.block_hash == vote.block_hash:
            other = _second_proposal(proposal, node_index, signer).value.block_hash
            return sign_vote(
                signer, vote.chain_id, vote.height, vote.round, vote.vote_type, other
            )
    return vote


def forge(
    message: ConsensusMessage,
    peer: int,
    behaviour: Behaviour,
    node_index: int,
    state: ConsensusState,
    signer: LocalSigner,
    rng: random.Random,
) -> ConsensusMessage | None:
    """What ``peer`` receives instead of ``message`` (None: nothing)."""
    if behaviour == Behaviour.CHAOS:
        draw = rng.random()
        if draw < 0.15:
            return None
        if draw < 0.3:
            return message
        behaviour = rng.choice(_ACTIVE)
    if isinstance(message, Vote):
        if behaviour == Behaviour.EQUIVOCATE:
            return _equivocating_vote(message, state, signer, rng)
        if behaviour == Behaviour.UNKNOWN_VOTES:
            return sign_vote(signer, message.chain_id, message.height, message.round,
                             message.vote_type, rng.randbytes(32))
        if behaviour == Behaviour.DOUBLE_PROPOSE and peer % 2 == 1:
            return _vote_for_second_proposal(message, node_index, state, signer)
        return message
    if behaviour == Behaviour.DOUBLE_PROPOSE and peer % 2 == 1:
        return _second_proposal(message, node_index, signer)
    if behaviour == Behaviour.INVALID_PROPOSE:
        return _invalid_proposal(message, node_index, signer, rng)
    return message
