"""What simulated nodes send each other besides consensus messages: the catch-up exchange."""

from __future__ import annotations

from dataclasses import dataclass

from ordo.consensus.certificate import CommitCertificate
from ordo.consensus.messages import ConsensusMessage, ProposedValue


@dataclass(frozen=True)
class SyncRequest:
    """ "I am at ``from_height``: send me decided blocks from there on."""

    from_height: int


@dataclass(frozen=True)
class SyncResponse:
    decisions: tuple[tuple[ProposedValue, CommitCertificate], ...]


Payload = ConsensusMessage | SyncRequest | SyncResponse

SYNC_BATCH = 16
