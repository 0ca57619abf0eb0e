"""One node's metrics: a private registry holding the live collector and the event series."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from ordo.metrics.event_metrics import EventMetrics
from ordo.metrics.live_collector import LiveNodeCollector, NodeView


class NodeMetrics:
    """Create after the node and its consensus driver; hook ``events`` into them."""

    def __init__(self, node: NodeView, driver: Any | None,
                 signer_address: bytes | None) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(LiveNodeCollector(node, driver))
        lookup = driver.get_commit if driver is not None else None
        self.events = EventMetrics(self.registry, signer_address, lookup)
