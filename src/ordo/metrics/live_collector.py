"""Series read from the node's own state and counters at scrape time.

The node, the mempool and the consensus driver already count what operators ask about; reading
those counters when Prometheus scrapes keeps increments out of the hot paths and can never drift
from what ``ordo_status`` reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REJECTED_PREFIX = "rejected_"


class MempoolView(Protocol):
    def pending_count(self) -> int: ...

    def queued_count(self) -> int: ...

    @property
    def counters(self) -> dict[str, int]: ...


class NodeView(Protocol):
    mempool: Any

    def head_number(self) -> int: ...

    def finalized_number(self) -> int: ...


class LiveNodeCollector(Collector):
    """Reads ``node`` (head, finality, mempool) and ``driver`` (a ConsensusDriver or None)."""

    def __init__(self, node: NodeView, driver: Any | None) -> None:
        self._node = node
        self._driver = driver

    def collect(self) -> Iterator[Metric]:
        node = self._node
        yield _gauge("ordo_head_height", "Number of the newest stored block.", node.head_number())
        yield _gauge("ordo_finalized_height", "Number of the newest final block.",
                     node.finalized_number())
        yield from _mempool_series(node.mempool)
        yield from _fee_series(getattr(node, "fee_book", None))
        faults = getattr(node, "fault_counters", None)
        if faults is not None:
            yield _labelled_counter("ordo_node_faults", "Storage and commit faults the node "
                                    "rode out, by kind (write_refusals, disk_full_waits, "
                                    "commit_failures).", "kind", faults())
        driver = self._driver
        if driver is None:
            return
        state = driver.state
        yield _gauge("ordo_consensus_height", "Height the consensus machine is deciding.",
                     state.height)
        yield _gauge("ordo_consensus_round", "Round of the height being decided.", state.round)
        yield _gauge("ordo_peers", "Connected, authenticated peers.", driver.peer_count())
        yield _counter("ordo_blocks_committed", "Blocks this node committed since it started.",
                       driver.blocks_committed)
        yield _labelled_counter("ordo_consensus_messages_ignored",
                                "Consensus messages ignored, by reason.", "reason",
                                driver.ignored)
        timeouts = getattr(driver, "timeouts", None)
        if isinstance(timeouts, Mapping):
            yield _labelled_counter("ordo_consensus_timeouts", "Consensus timeouts fired, by "
                                    "step.", "step", timeouts)


def _fee_series(book: Any) -> Iterator[Metric]:
    """This epoch's tally of ordo.node.fee_book (a chain with the L1 data fee only)."""
    tally = None if book is None else book.current
    if tally is None:
        return
    yield _gauge("ordo_fee_vault_income_epoch_wei", "What the fee vault received in this epoch "
                 "(base fees and L1 data fees), as far as this node counted.",
                 tally.vault_income)
    for name, text, values in (
            ("ordo_blocks_produced_epoch", "Blocks each sequencer built in this epoch.",
             tally.blocks),
            ("ordo_l2_fees_earned_epoch_wei", "Tips each sequencer's blocks paid its coinbase "
             "in this epoch.", tally.tips)):
        family = GaugeMetricFamily(name, text, labels=["sequencer"])
        for who, value in sorted(values.items()):
            family.add_metric(["0x" + who.hex()], value)
        yield family


def _mempool_series(mempool: MempoolView) -> Iterator[Metric]:
    size = GaugeMetricFamily("ordo_mempool_transactions", "Transactions in the mempool.",
                             labels=["state"])
    size.add_metric(["pending"], mempool.pending_count())
    size.add_metric(["queued"], mempool.queued_count())
    yield size
    counters = mempool.counters
    rejections = {label.removeprefix(REJECTED_PREFIX): count
                  for label, count in counters.items() if label.startswith(REJECTED_PREFIX)}
    yield _labelled_counter("ordo_mempool_rejections", "Transactions refused admission, by "
                            "reason.", "reason", rejections)
    events = {label: count for label, count in counters.items()
              if not label.startswith(REJECTED_PREFIX)}
    yield _labelled_counter("ordo_mempool_events", "Mempool events (admitted, replaced, "
                            "evicted, included, dropped_*).", "event", events)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def _labelled_counter(name: str, documentation: str, label: str,
                      counts: Mapping[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(counts.items()):
        family.add_metric([value], count)
    return family
