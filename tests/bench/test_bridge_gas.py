"""The bridge gas bench: its options, and a small real run (a 1-node devnet on anvil) whose JSON
has sane numbers and is written where --results-dir says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bridge_gas
import pytest

BRIDGE_GAS = Path(bridge_gas.__file__)


def test_spread_is_min_median_max() -> None:
    assert bridge_gas.spread([5, 1, 3]) == {"min": 1, "median": 3, "max": 5,
                                            "samples": [5, 1, 3]}
    assert bridge_gas.spread([2, 5])["median"] == 4  # 3.5, rounded half to even


@pytest.mark.parametrize("argv", [["--withdrawals", "0"], ["--deposits", "0"],
                                  ["--prefill", "-1"]])
def test_bad_counts_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bridge_gas.parse_arguments(argv)
    assert exit_info.value.code == 2
    assert "must" in capsys.readouterr().err


def test_the_results_go_to_bench_results_unless_told() -> None:
    assert bridge_gas.parse_arguments([]).results_dir == \
        Path(bridge_gas.__file__).parent / "results"


def test_small_run_measures_every_step_and_writes_the_file(tmp_path: Path) -> None:
    results = tmp_path / "results"
    run = subprocess.run(
        [sys.executable, str(BRIDGE_GAS), "--deposits", "1", "--withdrawals", "2",
         "--prefill", "9", "--results-dir", str(results)],
        capture_output=True, text=True, timeout=420)
    assert run.returncode == 0, run.stderr[-6000:]
    report = json.loads(run.stdout)
    (written,) = results.iterdir()
    assert written.name == f"bridge_gas-{report['date']}.json"
    assert json.loads(written.read_text()) == report
    assert len(report["commit"]) >= 7
    assert report["machine"]["nproc"] >= 1 and "anvil" in report["machine"]["anvil"]
    assert report["settings"]["withdrawals"] == 2

    l1, l2 = report["l1_gas"], report["l2_gas"]
    assert len(l1["deposit"]["samples"]) == 1
    for step, count in ((l1["prove_withdrawal"], 2), (l1["finalize_withdrawal_eoa"], 2),
                        (l2["initiate_withdrawal"], 2)):
        assert len(step["samples"]) == count
        assert 0 < step["min"] <= step["median"] <= step["max"]
    # Each above a bare transfer, and below anything absurd for one call.
    for step in (l1["deposit"], l1["prove_withdrawal"], l1["finalize_withdrawal_eoa"],
                 l2["initiate_withdrawal"]):
        assert step["min"] > 21_000 and step["max"] < 2_000_000
    # A storage proof is at least the root; proving sends it with the output root preimage.
    assert l1["prove_withdrawal"]["proof_nodes"]["min"] >= 1
    assert l1["prove_withdrawal"]["calldata_bytes"]["min"] > 4 + 32 * 4
    assert report["challenge_window_s"] > 0
    assert int(report["paid_out_wei"]) == 2 * bridge_gas.WITHDRAWAL_AMOUNT
