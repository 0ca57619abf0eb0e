"""The multi-node benchmark's arithmetic and arguments, and one real producer kill measured by
bench/failover.py against a 4-node devnet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import failover  # noqa: E402
import loadgen  # noqa: E402


def test_cpu_per_transaction_per_node_and_for_the_network() -> None:
    assert loadgen.cpu_fields([2.0], 1000) == {"cpu_s_per_tx": 0.002, "node_cpu_s": 2.0}
    fields = loadgen.cpu_fields([1.0, 2.0, 3.0, 2.0], 1000)
    assert fields == {"cpu_s_per_tx": 0.002, "node_cpu_s": 2.0,
                      "cpu_s_per_tx_per_node": [0.001, 0.002, 0.003, 0.002],
                      "network_cpu_s_per_tx": 0.008}
    assert loadgen.cpu_fields([1.0, 1.0], 0)["cpu_s_per_tx"] is None


def test_devnet_sizes_and_result_names() -> None:
    assert loadgen.parse_arguments(["--ordo-nodes", "1,4"]).ordo_nodes == (1, 4)
    assert loadgen.parse_arguments([]).ordo_nodes == (1, 4)
    assert loadgen.ordo_target_name(1) == "ordo"
    assert loadgen.ordo_target_name(4) == "ordo_4_nodes"


@pytest.mark.parametrize(("module", "argv", "message"), [
    (loadgen, ["--ordo-nodes", "1,x"], "is not a comma-separated list"),
    (loadgen, ["--ordo-nodes", "0"], "node counts must be at least 1"),
    (loadgen, ["--failover-kills", "-1"], "--failover-kills must not be negative"),
    (failover, ["--nodes", "3"], "--nodes must be at least 4"),
    (failover, ["--kills", "0"], "--kills must be at least 1"),
    (failover, ["--load-rate", "0"], "--load-rate must be positive"),
])
def test_bad_benchmark_arguments_are_refused(module: object, argv: list[str], message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        module.parse_arguments(argv)  # type: ignore[attr-defined]
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_failover_summary_is_the_median_of_the_kills() -> None:
    assert failover.summarize([1.5, 0.5, 3.0, 1.0, 2.0]) == {"median": 1.5, "min": 0.5,
                                                             "max": 3.0}
    assert failover.summarize([]) == {"median": None, "min": None, "max": None}


def test_one_producer_kill_is_measured_end_to_end() -> None:
    result = subprocess.run([sys.executable, str(BENCH / "failover.py"), "--kills", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [sample] = report["samples"]
    assert report["kills"] == 1 and report["nodes"] == 4
    # One propose timeout plus a round of votes; far below Metis' ~3 minutes.
    assert 0 < sample["to_next_final_s"] < 20
    assert sample["to_replacement_block_s"] is not None
    assert sample["rejoined_s"] > 0
    assert report["failover_s"]["median"] == sample["to_next_final_s"]
