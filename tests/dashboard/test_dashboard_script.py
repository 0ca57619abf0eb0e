"""The page's pure JavaScript (rates, builder, amounts) run under Node, which CI always has."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

NODE = shutil.which("node")
SCRIPT = resources.files("ordo.dashboard").joinpath("static").joinpath("dashboard.js")

if NODE is None and os.environ.get("CI") != "true":
    pytest.skip("node is not installed (CI always has it)", allow_module_level=True)


def run_js(expression: str) -> Any:
    """Evaluate an expression over the script's exported functions and return its JSON value."""
    if NODE is None:
        pytest.fail("node is required in CI but is not on PATH")
    program = (f"const page = require({json.dumps(str(SCRIPT))});\n"
               f"process.stdout.write(JSON.stringify({expression}));\n")
    done = subprocess.run([NODE, "-e", program], capture_output=True, text=True, timeout=30,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_rate_is_transactions_of_later_blocks_over_the_window_time() -> None:
    blocks = [{"number": n, "timestamp": 100 + 2 * n, "txCount": tx}
              for n, tx in [(1, 50), (2, 4), (3, 6), (4, 0)]]
    points = run_js(f"page.rateSeries({json.dumps(blocks)}, 2)")
    # The first block's own transactions happened before the window started: not counted.
    assert points == [{"number": 2, "rate": 2}, {"number": 3, "rate": 2.5},
                      {"number": 4, "rate": 1.5}]


def test_rate_skips_windows_without_elapsed_time() -> None:
    blocks = [{"number": 1, "timestamp": 10, "txCount": 3},
              {"number": 2, "timestamp": 10, "txCount": 3},
              {"number": 3, "timestamp": 12, "txCount": 4}]
    assert run_js(f"page.rateSeries({json.dumps(blocks)}, 1)") == [{"number": 3, "rate": 2}]
    assert run_js("page.rateSeries([], 10)") == []


def test_builder_is_the_first_twenty_bytes_of_extra_data() -> None:
    extra = "0x" + "AB" * 20 + "ff" * 12
    assert run_js(f"page.builderOf({json.dumps(extra)})") == "0x" + "ab" * 20
    assert run_js('[page.builderOf("0x"), page.builderOf(null)]') == [None, None]


def test_amounts_are_exact_and_bad_values_show_a_dash() -> None:
    assert run_js('page.formatStake("0x64")') == "100"
    assert run_js('page.formatStake("0x3635c9adc5dea00000")') == "1,000,000,000,000,000,000,000"
    assert run_js('page.formatEth("0x1bc16d674ec80000")') == "2 ETH"
    assert run_js('page.formatEth("0x2c68af0bb140000")') == "0.2 ETH"
    assert run_js('[page.formatStake("zz"), page.formatEth(null), page.hexToInt("0xg")]') == [
        "—", "—", None]


RECORDED_L1 = Path(__file__).resolve().parents[1] / "cli" / "recorded_status_l1.json"
ACCUSED = "0x4f3f38846b175e40c32de3764976f4814e012401"
LOWERED = "0x748f52522501e5bcd5cf671dd6ea30465a045b23"


def l1_status() -> dict[str, Any]:
    """A node of the anvil cluster's ordo_status (tests/cli's recording); one member's lock
    lowered as a slash lowers it."""
    status: dict[str, Any] = json.loads(RECORDED_L1.read_text())
    status["l1"]["staking"]["view"]["members"][1]["locked"] = "45000000000000000000000"
    return status


def test_sequencer_rows_merge_the_staking_view_and_mark_slashed_ones() -> None:
    evidence = [{"validator": ACCUSED, "voteType": "prevote", "height": 5, "round": 0}]
    rows = run_js(f"page.sequencerRows({json.dumps(l1_status())}, {json.dumps(evidence)}, "
                  f"new Map([[{json.dumps(LOWERED)}, 3]]))")
    by_address = {row["address"]: row for row in rows}
    assert [row["address"] for row in rows] == [
        v["address"] for v in l1_status()["validators"]], "the consensus set, in its order"
    assert by_address[ACCUSED]["status"] == "slashed", "named in ordo_getEvidence"
    assert by_address[LOWERED] == {"address": LOWERED, "stake": "50,000",
                                        "locked": "45,000", "status": "slashed",
                                        "produced": 3, "rewards": "0"}
    others = [row for row in rows if row["address"] not in (ACCUSED, LOWERED)]
    assert [row["status"] for row in others] == ["active", "active"]


def test_without_a_staking_view_the_rows_say_why() -> None:
    status = l1_status()
    status["l1"]["staking"] = {"view": None, "age_seconds": None, "error": None}
    rows = run_js(f"page.sequencerRows({json.dumps(status)}, [], new Map())")
    assert {row["status"] for row in rows} == {"L1 view not read yet"}
    assert {row["stake"] for row in rows} == {"50,000"}
    del status["l1"]
    rows = run_js(f"page.sequencerRows({json.dumps(status)}, [], new Map())")
    assert {(row["status"], row["rewards"]) for row in rows} == {
        ("genesis set", "not connected to L1 yet")}
    assert {row["stake"] for row in rows} == {"50,000,000,000,000,000,000,000"}


def test_slashing_events_come_from_evidence_and_lowered_locks() -> None:
    status = l1_status()
    evidence = [{"validator": ACCUSED, "voteType": "precommit", "height": 9, "round": 1}]
    rows = run_js(f"page.slashingRows({json.dumps(evidence)}, "
                  f"page.stakingView({json.dumps(status)}))")
    assert rows == [
        {"validator": ACCUSED, "offence": "equivocation (precommit)", "height": 9, "round": 1,
         "source": "ordo_getEvidence"},
        {"validator": LOWERED, "offence": "lock lowered on L1: 50,000 → 45,000", "height": "—",
         "round": "—", "source": "L1 block 14"}]


def test_batches_are_shown_only_as_the_node_reports_them() -> None:
    l1 = l1_status()["l1"]
    assert run_js(f"[page.batchOf({json.dumps(l1)}), page.batchTotals({json.dumps(l1)})]") == [
        None, None]
    l1["batcher"] = {"lastBatchIndex": 7, "lastBatchL1Tx": "0x" + "ab" * 32,
                     "lastBatchL1Block": 120, "batchesPosted": 8, "l1GasSpent": 1234567,
                     "lastPostedAt": 1800000000}
    assert run_js(f"page.batchOf({json.dumps(l1)})") == {
        "index": 7, "l1Tx": "0x" + "ab" * 32, "l1Block": 120, "postedAt": 1800000000}
    assert run_js(f"page.batchTotals({json.dumps(l1)})") == (
        "Batches posted: 8 · L1 gas spent: 1,234,567")
    l1["batcher"] = {"batchesPosted": 0}
    assert run_js(f"[page.batchOf({json.dumps(l1)}), page.batchTotals({json.dumps(l1)})]") == [
        None, "Batches posted: 0 · L1 gas spent: —"]
