"""The long runs (never in CI): the simulator over many seeds, a long chaos run on an L1 under load,
and the fuzz suites scaled up; each writes a result file under bench/results/ with the commit.

    python bench/long_runs.py simulate --seeds 0-99999        # 4 nodes/1 Byzantine, 7 nodes/2
    python bench/long_runs.py chaos --duration 3600 --l1 anvil
    python bench/long_runs.py fuzz --scale 400                 # ~1M inputs: RPC, peers, txs

``--jobs`` (simulate) defaults to 1 so a shared machine keeps a core for others. The exit code is
the run's (0: every check held). The file holds the command, its exit code, seconds taken, and
the run's own numbers: the simulator's seed/failure summary per shape, the chaos summary, the
fuzz examples counted from hypothesis's statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SIMULATOR_SHAPES = (("4", "1"), ("7", "2"))
FUZZ_TESTS = ("tests/fuzz/test_fuzz_rpc.py", "tests/fuzz/test_fuzz_peers.py",
              "tests/fuzz/test_fuzz_transactions.py", "tests/fuzz/test_fuzz_websocket.py")
EXAMPLES = re.compile(r"(\d+) passing, (\d+) failing,(?: and)? (\d+) invalid")
"""hypothesis's statistics line of one phase of one test."""


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[int, str, float]:
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env=None if env is None else {**os.environ, **env})
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


def simulate(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    shapes = []
    worst = 0
    for nodes, byzantine in SIMULATOR_SHAPES:
        command = [sys.executable, "-m", "ordo.consensus.simulator", "--seeds", args.seeds,
                   "--nodes", nodes, "--byzantine", byzantine, "--jobs", str(args.jobs)]
        code, output, seconds = run(command)
        worst = max(worst, code)
        shapes.append({"command": " ".join(command[1:]), "exit_code": code,
                       "seconds": round(seconds, 1),
                       "summary": [line for line in output.splitlines()
                                   if "seeds," in line or "slowest" in line or "FAIL" in line]
                       [:40]})
    return worst, {"seeds": args.seeds, "shapes": shapes}


def chaos(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    command = [sys.executable, "-m", "ordo.chaos", "--seed", str(args.seed), "--duration",
               str(args.duration), "--l1", args.l1, "--rate", str(args.rate)]
    code, output, seconds = run(command)
    start = output.find("{")
    summary: Any = None
    if start >= 0:
        try:
            summary, _ = json.JSONDecoder().raw_decode(output[start:])
        except ValueError:
            summary = None
    return code, {"command": " ".join(command[1:]), "exit_code": code,
                  "seconds": round(seconds, 1),
                  "summary": summary if summary is not None else output[-4000:]}


def fuzz(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    command = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:xdist",
               "--hypothesis-show-statistics", *FUZZ_TESTS]
    code, output, seconds = run(command, {"ORDO_FUZZ_SCALE": str(args.scale)})
    passing = failing = invalid = 0
    for match in EXAMPLES.finditer(output):
        passing += int(match.group(1))
        failing += int(match.group(2))
        invalid += int(match.group(3))
    tail = [line for line in output.splitlines() if " passed" in line or " failed" in line]
    return code, {"command": f"ORDO_FUZZ_SCALE={args.scale} " + " ".join(command[1:]),
                  "exit_code": code, "seconds": round(seconds, 1),
                  "inputs": {"passing": passing, "failing": failing, "invalid": invalid,
                             "total": passing + failing + invalid},
                  "pytest": tail[-3:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    sim = modes.add_parser("simulate")
    sim.add_argument("--seeds", default="0-99999")
    sim.add_argument("--jobs", type=int, default=1)
    cha = modes.add_parser("chaos")
    cha.add_argument("--seed", type=int, default=1)
    cha.add_argument("--duration", type=float, default=3600.0)
    cha.add_argument("--l1", choices=("anvil", "dev"), default="anvil")
    cha.add_argument("--rate", type=float, default=20.0)
    fuz = modes.add_parser("fuzz")
    fuz.add_argument("--scale", type=int, default=400,
                     help="multiplier of every fuzz test's example count (1: ~2,500 inputs in "
                          "~2 min here; 400: ~1M in ~15 h)")
    parser.add_argument("--out", type=Path, default=None,
                        help="result file [default: bench/results/long_<mode>-<UTC date>.json]")
    parser.add_argument("--commit", default=None,
                        help="the commit being run, when run from an exported tree (git "
                             "archive) rather than a checkout [default: git HEAD]")
    args = parser.parse_args()
    code, numbers = {"simulate": simulate, "chaos": chaos, "fuzz": fuzz}[args.mode](args)
    head = args.commit or subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                         capture_output=True, text=True,
                                         check=False).stdout.strip()
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": head,
              "machine": platform.platform(), "cpus": os.cpu_count(), "mode": args.mode,
              "passed": code == 0, **numbers}
    out = args.out or RESULTS / f"long_{args.mode}-{time.strftime('%Y-%m-%d', time.gmtime())}.json"
    text = json.dumps(result, indent=2)
    out.write_text(text + "\n")
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
