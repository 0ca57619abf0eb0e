"""The L1 series of /metrics, read from a recorded ``ordo_status.l1`` (tests/cli's recording of
a node of the anvil cluster) through NodeMetrics as the node runner builds it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from ordo.metrics.node_metrics import NodeMetrics
from ordo.operator.l1_status_summary import L1StatusError, read_l1_summary
from tests.metrics.test_metrics_parts import SIGNER, FakeDriver, FakeNode, samples_of

RECORDED = Path(__file__).resolve().parents[1] / "cli" / "recorded_status_l1.json"


def recorded_l1() -> dict[str, Any]:
    l1: dict[str, Any] = json.loads(RECORDED.read_text())["l1"]
    return l1


class L1Driver(FakeDriver):
    def __init__(self, l1: dict[str, Any]) -> None:
        super().__init__()
        self.l1 = l1
        self.l1_status = lambda: self.l1


def test_stake_rewards_and_l1_progress_are_exported() -> None:
    l1 = recorded_l1()
    own = l1["staking"]["view"]["own"]
    own.update(rewards_owed="2500000000000000000", rewards_claimable="2000000000000000000")
    metrics = NodeMetrics(FakeNode(), L1Driver(l1), SIGNER)
    samples = samples_of(metrics.registry)
    assert samples[("ordo_l1_head", ())] == 15
    assert samples[("ordo_l1_confirmed_origin", ())] == 13
    assert ("ordo_l1_finalized", ()) not in samples, "a recording from before: not reported"
    assert samples[("ordo_l1_epoch", ())] == 1
    assert samples[("ordo_stake_locked_tokens", ())] == 50_000
    assert samples[("ordo_rewards_owed_tokens", ())] == 2.5
    assert samples[("ordo_rewards_claimable_tokens", ())] == 2
    assert samples[("ordo_sequencer_in_set", ())] == 1
    assert samples[("ordo_blocks_produced_total", ())] == 0
    assert not any(name.startswith("ordo_l1_batches") for name, _ in samples), \
        "no batcher reported, so no batch series"

    l1["batcher"] = {"lastBatchIndex": 4, "lastBatchL1Tx": "0x" + "cd" * 32,
                     "lastBatchL1Block": 90, "batchesPosted": 5, "l1GasSpent": 812_345,
                     "lastPostedAt": 1_800_000_000}
    own.update(rewards_owed="0")
    samples = samples_of(metrics.registry)
    assert samples[("ordo_l1_batches_posted_total", ())] == 5
    assert samples[("ordo_l1_gas_spent_total", ())] == 812_345
    assert samples[("ordo_l1_last_batch_index", ())] == 4
    assert samples[("ordo_l1_last_batch_posted_timestamp_seconds", ())] == 1_800_000_000
    assert samples[("ordo_rewards_owed_tokens", ())] == 0, "read again at every scrape"
    l1.update(finalized=11, deepReorgs=2)
    samples = samples_of(metrics.registry)
    assert samples[("ordo_l1_finalized", ())] == 11
    assert samples[("ordo_l1_deep_reorgs_total", ())] == 2


def test_a_node_without_a_staking_view_exports_only_what_it_knows() -> None:
    l1 = recorded_l1()
    l1["staking"] = {"view": None, "age_seconds": None, "error": "L1 timed out"}
    samples = samples_of(NodeMetrics(FakeNode(), L1Driver(l1), SIGNER).registry)
    assert samples[("ordo_l1_head", ())] == 15
    assert not any(name.startswith(("ordo_rewards", "ordo_stake")) for name, _ in samples)
    plain = samples_of(NodeMetrics(FakeNode(), FakeDriver(), SIGNER).registry)
    assert not any(name.startswith("ordo_l1") for name, _ in plain)


def test_a_malformed_l1_object_drops_the_l1_series_with_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    l1 = recorded_l1()
    l1["head"] = "soon"
    with caplog.at_level(logging.WARNING, logger="ordo.metrics.l1_collector"):
        samples = samples_of(NodeMetrics(FakeNode(), L1Driver(l1), SIGNER).registry)
    assert samples[("ordo_head_height", ())] == 9
    assert not any(name.startswith("ordo_l1") for name, _ in samples)
    assert "l1.head: 'soon' is not a non-negative integer" in caplog.text


SETTLEMENT = {"batchIndex": 6, "outputRoot": "0x" + "5a" * 32, "l2Block": 84,
              "landedAt": 1_800_000_000, "finalizableAt": 1_800_000_030, "disputeStatus": 0,
              "dispute": "none", "final": False, "challengeWindow": 30, "l1Block": 120,
              "l1Time": 1_800_000_012, "portal": "0x" + "11" * 20,
              "portalBalance": "300000000000000000", "secondsLeft": 17, "ageSeconds": 1.0,
              "error": None}


def test_the_latest_landed_batch_and_its_window_are_exported() -> None:
    l1 = recorded_l1()
    l1["settlement"] = dict(SETTLEMENT)
    metrics = NodeMetrics(FakeNode(), L1Driver(l1), SIGNER)
    samples = samples_of(metrics.registry)
    assert samples[("ordo_settlement_latest_batch_index", ())] == 6
    assert samples[("ordo_settlement_window_seconds_left", ())] == 17
    assert samples[("ordo_settlement_output_final", ())] == 0

    l1["settlement"].update(batchIndex=7, secondsLeft=0, final=True)
    samples = samples_of(metrics.registry)
    assert samples[("ordo_settlement_latest_batch_index", ())] == 7
    assert samples[("ordo_settlement_window_seconds_left", ())] == 0
    assert samples[("ordo_settlement_output_final", ())] == 1

    # Before the first read (or the first batch) the node knows no batch: no series, not 0.
    l1["settlement"] = {key: None for key in SETTLEMENT} | {"error": "connection refused"}
    samples = samples_of(metrics.registry)
    assert not any(name.startswith("ordo_settlement") for name, _ in samples)
    assert samples[("ordo_l1_head", ())] == 15


def test_a_malformed_settlement_object_is_named() -> None:
    l1 = recorded_l1()
    l1["settlement"] = dict(SETTLEMENT, secondsLeft=-3)
    with pytest.raises(L1StatusError, match=r"l1\.settlement\.secondsLeft: -3 is negative"):
        read_l1_summary(l1)
    l1["settlement"] = dict(SETTLEMENT, dispute="maybe")
    with pytest.raises(L1StatusError, match=r"l1\.settlement\.dispute: 'maybe' is not none"):
        read_l1_summary(l1)
    summary = read_l1_summary(dict(l1, settlement=SETTLEMENT))
    assert summary.settlement is not None
    assert summary.settlement.portal_balance == 3 * 10**17
    assert summary.settlement.output_root == "0x" + "5a" * 32


def test_a_real_answer_with_a_landed_batch_exports_every_l1_series() -> None:
    """A node's own answer (tests/dashboard's recording, batcher included): nothing in it may
    make the collector drop the L1 series."""
    path = RECORDED.parents[1] / "dashboard" / "recorded_status_l1_settlement.json"
    l1 = json.loads(path.read_text())["l1"]
    samples = samples_of(NodeMetrics(FakeNode(), L1Driver(l1), SIGNER).registry)
    assert samples[("ordo_settlement_latest_batch_index", ())] == 1
    assert samples[("ordo_settlement_window_seconds_left", ())] == 30
    assert samples[("ordo_settlement_output_final", ())] == 0
    assert samples[("ordo_l1_last_batch_index", ())] == 1
    assert samples[("ordo_l1_last_batch_posted_timestamp_seconds", ())] == 1796665572
