"""Bounded memory of gossip already seen, and which live sessions already have each message.

A message id is keccak256(kind byte || payload). Sessions, not peer ids, are remembered: after a
reconnect the peer may have lost what was queued to it, so a re-broadcast must reach it again.

Which sessions *sent* each message is kept apart from which have it: gossip never sends a message
twice on one session, so a second copy from the same session is a deliberate re-send
(``PeerNetwork.send``), while a copy from a session we had sent it to is only a relay crossing
ours on the wire, a plain duplicate. A re-send is let through at most once per
``resend_interval`` per (message, session): the drivers re-send every second
(docs/consensus.md §13), and a peer repeating one message faster would otherwise have every copy
decoded and queued by the node.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from eth_hash.auto import keccak

from ordo.network.message_kind import MessageKind


def message_id(kind: MessageKind, payload: bytes) -> bytes:
    return keccak(bytes([int(kind)]) + payload)


class Arrival(Enum):
    FIRST = "first"
    DUPLICATE = "duplicate"
    RESENT = "resent"
    RESENT_TOO_SOON = "resent_too_soon"


@dataclass
class _Entry:
    holders: set[int] = field(default_factory=set)
    senders: dict[int, float | None] = field(default_factory=dict)
    """Sessions that sent the message -> when their last re-send was let through (None: never)."""


class SeenCache:
    def __init__(self, capacity: int, *, resend_interval: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if capacity < 1:
            raise ValueError("seen-cache capacity must be at least 1")
        self._capacity = capacity
        self._resend_interval = resend_interval
        self._clock = clock
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()

    def _entry(self, msg_id: bytes) -> tuple[_Entry, bool]:
        entry = self._entries.get(msg_id)
        if entry is None:
            entry = self._entries[msg_id] = _Entry()
            if len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
            return entry, True
        self._entries.move_to_end(msg_id)
        return entry, False

    def observe(self, msg_id: bytes, session: int | None) -> bool:
        """Record that ``session`` (None: this node) has the message. True the first time."""
        entry, first = self._entry(msg_id)
        if session is not None:
            entry.holders.add(session)
        return first

    def receive(self, msg_id: bytes, session: int) -> Arrival:
        """Record a copy received on ``session``: the first copy of the message, a re-send (this
        session sent it before), a re-send too soon after the last one let through on this
        session, or a duplicate (first seen from another session or sent by us)."""
        entry, first = self._entry(msg_id)
        entry.holders.add(session)
        if session not in entry.senders:
            entry.senders[session] = None
            return Arrival.FIRST if first else Arrival.DUPLICATE
        now = self._clock()
        last = entry.senders[session]
        if last is not None and now - last < self._resend_interval:
            return Arrival.RESENT_TOO_SOON
        entry.senders[session] = now
        return Arrival.RESENT

    def has(self, msg_id: bytes, session: int) -> bool:
        entry = self._entries.get(msg_id)
        return entry is not None and session in entry.holders

    def __contains__(self, msg_id: bytes) -> bool:
        return msg_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)
