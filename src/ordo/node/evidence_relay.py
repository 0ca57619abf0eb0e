"""Where verified equivocation evidence goes once this node holds it: the book that keeps it,
the listeners that act on it (the L1 reporter), and the peers.

Evidence from a peer is checked by the book before anything else sees it; the driver relays a
peer's evidence itself (its handler says the payload is worth relaying), while evidence this
node's own consensus machine found is broadcast here, since no peer has it yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ordo.consensus import Equivocation, EvidenceError, encode_evidence
from ordo.network import MessageKind
from ordo.node.consensus_transport import Transport
from ordo.node.evidence_book import EvidenceBook

log = logging.getLogger(__name__)


class EvidenceRelay:
    def __init__(self, book: EvidenceBook, transport: Callable[[], Transport | None]) -> None:
        self.book = book
        self._transport = transport
        self.listeners: list[Callable[[Equivocation], None]] = []
        """Told of each new verified equivocation (the L1 reporter listens on L1 networks)."""

    def from_peer(self, evidence: Equivocation) -> bool:
        """Keeps a peer's evidence if it verifies and is new; True when it is worth relaying."""
        try:
            added = self.book.add(evidence) is not None
        except EvidenceError as error:
            log.info("evidence from a peer rejected: %s", error)
            return False
        if added:
            self._tell(evidence)
        return added

    def from_own_machine(self, evidence: Equivocation) -> None:
        """Keeps evidence this node's machine found and sends it to every peer. Evidence the
        book refuses here would mean the machine's own check disagrees with the book's."""
        try:
            encoded = self.book.add(evidence)
        except EvidenceError as error:
            log.error("own evidence does not verify: %s", error)
            return
        if encoded is None:
            return
        log.warning("validator 0x%s double-signed at height %d",
                    evidence.validator.hex(), evidence.height)
        self._tell(evidence)
        transport = self._transport()
        if transport is not None:
            transport.broadcast(MessageKind.EVIDENCE, encode_evidence(evidence))

    def _tell(self, evidence: Equivocation) -> None:
        for listener in self.listeners:
            listener(evidence)
