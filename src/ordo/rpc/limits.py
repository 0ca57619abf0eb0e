"""Bounds on what one client may ask of the RPC server, so no request can exhaust the node."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RpcLimits:
    """Every bound the server enforces; each violation is answered with an error naming it."""

    max_body_bytes: int = 5 * 1024 * 1024
    max_batch_length: int = 1000
    max_json_depth: int = 32
    max_logs_block_range: int = 10_000
    max_logs_results: int = 10_000
    max_log_addresses: int = 1000
    max_topic_alternatives: int = 1000
    max_subscriptions_per_connection: int = 100
    max_filters: int = 10_000
    filter_idle_seconds: float = 300.0
    max_filter_buffer: int = 10_000
    max_data_bytes: int = 1024 * 1024
    max_fee_history_blocks: int = 1024
    max_fee_history_percentiles: int = 100
    max_proof_slots: int = 1000
    max_state_nodes: int = 256
    """Keys per ``ordo_getStateNodes`` call: a trie node is at most 532 bytes and a contract's
    code at most 24,576, so one answer stays under 6.3 MB of bytes (12.6 MB as hex)."""
    ws_send_queue: int = 1024
    max_ws_connections: int = 1000
    """Open WebSocket connections the server holds at once: each keeps a send queue and
    subscriptions, so their number bounds the memory clients can pin."""
    max_ws_connections_per_ip: int = 64
    """Of those, from one remote address: one client cannot take every slot."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value <= 0:
                raise ValueError(f"RpcLimits.{name} must be positive, got {value}")
