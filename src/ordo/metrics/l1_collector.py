"""Series read from the node's ``ordo_status.l1`` at scrape time: the L1 head and origin, this
sequencer's lock and rewards (from the staking view), batches posted and L1 gas spent (from
``l1.batcher``, once the node reports one), and the latest landed batch and the time left in its
challenge window (from ``l1.settlement``: alert when batches stop landing, or watch a window),
and this node's dispute games (from ``l1.disputes``: alert on any unanswered claim).

The same object ordo_status shows, read through the same checks as ``ordo status``, so the
dashboard, the CLI and Prometheus cannot disagree. A series whose source field is absent is not
exported at all (an absent series is "unknown"; a 0 would be a claim).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ordo.operator.l1_status_summary import (
    TOKEN_DECIMALS,
    L1StatusError,
    L1Summary,
    read_l1_summary,
)

log = logging.getLogger(__name__)

L1StatusSource = Callable[[], "dict[str, Any]"]
TOKEN_UNIT = 10**TOKEN_DECIMALS


class L1StatusCollector(Collector):
    """``source`` is the node's ``L1Services.status`` (the driver's ``l1_status``)."""

    def __init__(self, source: L1StatusSource) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        try:
            summary = read_l1_summary(self._source())
        except L1StatusError as error:
            log.warning("L1 series not exported: %s", error)
            return
        if summary.head is not None:
            yield GaugeMetricFamily("ordo_l1_head", "Newest L1 block number this node saw.",
                                    value=summary.head)
        if summary.confirmed_origin is not None:
            yield GaugeMetricFamily("ordo_l1_confirmed_origin", "L1 block new blocks name as "
                                    "their origin (confirmed).", value=summary.confirmed_origin)
        if summary.finalized is not None:
            yield GaugeMetricFamily("ordo_l1_finalized", "The L1's finalized block as this node "
                                    "saw it (no new origin goes above it).",
                                    value=summary.finalized)
        if summary.deep_reorgs is not None:
            yield CounterMetricFamily("ordo_l1_deep_reorgs", "L1 reorgs deeper than the "
                                      "network's confirmations this node saw.",
                                      value=summary.deep_reorgs)
        if summary.staking_age_seconds is not None:
            yield GaugeMetricFamily("ordo_staking_view_age_seconds", "Age of the staking "
                                    "view read from the LockingPool.",
                                    value=summary.staking_age_seconds)
        if summary.current_epoch is not None:
            yield GaugeMetricFamily("ordo_l1_epoch", "Current epoch of the LockingPool.",
                                    value=summary.current_epoch)
        own = summary.own
        if own is not None:
            yield _tokens("ordo_stake_locked_tokens", "This sequencer's lock in the pool.",
                          own.locked)
            yield _tokens("ordo_rewards_owed_tokens", "Rewards credited to this sequencer and "
                          "not claimed.", own.rewards_owed)
            yield _tokens("ordo_rewards_claimable_tokens", "Rewards claim_rewards would pay "
                          "now (owed, as far as the reserve holds).", own.rewards_claimable)
            yield GaugeMetricFamily("ordo_sequencer_in_set", "1 if this sequencer votes in the "
                                    "current L1 epoch.", value=1 if own.in_set else 0)
        yield from _settlement_series(summary)
        yield from _dispute_series(summary)
        batcher = summary.batcher
        if batcher is None:
            return
        if batcher.batches_posted is not None:
            yield CounterMetricFamily("ordo_l1_batches_posted", "Batches this node posted to "
                                      "L1.", value=batcher.batches_posted)
        if batcher.l1_gas_spent is not None:
            yield CounterMetricFamily("ordo_l1_gas_spent", "L1 gas used by this node's batch "
                                      "transactions.", value=batcher.l1_gas_spent)
        if batcher.last_batch_index is not None:
            yield GaugeMetricFamily("ordo_l1_last_batch_index", "Index of the last batch "
                                    "posted to L1.", value=batcher.last_batch_index)
        if batcher.last_posted_at is not None:
            yield GaugeMetricFamily("ordo_l1_last_batch_posted_timestamp_seconds", "Unix time "
                                    "the last batch was posted.", value=batcher.last_posted_at)


def _settlement_series(summary: L1Summary) -> Iterator[Metric]:
    """Only what the inbox said: nothing before the first read or the first landed batch."""
    settlement = summary.settlement
    if settlement is None or settlement.batch_index is None:
        return
    yield GaugeMetricFamily("ordo_settlement_latest_batch_index", "Index of the latest batch "
                            "landed in the RollupInbox (at the confirmed L1 block).",
                            value=settlement.batch_index)
    if settlement.seconds_left is not None:
        yield GaugeMetricFamily("ordo_settlement_window_seconds_left", "Seconds left in the "
                                "latest landed output's challenge window (0 once over).",
                                value=settlement.seconds_left)
    if settlement.final is not None:
        yield GaugeMetricFamily("ordo_settlement_output_final", "1 if the inbox says the latest "
                                "landed output is final.", value=1 if settlement.final else 0)


def _dispute_series(summary: L1Summary) -> Iterator[Metric]:
    """This node's challenger: nothing when it is off (no key, --no-challenger)."""
    disputes = summary.disputes
    if disputes is None or not disputes.enabled:
        return
    games = GaugeMetricFamily("ordo_disputes_open_games", "Open dispute games this node "
                              "plays, by its side.", labels=["side"])
    games.add_metric(["challenger"], disputes.challenging)
    games.add_metric(["defender"], disputes.defending)
    yield games
    yield GaugeMetricFamily("ordo_disputes_bonded_eth", "ETH this node has bonded in open "
                            "dispute games.", value=disputes.own_bonds / 10**18)
    actions = CounterMetricFamily("ordo_disputes_actions", "Dispute game transactions this "
                                  "node landed, by action.", labels=["action"])
    for kind in ("open", "move", "step", "resolve_claim", "resolve", "claim_credit"):
        actions.add_metric([kind], disputes.sent.get(kind, 0))
    yield actions
    yield CounterMetricFamily("ordo_disputes_failed_actions", "Dispute game transactions "
                              "that failed (refused or reverted).", value=disputes.failed)
    yield CounterMetricFamily("ordo_disputes_unanswered_claims", "Times a claim this node "
                              "had to answer could not be (clock out, no step tracer).",
                              value=disputes.blocked)


def _tokens(name: str, documentation: str, units: int) -> GaugeMetricFamily:
    """Whole tokens as a float: Prometheus values are doubles, 18-decimal integers are not."""
    return GaugeMetricFamily(name, documentation, value=units / TOKEN_UNIT)
