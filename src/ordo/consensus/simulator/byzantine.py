"""How a Byzantine validator corrupts what it sends: per peer, so different peers see different
messages. The Byzantine node runs the honest state machine to stay in step with the network, and
every message it would send passes through :func:`forge` on its way to each peer.

- equivocate: each peer gets, at random, the honest vote or one for another known block / nil;
- split: per (height, round, type) one random group of peers gets the honest vote and the rest
  a conflicting one, so that exactly some nodes see a quorum (the lock rule's raison d'etre);
- double-propose: half the peers get a second block, and votes backing it;
- lying-proposer: proposes a fresh block claiming a valid round it has no prevote quorum for;
- amnesia: forgets its valid value and proposes a fresh block in every round, backing it with
  its votes, and sends its precommits for blocks to one peer only (so exactly one node decides):
  what breaks safety if correct nodes do not lock;
- unknown-votes: votes for blocks nobody proposed;
- invalid-propose: proposes blocks that fail validation (bad flag or a parent not on the chain);
- silent: sends nothing (never started); chaos: one of the above, drawn per (height, round).

Every Byzantine node also answers half the catch-up requests it serves with a forged decision
(:func:`forge_decision`): a block nobody decided, "certified" by its own precommit alone.
"""

from __future__ import annotations

import random

from eth_hash.auto import keccak

from ordo.consensus.certificate import CommitCertificate, build_certificate
from ordo.consensus.messages import (
    NIL,
    ConsensusMessage,
    Proposal,
    ProposedValue,
    Vote,
    VoteType,
    sign_proposal,
    sign_vote,
)
from ordo.consensus.signing import LocalSigner
from ordo.consensus.simulator.fake_block import make_fake_value
from ordo.consensus.simulator.scenario import Behaviour
from ordo.consensus.state import ConsensusState

_ACTIVE = (
    Behaviour.EQUIVOCATE,
    Behaviour.SPLIT,
    Behaviour.DOUBLE_PROPOSE,
    Behaviour.LYING_PROPOSER,
    Behaviour.AMNESIA,
    Behaviour.UNKNOWN_VOTES,
    Behaviour.INVALID_PROPOSE,
)


def _known_hashes(state: ConsensusState, round_: int) -> list[bytes]:
    return [NIL] + [proposal.value.block_hash for proposal in state.proposals.get(round_, ())]


def _revote(vote: Vote, signer: LocalSigner, block_hash: bytes) -> Vote:
    """A conflicting vote: same (height, round, type) and parent, another block: evidence."""
    return sign_vote(signer, vote.chain_id, vote.height, vote.round, vote.vote_type,
                     vote.parent_hash, block_hash)


def _equivocating_vote(
    vote: Vote, state: ConsensusState, signer: LocalSigner, rng: random.Random
) -> Vote:
    if rng.random() < 0.5:
        return vote
    choices = [h for h in _known_hashes(state, vote.round) if h != vote.block_hash]
    return _revote(vote, signer, rng.choice(choices) if choices else rng.randbytes(32))


def _split_vote(vote: Vote, peer: int, state: ConsensusState, signer: LocalSigner) -> Vote:
    """Deterministic per (height, round, type): a pseudo-random group gets the honest vote."""
    draw = keccak(
        vote.height.to_bytes(8, "big")
        + vote.round.to_bytes(4, "big")
        + bytes([vote.vote_type, peer])
    )
    if draw[0] % 2 == 0:
        return vote
    choices = [h for h in _known_hashes(state, vote.round) if h != vote.block_hash]
    return _revote(vote, signer, choices[draw[1] % len(choices)] if choices else NIL)


def _second_proposal(proposal: Proposal, signer: LocalSigner) -> Proposal:
    return _signed_alternative(proposal, signer, nonce_base=2**63, valid_round=-1)


def _lying_proposal(proposal: Proposal, signer: LocalSigner) -> Proposal:
    if proposal.round == 0:
        return proposal
    return _signed_alternative(proposal, signer, nonce_base=2**61,
                               valid_round=proposal.round - 1)


def _signed_alternative(proposal: Proposal, signer: LocalSigner, nonce_base: int,
                        valid_round: int) -> Proposal:
    """Another valid block for the proposal's height and round, signed by ``signer``; distinct
    nonce bases keep the behaviours' blocks distinct from each other."""
    value = proposal.value
    alternative = make_fake_value(value.height, value.parent_hash, signer.address,
                                  proposal.round, nonce=nonce_base + proposal.round, valid=True)
    return sign_proposal(signer, proposal.chain_id, proposal.round, valid_round, alternative)


