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



RECORDED_SETTLEMENT = Path(__file__).with_name("recorded_status_l1_settlement.json")
"""ordo_status of node 0 of the same anvil cluster once batch 1 had landed (saved by
test_dashboard_l1_browser as tests/artifacts/status-l1-settlement.json)."""


def settled_l1(**changes: Any) -> dict[str, Any]:
    """The recorded l1 object, its settlement changed only in the fields a test is about."""
    l1: dict[str, Any] = json.loads(RECORDED_SETTLEMENT.read_text())["l1"]
    l1["settlement"].update(changes)
    return l1


def test_settlement_is_read_from_the_node_and_absent_when_not_reported() -> None:
    assert run_js(f"page.settlementOf({json.dumps(l1_status()['l1'])})") is None
    assert run_js("page.settlementOf(undefined)") is None
    root = "0x1fe0c16408a4fae3143bb2d0536e7fc283337bd44677468c5e8a32eef45e9448"
    assert run_js(f"page.settlementOf({json.dumps(settled_l1())})") == {
        "batchIndex": 1, "outputRoot": root, "l2Block": 12, "finalizableAt": 1796665600,
        "secondsLeft": 30, "final": False, "dispute": "none",
        "portal": "0x2279b7a0a67db372996a5fab50d91eaa73d2ebe6",
        "portalBalance": "250000000000000000", "l1Block": 31, "error": None}
    assert run_js('page.formatEth("250000000000000000")') == "0.25 ETH"
    assert run_js(f"page.shortHash({json.dumps(root)})") == "0x1fe0c164…9448"


def window_at(l1: dict[str, Any], elapsed: float) -> Any:
    return run_js(f"page.windowState(page.settlementOf({json.dumps(l1)}), {elapsed})")


def test_the_window_counts_down_from_the_nodes_answer() -> None:
    assert window_at(settled_l1(), 0) == {"kind": "open", "text": "30 s left"}
    assert window_at(settled_l1(), 4.5) == {"kind": "open", "text": "26 s left"}
    assert window_at(settled_l1(secondsLeft=7 * 86_400 - 3_600), 0) == {
        "kind": "open", "text": "6 d 23 h left"}
    assert window_at(settled_l1(secondsLeft=3_725), 0)["text"] == "1 h 02 min left"
    assert window_at(settled_l1(secondsLeft=125), 0)["text"] == "2 min 05 s left"
    # Run out here but not yet final on L1: never called final before the inbox says so.
    assert window_at(settled_l1(), 30) == {"kind": "closing",
                                           "text": "window over; final once L1 confirms it"}
    assert window_at(settled_l1(secondsLeft=0, dispute="open", disputeStatus=1), 0) == {
        "kind": "disputed", "text": "window over; dispute open"}
    assert window_at(settled_l1(secondsLeft=0, final=True, dispute="defended"), 0) == {
        "kind": "final", "text": "final"}
    assert window_at(settled_l1(secondsLeft=0, dispute="lost"), 0)["kind"] == "lost"
    unread = {key: None for key in settled_l1()["settlement"]} | {"error": "refused"}
    assert window_at(settled_l1(**unread), 0) == {"kind": "none", "text": "—"}


def test_fee_rows_show_each_sequencers_epoch_newest_first() -> None:
    economics = {
        "current": {"epoch": 4, "since": 24, "vaultIncome": str(3 * 10**17), "sequencers": [
            {"address": "0x" + "aa" * 20, "blocksProduced": 3, "l2FeesEarned": str(10**16)}]},
        "previous": {"epoch": 3, "since": 18, "vaultIncome": "0", "sequencers": [
            {"address": "0x" + "bb" * 20, "blocksProduced": 6, "l2FeesEarned": "0"}]}}
    assert run_js(f"page.feeRows({json.dumps(economics)})") == [
        {"epoch": 4, "address": "0x" + "aa" * 20, "blocks": 3, "tips": "0.01 ETH",
         "vault": "0.3 ETH"},
        {"epoch": 3, "address": "0x" + "bb" * 20, "blocks": 6, "tips": "0 ETH", "vault": "0 ETH"}]
    assert run_js("page.feeRows(undefined)") == []
