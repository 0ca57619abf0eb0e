"""What the consensus driver and its parts need of the peer network, and how a consensus message
goes on the wire (one place for the proposal/vote framing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ordo.consensus import ConsensusMessage, Proposal, encode_proposal, encode_vote
from ordo.network import MessageKind, PeerInfo


class Transport(Protocol):
    """What the driver needs of the peer network (PeerNetwork implements it)."""

    def broadcast(self, kind: MessageKind, payload: bytes) -> int: ...

    def send(self, peer_id: bytes, kind: MessageKind, payload: bytes) -> bool: ...

    def report_misbehaviour(self, peer_id: bytes, reason: str, penalty: float) -> None: ...

    def peers(self) -> list[PeerInfo]: ...


TransportRef = Callable[[], "Transport | None"]
"""The transport once the node has one (the runner attaches it after the driver exists)."""


def framed(message: ConsensusMessage) -> tuple[MessageKind, bytes]:
    """The message kind and canonical encoding of a proposal or vote."""
    if isinstance(message, Proposal):
        return MessageKind.PROPOSAL, encode_proposal(message)
    return MessageKind.VOTE, encode_vote(message)
