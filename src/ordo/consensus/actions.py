"""What the state machine asks the node to do. The node performs them in order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ordo.consensus.certificate import CommitCertificate
from ordo.consensus.evidence import Equivocation
from ordo.consensus.messages import ConsensusMessage, ProposedValue
from ordo.consensus.params import Step


@dataclass(frozen=True)
class Broadcast:
    message: ConsensusMessage


@dataclass(frozen=True)
class ScheduleTimeout:
    """Deliver TimeoutFired(height, round, step) after ``duration_ms``; stale ones are ignored."""

    height: int
    round: int
    step: Step
    duration_ms: int


@dataclass(frozen=True)
class Commit:
    """``value`` is final at ``height``: execute, store with the certificate, then serve it."""

    height: int
    value: ProposedValue
    certificate: CommitCertificate


@dataclass(frozen=True)
class RequestValidation:
    """Re-execute ``value`` and answer with BlockValidated; until then it counts as not valid."""

    value: ProposedValue


@dataclass(frozen=True)
class ProposeRequest:
    """We propose at (height, round): build a block on ``parent_hash``, answer BlockBuilt."""

    height: int
    round: int
    parent_hash: bytes


@dataclass(frozen=True)
class Evidence:
    equivocation: Equivocation


@dataclass(frozen=True)
class RequestValidatorSet:
    """The decided block closed an epoch: find the validator set of ``epoch`` (fixed by that
    epoch's anchor block ``anchor_hash``) and answer with ValidatorSetResolved. Until then the
    machine waits at the new height: it buffers the new epoch's messages and signs nothing."""

    epoch: int
    anchor_hash: bytes


@dataclass(frozen=True)
class CatchUpNeeded:
    """A correctly signed message shows the network at ``height`` while we are lower: ask peers
    for decided blocks and certificates from our height on."""

    height: int


class IgnoreReason(Enum):
    NOT_STARTED = "not started"
    WRONG_CHAIN = "wrong chain id"
    NOT_VALIDATOR = "signer is not a validator"
    BAD_SIGNATURE = "bad signature"
    WRONG_PROPOSER = "not the proposer of that round"
    WRONG_BUILDER = "fresh proposal of a block built by someone else"
    STALE_HEIGHT = "height already decided"
    FUTURE_HEIGHT = "height too far ahead"
    FUTURE_ROUND = "round too far ahead"
    DUPLICATE = "duplicate"
    EQUIVOCATION_LIMIT = "too many conflicting votes from one signer"
    TOO_MANY_PROPOSALS = "too many proposals for one round"
    BUFFER_FULL = "next-height buffer full"
    BAD_CERTIFICATE = "certificate does not verify"
    WRONG_PARENT = "value does not extend our chain"
    UNEXPECTED = "not expected in this state"


@dataclass(frozen=True)
class MessageIgnored:
    """Input dropped without effect; the node counts these by reason (and may answer a peer that
    is behind, for STALE_HEIGHT). ``signer`` is the claimed signer, empty if none."""

    reason: IgnoreReason
    height: int
    signer: bytes


Action = (
    Broadcast
    | ScheduleTimeout
    | Commit
    | RequestValidation
    | ProposeRequest
    | Evidence
    | CatchUpNeeded
    | RequestValidatorSet
    | MessageIgnored
)
