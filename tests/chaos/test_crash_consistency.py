"""Issue 7: nodes SIGKILLed again and again while they commit under load restart from their own
disk, hold the same block hash and state root as the others at every height, and catch up;
no acknowledged transaction is lost. Ten kills of seed 3 (producers included), about a minute."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ordo.chaos.command_line import EXIT_USAGE
from ordo.chaos.crash.__main__ import main
from ordo.chaos.crash.runner import CrashOptions, run_crash
from tests.chaos.test_live_network import node_processes_under

CI_SEED = 3
CI_KILLS = 10


@pytest.mark.slow
def test_ten_kills_while_committing_leave_identical_chains_and_no_lost_transaction(
        tmp_path: Path) -> None:
    summary = run_crash(CrashOptions(seed=CI_SEED, kills=CI_KILLS, workdir=tmp_path))
    print(json.dumps(summary, indent=2))
    assert summary["passed"], (f"crash run failed; repeat with: {summary['repeat']}\n"
                               f"violations: {summary['violations']}")
    assert summary["kills"] == summary["restarts"] == summary["caught_up"] == CI_KILLS
    assert set(summary["kills_per_node"]) == {"0", "1", "2", "3"}
    assert summary["producer_kills"] >= 3
    assert summary["mismatches"] == 0
    assert summary["restarts_needing_repair"] == summary["restarts_below_served_head"] == 0
    heights = summary["heights_compared"]
    assert heights["after_each_restart"] > 0
    assert heights["at_end_per_node"] == heights["common_final_height"] + 1 > CI_KILLS
    transactions = summary["transactions"]
    assert transactions["acknowledged"] > 100
    assert transactions["lost"] == 0
    assert transactions["final"] + transactions["pending"] + transactions["dropped"] == (
        transactions["acknowledged"])
    assert node_processes_under(tmp_path) == [], "node processes outlived the run"


@pytest.mark.parametrize(("argv", "text"), [
    (["--kills", "0"], "kills: 0 is not allowed"),
    (["--nodes", "3"], "nodes: 3 is not allowed"),
    (["--rate", "-2"], "rate: -2.0 is not allowed"),
])
def test_bad_options_exit_2_with_the_reason(argv: list[str], text: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == EXIT_USAGE
    assert text in capsys.readouterr().err


def test_a_failing_run_prints_the_command_that_repeats_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def failing_run(options: CrashOptions) -> dict[str, object]:
        return {"seed": options.seed, "passed": False, "mismatches": 1,
                "violations": ["block 7: node 2 holds 0xaa, node 0 holds 0xbb"],
                "repeat": options.repeat_command()}

    monkeypatch.setattr("ordo.chaos.crash.__main__.run_crash", failing_run)
    assert main(["--seed", "8", "--kills", "50"]) == 1
    captured = capsys.readouterr()
    assert '"mismatches": 1' in captured.out
    assert ("CRASH RUN FAILED (seed 8); repeat with: python -m ordo.chaos.crash --seed 8 "
            "--kills 50 --nodes 4 --rate 20") in captured.err
