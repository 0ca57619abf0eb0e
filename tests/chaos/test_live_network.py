"""A short chaos run on a real 4-node network: every fault kind, then every invariant.

Seed 31 schedules kills, a pause, 2-2 partitions (quorum lost), latency and loss within 90 s.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ordo.chaos.harness import ChaosOptions, run_chaos

pytestmark = pytest.mark.slow
CI_SEED = 31
CI_DURATION = 90.0


def node_processes_under(path: Path) -> list[int]:
    """Pids of processes whose command line mentions ``path`` (the run's node data dirs)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                command = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if str(path).encode() in command:
                found.append(int(proc.name))
    return found


def test_the_network_keeps_every_promise_under_seeded_faults(tmp_path: Path) -> None:
    options = ChaosOptions(seed=CI_SEED, duration=CI_DURATION, workdir=tmp_path)
    summary = run_chaos(options)
    print(json.dumps(summary, indent=2))
    assert summary["passed"], (f"chaos run failed; repeat with: {summary['repeat']}\n"
                               f"violations: {summary['violations']}")
    assert set(summary["faults"]) == {"kill", "pause", "partition", "latency", "loss"}
    transactions = summary["transactions"]
    assert transactions["acknowledged"] > 500
    assert transactions["lost"] == 0
    assert transactions["final"] + transactions["pending"] + transactions["dropped"] == (
        transactions["acknowledged"])
    assert summary["forks_seen"] == 0
    assert summary["restarts"]["count"] == summary["faults"]["kill"]
    assert summary["restarts"]["needing_repair"] == 0
    assert summary["recovery_after_last_heal_s"] is not None
    assert summary["recovery_after_last_heal_s"] <= options.recovery_bound
    assert summary["link_proxies"]["closed_by_fault"] > 0, "faults broke real connections"
    assert node_processes_under(tmp_path) == [], "node processes outlived the run"
