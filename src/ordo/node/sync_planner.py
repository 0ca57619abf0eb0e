"""Which peer to ask for which blocks, and whether this node counts as syncing. Pure: the clock
is passed in, so the policy is tested without sockets.

Peers report their heads (STATUS, or implicitly by a certificate or a vote of a later height).
While a peer is ahead, one request at a time is outstanding; an unanswered request expires so
that a silent or departed peer cannot stall the sync. A head claim costs nothing to make, so a
peer that lets requests go unanswered is asked only when no one else is ahead, and its claim no
longer counts toward "syncing" until it delivers blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.node.sync_codec import MAX_REQUEST_COUNT, BlockRequest

UNANSWERED_LIMIT = 2
"""Requests a peer may leave unanswered in a row before its head claim stops being believed:
one can be bad luck, two in a row from a peer that said it was ahead is a pattern."""

SYNC_LAG = 2
"""Blocks behind the best peer before the node reports itself as syncing: in consensus a node
can be one block behind for a moment without being out of sync."""


@dataclass(frozen=True)
class Outstanding:
    peer: bytes
    start: int
    deadline: float


class SyncPlanner:
    def __init__(self, request_timeout: float = 3.0, batch: int = 32) -> None:
        if not 1 <= batch <= MAX_REQUEST_COUNT:
            raise ValueError(f"batch must be 1..{MAX_REQUEST_COUNT}")
        self.request_timeout = request_timeout
        self.batch = batch
        self._heads: dict[bytes, int] = {}
        self._outstanding: Outstanding | None = None
        self._starting: int | None = None
        self._unanswered: dict[bytes, int] = {}

    def note_head(self, peer: bytes, head: int) -> None:
        """The peer has the chain up to ``head`` (never lowers what we know of it)."""
        self._heads[peer] = max(head, self._heads.get(peer, 0))

    def set_head(self, peer: bytes, head: int) -> None:
        """The peer said where its chain ends (a STATUS): take it as is."""
        self._heads[peer] = head

    def forget(self, peer: bytes) -> None:
        self._heads.pop(peer, None)
        self._unanswered.pop(peer, None)
        if self._outstanding is not None and self._outstanding.peer == peer:
            self._outstanding = None

    def highest(self) -> int:
        return max((head for peer, head in self._heads.items() if self._believed(peer)),
                   default=0)

    def _believed(self, peer: bytes) -> bool:
        return self._unanswered.get(peer, 0) < UNANSWERED_LIMIT

    def _strike(self, peer: bytes) -> None:
        self._unanswered[peer] = self._unanswered.get(peer, 0) + 1

    def next_request(self, our_head: int, now: float) -> tuple[bytes, BlockRequest] | None:
        outstanding = self._outstanding
        if outstanding is not None and now < outstanding.deadline:
            return None
        if outstanding is not None:
            self._strike(outstanding.peer)
        ahead = [(head, peer) for peer, head in self._heads.items() if head > our_head]
        if not ahead:
            self._outstanding = None
            return None
        believed = [entry for entry in ahead if self._believed(entry[1])]
        ahead = believed or ahead
        if outstanding is not None:  # it expired: prefer someone else this time
            others = [entry for entry in ahead if entry[1] != outstanding.peer]
            ahead = others or ahead
        head, peer = max(ahead)
        request = BlockRequest(our_head + 1, min(self.batch, head - our_head))
        self._outstanding = Outstanding(peer, request.start, now + self.request_timeout)
        return peer, request

    def on_response(self, peer: bytes, delivered: bool = True) -> None:
        """``delivered``: the response carried blocks (an empty answer is no better than none).
        Only an answer to our own request redeems a peer: anyone can replay old blocks."""
        if self._outstanding is None or self._outstanding.peer != peer:
            return
        self._outstanding = None
        if delivered:
            self._unanswered.pop(peer, None)
        else:
            self._strike(peer)

    def progress(self, our_head: int) -> dict[str, int] | None:
        """eth_syncing's answer: None in sync, else startingBlock/currentBlock/highestBlock."""
        highest = self.highest()
        if highest <= our_head + SYNC_LAG - 1:
            self._starting = None
            return None
        if self._starting is None:
            self._starting = our_head
        return {"startingBlock": self._starting, "currentBlock": our_head,
                "highestBlock": highest}
