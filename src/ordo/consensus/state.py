"""The state of one node's consensus: immutable, replaced by every step.

Votes and proposals are kept per round of the current height so that a quorum formed in an
earlier or later round is recognised (rules 2, 7 and 8 need that). Everything else of the
paper's process state is here under the paper's names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ordo.consensus.messages import ConsensusMessage, Proposal, ProposedValue, Vote
from ordo.consensus.params import ConsensusParams, Step
from ordo.consensus.schedule import ChainTip
from ordo.consensus.signing import LocalSigner
from ordo.consensus.validator_set import ValidatorSet
from ordo.consensus.vote_tally import VoteTally


@dataclass(frozen=True)
class RecoveryRecord:
    """What a node persists (before sending) so a restart resumes without equivocating and
    without stalling: its own signed messages of the current height, its lock, and the prevote
    quorums that justify its locked and valid values (peers may need them from it to unlock).
    See ``compute_recovery_record``. ``parent_hash`` is the final block the record's height
    extends: a record made on another chain (the store was rewound onto L1's chain since) is
    not restored, since its votes are about that chain."""

    height: int
    round: int
    parent_hash: bytes
    locked_value: ProposedValue | None
    locked_round: int
    valid_value: ProposedValue | None
    valid_round: int
    own_votes: tuple[Vote, ...]
    own_proposals: tuple[Proposal, ...]
    justification: tuple[Vote, ...] = ()


@dataclass(frozen=True)
class ConsensusState:
    params: ConsensusParams
    validators: ValidatorSet
    signer: LocalSigner | None
    started: bool = False
    tip: ChainTip = field(default_factory=lambda: ChainTip(0, bytes(32), bytes(32), 0))
    order: tuple[bytes, ...] = ()
    round: int = 0
    step: Step = Step.PROPOSE
    locked_value: ProposedValue | None = None
    locked_round: int = -1
    valid_value: ProposedValue | None = None
    valid_round: int = -1
    proposals: Mapping[int, tuple[Proposal, ...]] = field(default_factory=dict)
    prevotes: Mapping[int, VoteTally] = field(default_factory=dict)
    precommits: Mapping[int, VoteTally] = field(default_factory=dict)
    round_signers: Mapping[int, frozenset[bytes]] = field(default_factory=dict)
    validity: Mapping[bytes, bool] = field(default_factory=dict)
    validation_requested: frozenset[bytes] = frozenset()
    fired: frozenset[tuple[int, int]] = frozenset()
    reported_equivocations: frozenset[tuple[bytes, int, int]] = frozenset()
    buffered: tuple[ConsensusMessage, ...] = ()
    highest_seen_height: int = 0
    awaiting_build: tuple[int, int] | None = None
    awaiting_set: ChainTip | None = None
    """Set after deciding the block that closes an epoch: the tip of the next height, entered once
    the node resolves the next epoch's validator set. Meanwhile ``tip`` stays at the decided
    height, so no rule fires again for it and nothing is signed."""

    @property
    def height(self) -> int:
        return self.tip.height

    @property
    def address(self) -> bytes | None:
        return self.signer.address if self.signer is not None else None


def create_state(
    params: ConsensusParams, validators: ValidatorSet, private_key: bytes | None
) -> ConsensusState:
    """A machine that waits for Start. Without a key the node only follows (verifies, decides)."""
    signer = LocalSigner(private_key) if private_key is not None else None
    return ConsensusState(params=params, validators=validators, signer=signer)
