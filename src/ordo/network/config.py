"""Transport settings, validated on construction with errors that name the field."""

from __future__ import annotations

from dataclasses import dataclass, field

from ordo.network.frame_codec import FrameLimits
from ordo.network.message_kind import MessageKind
from ordo.network.node_key import PeerId
from ordo.network.peer_score import ScoringRules
from ordo.network.rate_limit import RateLimit
from ordo.network.tx_batch import MAX_TX_BATCH_COUNT, encoded_size


def default_rate_limits() -> dict[MessageKind, RateLimit]:
    return {
        MessageKind.STATUS: RateLimit(20, 50),
        MessageKind.TX: RateLimit(5000, 10000),
        MessageKind.TX_BATCH: RateLimit(500, 1000),
        MessageKind.PROPOSAL: RateLimit(50, 100),
        MessageKind.VOTE: RateLimit(1000, 2000),
        MessageKind.BLOCK_REQUEST: RateLimit(100, 200),
        MessageKind.BLOCK_RESPONSE: RateLimit(200, 400),
        MessageKind.CERTIFICATE: RateLimit(100, 200),
        MessageKind.EVIDENCE: RateLimit(20, 50),
        MessageKind.PING: RateLimit(5, 10),
        MessageKind.PONG: RateLimit(5, 10),
    }


@dataclass(frozen=True)
class Penalties:
    """Score lost per offence. Framing errors also close the connection: a broken stream cannot
    be resynchronised."""

    malformed_frame: float = 50.0
    frame_auth_failed: float = 50.0
    """A sealed frame that does not open. Not an instant ban: a man in the middle can forge these,
    and should not be able to get an honest peer banned with one flipped byte."""
    unknown_kind: float = 50.0
    oversized: float = 50.0
    truncated: float = 20.0
    protocol_violation: float = 50.0
    rate_limited: float = 5.0


@dataclass(frozen=True)
class NetworkConfig:
    chain_id: int
    static_peers: tuple[tuple[str, int], ...] = ()
    allowlist: frozenset[PeerId] | None = None
    """When set, only these node addresses may complete a handshake."""
    payload_caps: dict[MessageKind, int] = field(default_factory=dict)
    """Overrides of the per-kind payload caps in ``message_kind.DEFAULT_PAYLOAD_CAPS``."""
    rate_limits: dict[MessageKind, RateLimit] = field(default_factory=default_rate_limits)
    scoring: ScoringRules = field(default_factory=ScoringRules)
    penalties: Penalties = field(default_factory=Penalties)
    max_peers: int = 64
    handshake_timeout: float = 5.0
    frame_timeout: float = 30.0
    """Seconds a frame may take to arrive once its header has: a stalled frame is truncated."""
    ping_interval: float = 10.0
    pong_timeout: float = 10.0
    write_timeout: float = 10.0
    outbound_queue_frames: int = 4096
    outbound_queue_bytes: int = 64 * 1024 * 1024
    seen_cache_size: int = 100_000
    resend_interval: float = 0.5
    """Seconds between two re-sent copies of one gossip message on one session that reach the
    node (the drivers re-send every second, docs/consensus.md §13); faster ones are dropped."""
    relay_kinds: frozenset[MessageKind] = frozenset({MessageKind.TX})
    """Gossip kinds relayed to all other peers on first receipt. Votes and proposals are left to the
    node, which relays them only once they have been validated."""
    tx_batch_delay: float = 0.005
    """Seconds a gossiped transaction may wait for others to share its TX_BATCH frame."""
    tx_batch_max_count: int = 256
    tx_batch_max_bytes: int = 256 * 1024
    """A TX_BATCH is cut at this many transactions or payload bytes, whichever comes first."""
    reconnect_initial: float = 0.5
    reconnect_max: float = 30.0
    frame_limits: FrameLimits = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.chain_id, int) or not 0 <= self.chain_id < 2**64:
            raise ValueError(f"chain_id: {self.chain_id!r} must be an integer in [0, 2**64)")
        for host, port in self.static_peers:
            if not isinstance(host, str) or not host:
                raise ValueError(f"static_peers: host {host!r} must be a non-empty string")
            if not isinstance(port, int) or not 1 <= port <= 65535:
                raise ValueError(f"static_peers: port {port!r} must be from 1 to 65535")
        if self.allowlist is not None and any(len(a) != 20 for a in self.allowlist):
            raise ValueError("allowlist: every entry must be a 20-byte node address")
        for name in ("handshake_timeout", "frame_timeout", "ping_interval", "pong_timeout",
                     "write_timeout", "reconnect_initial", "reconnect_max", "resend_interval",
                     "tx_batch_delay"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name}: {value!r} must be a positive number of seconds")
        if self.reconnect_max < self.reconnect_initial:
            raise ValueError("reconnect_max must be at least reconnect_initial")
        for name in ("max_peers", "outbound_queue_frames", "outbound_queue_bytes",
                     "seen_cache_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: {value!r} must be a positive integer")
        for kind in self.relay_kinds:
            if kind not in (MessageKind.TX, MessageKind.PROPOSAL, MessageKind.VOTE,
                            MessageKind.CERTIFICATE, MessageKind.EVIDENCE):
                raise ValueError(f"relay_kinds: {kind!r} is not a gossip kind")
        for kind in self.rate_limits:
            if not isinstance(kind, MessageKind):
                raise ValueError(f"rate_limits: key {kind!r} is not a MessageKind")
        object.__setattr__(self, "frame_limits", FrameLimits(self.payload_caps))
        self._check_tx_batches()

    def _check_tx_batches(self) -> None:
        """A batch we cut must fit our own TX_BATCH cap (the peers' is the same default), and the
        largest transaction we accept must fit a batch alone."""
        if not isinstance(self.tx_batch_max_count, int) or \
                not 1 <= self.tx_batch_max_count <= MAX_TX_BATCH_COUNT:
            raise ValueError(f"tx_batch_max_count: {self.tx_batch_max_count!r} must be from 1 to "
                             f"{MAX_TX_BATCH_COUNT}")
        largest = encoded_size(self.frame_limits.cap(MessageKind.TX), 1)
        batch_cap = self.frame_limits.cap(MessageKind.TX_BATCH)
        if not isinstance(self.tx_batch_max_bytes, int) or \
                not largest <= self.tx_batch_max_bytes <= batch_cap:
            raise ValueError(f"tx_batch_max_bytes: {self.tx_batch_max_bytes!r} must be from "
                             f"{largest} (one largest TX) to {batch_cap} (the TX_BATCH cap)")