def _fresh_proposal(proposal: Proposal, signer: LocalSigner) -> Proposal:
    return _signed_alternative(proposal, signer, nonce_base=2**60, valid_round=-1)


def _amnesia_vote(
    vote: Vote, peer: int, own_index: int, state: ConsensusState, signer: LocalSigner
) -> Vote:
    for proposal in state.proposals.get(vote.round, ()):
        if proposal.proposer == signer.address:  # all our votes of that round back our block
            return _revote(vote, signer, _fresh_proposal(proposal, signer).value.block_hash)
    if vote.vote_type == VoteType.PRECOMMIT and vote.block_hash != NIL:
        chosen = _draw(vote.height, vote.round, b"amnesia")[0] % (len(state.validators) - 1)
        if peer != chosen + (chosen >= own_index):  # one peer, never ourselves
            return _revote(vote, signer, NIL)
    return vote


def _draw(height: int, round_: int, tag: bytes) -> bytes:
    return keccak(tag + height.to_bytes(8, "big") + round_.to_bytes(4, "big"))


def forge_decision(
    height: int, parent_hash: bytes, signer: LocalSigner, chain_id: int
) -> tuple[ProposedValue, CommitCertificate]:
    value = make_fake_value(height, parent_hash, signer.address, 0, nonce=2**59, valid=True)
    vote = sign_vote(signer, chain_id, height, 0, VoteType.PRECOMMIT, parent_hash,
                     value.block_hash)
    return value, build_certificate([vote])


def _invalid_proposal(proposal: Proposal, signer: LocalSigner, rng: random.Random) -> Proposal:
    """A block that fails validation: by flag, or by claiming a parent that is not ours."""
    value = proposal.value
    parent = value.parent_hash if rng.random() < 0.5 else rng.randbytes(32)
    bad = make_fake_value(
        value.height,
        parent,
        signer.address,
        proposal.round,
        nonce=2**62 + proposal.round,
        valid=False,
    )
    return sign_proposal(signer, proposal.chain_id, proposal.round, proposal.valid_round, bad)


def _vote_for_second_proposal(vote: Vote, state: ConsensusState, signer: LocalSigner) -> Vote:
    """Back the second proposal with votes to the peers that received it."""
    for proposal in state.proposals.get(vote.round, ()):
        if proposal.proposer == signer.address and proposal.value.block_hash == vote.block_hash:
            return _revote(vote, signer, _second_proposal(proposal, signer).value.block_hash)
    return vote


def forge(
    message: ConsensusMessage,
    peer: int,
    own_index: int,
    behaviour: Behaviour,
    state: ConsensusState,
    signer: LocalSigner,
    rng: random.Random,
) -> ConsensusMessage | None:
    """What ``peer`` receives instead of ``message`` (None: nothing)."""
    if behaviour == Behaviour.CHAOS:
        if rng.random() < 0.1:
            return None
        draw = _draw(message.height, message.round, signer.address)[0]
        behaviour = _ACTIVE[draw % len(_ACTIVE)]
    if isinstance(message, Vote):
        if behaviour == Behaviour.EQUIVOCATE:
            return _equivocating_vote(message, state, signer, rng)
        if behaviour == Behaviour.SPLIT:
            return _split_vote(message, peer, state, signer)
        if behaviour == Behaviour.UNKNOWN_VOTES:
            return _revote(message, signer, rng.randbytes(32))
        if behaviour == Behaviour.DOUBLE_PROPOSE and peer % 2 == 1:
            return _vote_for_second_proposal(message, state, signer)
        if behaviour == Behaviour.AMNESIA:
            return _amnesia_vote(message, peer, own_index, state, signer)
        return message
    if behaviour == Behaviour.DOUBLE_PROPOSE and peer % 2 == 1:
        return _second_proposal(message, signer)
    if behaviour == Behaviour.AMNESIA:
        return _fresh_proposal(message, signer)
    if behaviour == Behaviour.LYING_PROPOSER:
        return _lying_proposal(message, signer)
    if behaviour == Behaviour.INVALID_PROPOSE:
        return _invalid_proposal(message, signer, rng)
    return message
