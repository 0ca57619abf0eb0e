"""What the node tells the state machine: messages, timers, and answers to its requests."""

from __future__ import annotations

from dataclasses import dataclass

from ordo.consensus.certificate import CommitCertificate
from ordo.consensus.messages import Proposal, ProposedValue, Vote
from ordo.consensus.params import Step
from ordo.consensus.schedule import ChainTip
from ordo.consensus.state import RecoveryRecord
from ordo.consensus.validator_set import ValidatorSet


@dataclass(frozen=True)
class Start:
    """Begin (or resume after a restart) at ``tip``; ``recovery`` restores this node's own votes
    and locks at that height so that a restart can never make it sign two different votes."""

    tip: ChainTip
    recovery: RecoveryRecord | None = None


@dataclass(frozen=True)
class ProposalReceived:
    proposal: Proposal


@dataclass(frozen=True)
class VoteReceived:
    vote: Vote


@dataclass(frozen=True)
class TimeoutFired:
    height: int
    round: int
    step: Step


@dataclass(frozen=True)
class BlockValidated:
    """The node's verdict after re-executing a proposed block (see RequestValidation)."""

    block_hash: bytes
    valid: bool


@dataclass(frozen=True)
class BlockBuilt:
    """The block the node built for a ProposeRequest; the machine trusts its own node's block."""

    height: int
    round: int
    value: ProposedValue


@dataclass(frozen=True)
class DecisionReceived:
    """A decided block and its certificate from a peer, for catching up a height we missed."""

    value: ProposedValue
    certificate: CommitCertificate


@dataclass(frozen=True)
class ValidatorSetResolved:
    """The answer to RequestValidatorSet: who votes, with what stake, in ``epoch``."""

    epoch: int
    anchor_hash: bytes
    validators: ValidatorSet


Event = (
    Start
    | ProposalReceived
    | VoteReceived
    | TimeoutFired
    | BlockValidated
    | BlockBuilt
    | DecisionReceived
    | ValidatorSetResolved
)
