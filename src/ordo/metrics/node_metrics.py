"""One node's metrics: a private registry holding the live collector and the event series."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from ordo.metrics.event_metrics import EventMetrics
from ordo.metrics.l1_collector import L1StatusCollector
from ordo.metrics.live_collector import LiveNodeCollector, NodeView


class NodeMetrics:
    """Create after the node and its consensus driver; hook ``events`` into them."""

    def __init__(self, node: NodeView, driver: Any | None,
                 signer_address: bytes | None) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(LiveNodeCollector(node, driver))
        # The driver's l1_status is set before the metrics are made (node runner) on
        # L1-anchored networks only; it is read at every scrape.
        l1_status = getattr(driver, "l1_status", None)
        if l1_status is not None:
            self.registry.register(L1StatusCollector(l1_status))
        lookup = driver.get_commit if driver is not None else None
        self.events = EventMetrics(self.registry, signer_address, lookup)
