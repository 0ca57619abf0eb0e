"""Peer-to-peer transport between sequencer nodes.

Consensus and gossip payloads travel as opaque bytes tagged with a :class:`MessageKind`; this
package authenticates peers, frames and rate-limits their traffic, deduplicates gossip and scores
misbehaviour, but knows nothing of consensus rules.
"""

from ordo.network.config import NetworkConfig, Penalties
from ordo.network.message_kind import MessageKind
from ordo.network.node_key import NodeKey, PeerId
from ordo.network.peer_network import OutboundMessageError, PeerInfo, PeerNetwork, SessionError
from ordo.network.peer_score import ScoringRules
from ordo.network.rate_limit import RateLimit

__all__ = [
    "MessageKind",
    "NetworkConfig",
    "NodeKey",
    "OutboundMessageError",
    "PeerId",
    "PeerInfo",
    "PeerNetwork",
    "Penalties",
    "RateLimit",
    "ScoringRules",
    "SessionError",
]
