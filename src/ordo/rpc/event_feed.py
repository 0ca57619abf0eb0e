"""Fans committed blocks and newly admitted transactions out to subscriptions and filters.

The backend calls the two ``on_*`` methods (registered once at startup). Delivery to a client
never waits: each result is encoded once and handed to the connection's bounded queue, and a
connection that cannot keep up is dropped by its own writer, so a slow client never delays
others.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from ordo.core.block import Block, LogRecord
from ordo.rpc.backend import RpcBackend
from ordo.rpc.errors import LimitExceededError
from ordo.rpc.filters import FilterKind, FilterRegistry
from ordo.rpc.formatting import format_header, format_log, format_transaction
from ordo.rpc.hex_values import encode_data
from ordo.rpc.limits import RpcLimits
from ordo.rpc.log_match import LogCriteria
from ordo.rpc.params import LogQuery

logger = logging.getLogger(__name__)

NEW_HEADS = "newHeads"
LOGS = "logs"
NEW_PENDING_TRANSACTIONS = "newPendingTransactions"


class NotificationSink(Protocol):
    """A connection that accepts pre-encoded notifications without blocking."""

    def deliver(self, message: str) -> None: ...


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    kind: str
    sink: NotificationSink
    criteria: LogCriteria | None = None
    full_transactions: bool = False


def notification(subscription_id: str, encoded_result: str) -> str:
    return ('{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"'
            + subscription_id + '","result":' + encoded_result + "}}")


def _encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _query_covers(query: LogQuery, block: Block) -> bool:
    if query.block_hash is not None:
        return query.block_hash == block.hash
    if query.from_block.number is not None and block.number < query.from_block.number:
        return False
    return query.to_block.number is None or block.number <= query.to_block.number


class EventFeed:
    def __init__(self, backend: RpcBackend, limits: RpcLimits, filters: FilterRegistry) -> None:
        self._backend = backend
        self._limits = limits
        self._filters = filters
        self._subscriptions: dict[str, Subscription] = {}
        self._by_sink: dict[int, set[str]] = {}

    # --- subscriptions -------------------------------------------------------------------------
    def subscribe(self, sink: NotificationSink, kind: str, criteria: LogCriteria | None = None,
                  full_transactions: bool = False) -> str:
        owned = self._by_sink.setdefault(id(sink), set())
        if len(owned) >= self._limits.max_subscriptions_per_connection:
            raise LimitExceededError(
                f"too many subscriptions: at most "
                f"{self._limits.max_subscriptions_per_connection} per connection"
            )
        subscription_id = "0x" + secrets.token_hex(16)
        self._subscriptions[subscription_id] = Subscription(
            subscription_id, kind, sink, criteria, full_transactions
        )
        owned.add(subscription_id)
        return subscription_id

    def unsubscribe(self, sink: NotificationSink, subscription_id: str) -> bool:
        owned = self._by_sink.get(id(sink), set())
        if subscription_id not in owned:
            return False
        owned.discard(subscription_id)
        del self._subscriptions[subscription_id]
        return True

    def drop_sink(self, sink: NotificationSink) -> None:
        for subscription_id in self._by_sink.pop(id(sink), set()):
            self._subscriptions.pop(subscription_id, None)

    def subscription_count(self) -> int:
        return len(self._subscriptions)

    # --- events --------------------------------------------------------------------------------
    def on_new_block(self, block: Block) -> None:
        try:
            self._publish_block(block)
        except Exception:  # a broken fan-out must never break the node's commit path
            logger.exception("publishing block %d to RPC clients failed", block.number)

    def on_pending_transaction(self, tx_hash: bytes) -> None:
        try:
            self._publish_pending(tx_hash)
        except Exception:
            logger.exception("publishing pending transaction to RPC clients failed")

    def _publish_block(self, block: Block) -> None:
        block_hash = encode_data(block.hash)
        for block_filter in self._filters.of_kind(FilterKind.BLOCKS):
            block_filter.push(block_hash)
        subscriptions = list(self._subscriptions.values())
        heads = [item for item in subscriptions if item.kind == NEW_HEADS]
        if heads:
            encoded = _encode(format_header(block.header))
            for item in heads:
                item.sink.deliver(notification(item.subscription_id, encoded))
        log_subscriptions = [item for item in subscriptions if item.kind == LOGS]
        log_filters = [item for item in self._filters.of_kind(FilterKind.LOGS)
                       if item.query is not None and _query_covers(item.query, block)]
        if not log_subscriptions and not log_filters:
            return
        logs = self._backend.get_block_logs(block.number)
        timestamp = int(block.header.timestamp)
        formatted: dict[int, tuple[dict[str, Any], str]] = {}

        def formatted_log(log: LogRecord) -> tuple[dict[str, Any], str]:
            if log.log_index not in formatted:
                value = format_log(log, timestamp)
                formatted[log.log_index] = (value, _encode(value))
            return formatted[log.log_index]

        for log in logs:
            for subscription in log_subscriptions:
                assert subscription.criteria is not None
                if subscription.criteria.matches(log):
                    encoded_log = formatted_log(log)[1]
                    subscription.sink.deliver(
                        notification(subscription.subscription_id, encoded_log)
                    )
            for log_filter in log_filters:
                assert log_filter.query is not None
                if log_filter.query.criteria.matches(log):
                    log_filter.push(formatted_log(log)[0])

    def _publish_pending(self, tx_hash: bytes) -> None:
        encoded_hash = encode_data(tx_hash)
        for pending_filter in self._filters.of_kind(FilterKind.PENDING_TRANSACTIONS):
            pending_filter.push(encoded_hash)
        full_encoded: str | None = None
        for subscription in list(self._subscriptions.values()):
            if subscription.kind != NEW_PENDING_TRANSACTIONS:
                continue
            if not subscription.full_transactions:
                result = '"' + encoded_hash + '"'
            else:
                if full_encoded is None:
                    pending = self._backend.get_pending_transaction(tx_hash)
                    if pending is None:  # already mined or evicted: nothing pending to show
                        continue
                    full_encoded = _encode(format_transaction(pending[0], pending[1], None, None))
                result = full_encoded
            subscription.sink.deliver(notification(subscription.subscription_id, result))
