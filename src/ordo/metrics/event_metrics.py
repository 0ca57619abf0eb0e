"""Series for events nothing else counts yet: blocks produced and their transactions, rounds
per height, peer messages by kind, and RPC calls with their latency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from ordo.core.block import Block
from ordo.core.block_extra import builder_of
from ordo.network import MessageKind

PeerMessageHandler = Callable[[bytes, MessageKind, bytes], "bool | None"]
CommitLookup = Callable[[int], "dict[str, Any] | None"]

ROUND_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16)
RPC_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                       5, 10)


class EventMetrics:
    def __init__(self, registry: CollectorRegistry, signer_address: bytes | None,
                 commit_lookup: CommitLookup | None) -> None:
        self._signer = signer_address
        self._commit_lookup = commit_lookup
        self.blocks_produced = Counter(
            "ordo_blocks_produced", "Final blocks this node proposed.", registry=registry)
        self.transactions_included = Counter(
            "ordo_transactions_included", "Transactions in final blocks.", registry=registry)
        self.rounds_per_height = Histogram(
            "ordo_rounds_per_height", "Rounds it took to decide a height (1 = first round).",
            buckets=ROUND_BUCKETS, registry=registry)
        self.peer_messages = Counter(
            "ordo_peer_messages_received", "Messages received from peers, by kind.",
            ["kind"], registry=registry)
        self.votes_received = Counter(
            "ordo_votes_received", "Consensus votes received from peers.", registry=registry)
        self.rpc_requests = Counter(
            "ordo_rpc_requests", "JSON-RPC calls of known methods, by method and outcome.",
            ["method", "outcome"], registry=registry)
        self.rpc_latency = Histogram(
            "ordo_rpc_latency_seconds", "Time spent in JSON-RPC methods, by method.",
            ["method"], buckets=RPC_LATENCY_BUCKETS, registry=registry)

    def on_block(self, block: Block) -> None:
        """A new-block listener of the node: called once per final block, in order."""
        self.transactions_included.inc(len(block.transactions))
        if self._signer is not None and builder_of(block.header) == self._signer:
            self.blocks_produced.inc()
        commit = self._commit_lookup(block.number) if self._commit_lookup is not None else None
        if commit is not None:
            self.rounds_per_height.observe(int(commit["round"], 16) + 1)

    def counting(self, handler: PeerMessageHandler) -> PeerMessageHandler:
        """``handler`` with every incoming peer message counted by kind first."""
        def count_then_handle(peer: bytes, kind: MessageKind, payload: bytes) -> bool | None:
            self.peer_messages.labels(kind.name.lower()).inc()
            if kind == MessageKind.VOTE:
                self.votes_received.inc()
            return handler(peer, kind, payload)
        return count_then_handle

    def observe_rpc(self, method: str, seconds: float, succeeded: bool) -> None:
        self.rpc_requests.labels(method, "ok" if succeeded else "error").inc()
        self.rpc_latency.labels(method).observe(seconds)
