"""The L1 series of /metrics, read from a recorded ``ordo_status.l1`` (tests/cli's recording of
a node of the anvil cluster) through NodeMetrics as the node runner builds it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from ordo.metrics.node_metrics import NodeMetrics
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
