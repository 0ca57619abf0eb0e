"""Bounded memory of gossip already seen, and which live sessions already have each message.

A message id is keccak256(kind byte || payload). Sessions, not peer ids, are remembered: after a
reconnect the peer may have lost what was queued to it, so a re-broadcast must reach it again.
"""

from __future__ import annotations

from collections import OrderedDict

from eth_hash.auto import keccak

from ordo.network.message_kind import MessageKind


def message_id(kind: MessageKind, payload: bytes) -> bytes:
    return keccak(bytes([int(kind)]) + payload)


class SeenCache:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("seen-cache capacity must be at least 1")
        self._capacity = capacity
        self._holders: OrderedDict[bytes, set[int]] = OrderedDict()

    def observe(self, msg_id: bytes, session: int | None) -> bool:
        """Record that ``session`` (None: this node) has the message. True the first time."""
        holders = self._holders.get(msg_id)
        first = holders is None
        if holders is None:
            holders = self._holders[msg_id] = set()
            if len(self._holders) > self._capacity:
                self._holders.popitem(last=False)
        else:
            self._holders.move_to_end(msg_id)
        if session is not None:
            holders.add(session)
        return first

    def has(self, msg_id: bytes, session: int) -> bool:
        holders = self._holders.get(msg_id)
        return holders is not None and session in holders

    def __contains__(self, msg_id: bytes) -> bool:
        return msg_id in self._holders

    def __len__(self) -> int:
        return len(self._holders)
