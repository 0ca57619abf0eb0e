"""Ordo's consensus: Tendermint (arXiv:1807.04938, Algorithm 1), stake-weighted, as a pure state
machine, with Ordo's proposer schedule, signed votes, commit certificates and evidence.

The node drives :func:`step` with events and performs the actions it returns; the simulator in
``ordo.consensus.simulator`` drives the very same function over a seeded virtual network.
"""

from ordo.consensus.actions import (
    Action,
    Broadcast,
    CatchUpNeeded,
    Commit,
    Evidence,
    IgnoreReason,
    MessageIgnored,
    ProposeRequest,
    RequestValidation,
    ScheduleTimeout,
)
from ordo.consensus.certificate import (
    CertificateError,
    CommitCertificate,
    build_certificate,
    verify_certificate,
)
from ordo.consensus.codec import (
    DecodeError,
    decode_certificate,
    decode_evidence,
    decode_message,
    decode_proposal,
    decode_value,
    decode_vote,
    encode_certificate,
    encode_evidence,
    encode_message,
    encode_proposal,
    encode_value,
    encode_vote,
)
from ordo.consensus.events import (
    BlockBuilt,
    BlockValidated,
    DecisionReceived,
    Event,
    ProposalReceived,
    Start,
    TimeoutFired,
    VoteReceived,
)
from ordo.consensus.evidence import Equivocation, EvidenceError, verify_equivocation
from ordo.consensus.machine import step
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
from ordo.consensus.params import ConsensusParams, Step
from ordo.consensus.rebroadcast import compute_rebroadcast, compute_recovery_record
from ordo.consensus.schedule import (
    ChainTip,
    advance_tip,
    compute_epoch_seed,
    compute_proposer_order,
    compute_tip,
    genesis_tip,
    get_epoch,
    get_proposer,
)
from ordo.consensus.signing import LocalSigner
from ordo.consensus.state import ConsensusState, RecoveryRecord, create_state
from ordo.consensus.validator_set import Validator, ValidatorSet, is_quorum, is_skip_set

__all__ = [
    "NIL",
    "Action",
    "BlockBuilt",
    "BlockValidated",
    "Broadcast",
    "CatchUpNeeded",
    "CertificateError",
    "ChainTip",
    "Commit",
    "CommitCertificate",
    "ConsensusMessage",
    "ConsensusParams",
    "ConsensusState",
    "DecisionReceived",
    "DecodeError",
    "Equivocation",
    "Event",
    "Evidence",
    "EvidenceError",
    "IgnoreReason",
    "LocalSigner",
    "MessageIgnored",
    "Proposal",
    "ProposalReceived",
    "ProposeRequest",
    "ProposedValue",
    "RecoveryRecord",
    "RequestValidation",
    "ScheduleTimeout",
    "Start",
    "Step",
    "TimeoutFired",
    "Validator",
    "ValidatorSet",
    "Vote",
    "VoteReceived",
    "VoteType",
    "advance_tip",
    "build_certificate",
    "compute_epoch_seed",
    "compute_proposer_order",
    "compute_rebroadcast",
    "compute_recovery_record",
    "compute_tip",
    "create_state",
    "decode_certificate",
    "decode_evidence",
    "decode_message",
    "decode_proposal",
    "decode_value",
    "decode_vote",
    "encode_certificate",
    "encode_evidence",
    "encode_message",
    "encode_proposal",
    "encode_value",
    "encode_vote",
    "genesis_tip",
    "get_epoch",
    "get_proposer",
    "is_quorum",
    "is_skip_set",
    "sign_proposal",
    "sign_vote",
    "step",
    "verify_certificate",
    "verify_equivocation",
]
