"""Peer-to-peer transport between sequencer nodes.

Consensus and gossip payloads travel as opaque bytes tagged with a :class:`MessageKind`; this
package authenticates peers, frames and rate-limits their traffic, deduplicates gossip and scores
misbehaviour, but knows nothing of consensus rules.
"""

from ordo.network.config import NetworkConfig
from ordo.network.message_kind import MessageKind
from ordo.network.node_key import NodeKey
from ordo.network.peer_network import PeerInfo, PeerNetwork

__all__ = ["MessageKind", "NetworkConfig", "NodeKey", "PeerInfo", "PeerNetwork"]
