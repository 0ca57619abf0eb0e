"""What peers did wrong: counted by reason (``ordo_status.ignoredMessages``) and, where it is
the peer's fault, reported to the transport as a score penalty. A peer still voting at a height
we decided is not at fault but behind: it is sent our STATUS (rate-limited), so it pulls blocks.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from ordo.consensus import IgnoreReason, MessageIgnored
from ordo.network import MessageKind
from ordo.node.consensus_transport import TransportRef

log = logging.getLogger(__name__)

BAD_MESSAGE_PENALTY = 20.0
STATUS_ANSWER_INTERVAL = 0.5


class PeerPenalties:
    def __init__(self, transport: TransportRef, status_payload: Callable[[], bytes],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._transport = transport
        self._status_payload = status_payload
        self._clock = clock
        self.ignored: Counter[str] = Counter()
        """Refused or dropped inputs by reason, peers' and our own."""
        self._status_answered: dict[bytes, float] = {}

    def penalize(self, peer: bytes, reason: str) -> None:
        transport = self._transport()
        if transport is not None:
            transport.report_misbehaviour(peer, reason, BAD_MESSAGE_PENALTY)

    def malformed(self, peer: bytes, kind: MessageKind, error: Exception) -> None:
        """A payload that does not decode: counted and penalized."""
        name = kind.name.lower()
        self.ignored[f"malformed {name}"] += 1
        self.penalize(peer, f"malformed_{name}")
        log.info("peer 0x%s sent a malformed %s: %s", peer.hex(), kind.name, error)

    def on_ignored(self, action: MessageIgnored, peer: bytes | None) -> None:
        """A message the machine refused: counted; a bad signature penalized; a vote at a
        height we decided answered with our head."""
        self.ignored[action.reason.value] += 1
        if peer is None:
            return
        if action.reason == IgnoreReason.BAD_SIGNATURE:
            self.penalize(peer, "bad_signature")
        elif action.reason == IgnoreReason.STALE_HEIGHT:
            transport = self._transport()
            now = self._clock()
            if transport is not None and \
                    now - self._status_answered.get(peer, float("-inf")) >= STATUS_ANSWER_INTERVAL:
                self._status_answered[peer] = now
                transport.send(peer, MessageKind.STATUS, self._status_payload())
