"""``make bench``: every row of the speed targets (issue 16) in one run, against anvil in the same
run, written to ``bench/results/targets-<UTC date>.json``.

The rows and where each number comes from:

| row | measured by |
|---|---|
| one node, included transfers/s, ratio to anvil | ``loadgen.py --target both`` (1 node) |
| four nodes on the same cores, ratio to anvil | the same run's 4-node devnet |
| node CPU per transfer, one node | the 1-node run's ``cpu_s_per_tx`` (utime + stime of the node) |
| idle submit-to-receipt p50, 1 / 4 nodes | ``latency.py`` (its ``idle`` client), when it exists |
| failover, median of the kills | the 4-node run's producer kills (``failover.py``'s code) |
| ERC-20 transfers/s, one node, ratio to anvil | ``loadgen.py --workload erc20 --target both`` |

anvil runs with ``--block-time 1`` on the same machine right after the Ordo runs of the same
workload, so both see the same load from other processes; the ratios divide Ordo's figure by
anvil's. The machine's load average at the start and the end is recorded with the numbers: on a
shared machine it says how far to trust them. Prints the JSON document on stdout and the table
on stderr.

    .venv/bin/python bench/targets.py [--duration 30] [--failover-kills 10] [--skip-latency]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import loadgen

ROOT = Path(__file__).resolve().parent.parent
LATENCY = ROOT / "bench" / "latency.py"


@dataclass(frozen=True)
class Row:
    measure: str
    value: float | None
    unit: str
    target: float
    at_most: bool
    """True where the target is a ceiling (CPU, latency, failover), False for a floor (ratios)."""
    detail: str

    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target

    def as_json(self) -> dict[str, Any]:
        return {"measure": self.measure, "value": self.value, "unit": self.unit,
                "target": f"{'<=' if self.at_most else '>='} {self.target:g}{self.unit}",
                "met": self.met(), "detail": self.detail}


def dig(document: dict[str, Any] | None, *keys: str) -> Any:
    """``document[k1][k2]...`` or None where any level is missing."""
    value: Any = document
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else round(value * factor, 3)


def rows(transfers: dict[str, Any], erc20: dict[str, Any],
         latency: dict[str, Any] | None, latency_note: str) -> list[Row]:
    """The targets table from the three measurements (pure, so tested without a run)."""
    anvil_tps = dig(transfers, "anvil", "tx_per_s")
    one, four = dig(transfers, "ordo", "tx_per_s"), dig(transfers, "ordo_4_nodes", "tx_per_s")
    failover = dig(transfers, "ordo_4_nodes", "failover", "failover_s")
    kills = len(dig(transfers, "ordo_4_nodes", "failover", "samples") or [])
    erc20_ordo, erc20_anvil = dig(erc20, "ordo", "tx_per_s"), dig(erc20, "anvil", "tx_per_s")
    idle = [dig(latency, f"{nodes}_nodes", "idle", "p50_ms") for nodes in (1, 4)]
    return [
        Row("one node, included transfers/s, ratio to anvil",
            dig(transfers, "ratio_ordo_to_anvil", "tx_per_s"), "x", 1.0, False,
            f"Ordo {one} tx/s, anvil {anvil_tps} tx/s"),
        Row("four nodes on the same cores, ratio to anvil",
            dig(transfers, "ratio_ordo_4_nodes_to_anvil", "tx_per_s"), "x", 0.5, False,
            f"Ordo 4 nodes {four} tx/s, anvil {anvil_tps} tx/s"),
        Row("node CPU per transfer, one node",
            scaled(dig(transfers, "ordo", "cpu_s_per_tx"), 1000), " ms", 0.2, True,
            f"anvil {scaled(dig(transfers, 'anvil', 'cpu_s_per_tx'), 1000)} ms"),
        Row("idle submit-to-receipt p50, 1 node", idle[0], " ms", 50, True, latency_note),
        Row("idle submit-to-receipt p50, 4 nodes", idle[1], " ms", 100, True, latency_note),
        Row(f"failover, median of {kills} kills", dig(failover, "median"), " s", 1.0, True,
            f"min {dig(failover, 'min')} s, max {dig(failover, 'max')} s"),
        Row("ERC-20 transfers/s, one node, ratio to anvil",
            dig(erc20, "ratio_ordo_to_anvil", "tx_per_s"), "x", 1.0, False,
            f"Ordo {erc20_ordo} tx/s, anvil {erc20_anvil} tx/s"),
    ]


def table(measured: Sequence[Row]) -> str:
    lines = ["| measure | measured | target | met | detail |", "|---|---|---|---|---|"]
    for row in measured:
        value = "unmeasured" if row.value is None else f"{row.value:g}{row.unit}"
        met = {True: "yes", False: "no", None: "-"}[row.met()]
        target = f"{'<=' if row.at_most else '>='} {row.target:g}{row.unit}"
        lines.append(f"| {row.measure} | {value} | {target} | {met} | {row.detail} |")
    return "\n".join(lines)


def run_latency(skip: bool) -> tuple[dict[str, Any] | None, str]:
    """latency.py's document (it starts its own devnets), or None and why not."""
    if skip:
        return None, "skipped (--skip-latency)"
    if not LATENCY.is_file():
        return None, "bench/latency.py does not exist in this checkout"
    progress("latency.py: idle and back-to-back clients on 1 and 4 nodes")
    result = subprocess.run([sys.executable, str(LATENCY), "--no-write"], capture_output=True,
                            text=True, timeout=1800, check=False)
    if result.returncode != 0:
        return None, f"latency.py failed: {result.stderr.strip()[-300:]}"
    return json.loads(result.stdout), "bench/latency.py, idle client"


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False).stdout.strip()


def progress(message: str) -> None:
    print(f"targets: {message}", file=sys.stderr, flush=True)


async def main_async(arguments: argparse.Namespace) -> dict[str, Any]:
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    common = ["--target", "both", "--duration", str(arguments.duration)]
    transfers = await loadgen.main_async(loadgen.parse_arguments(
        [*common, "--ordo-nodes", "1,4", "--failover-kills", str(arguments.failover_kills)]))
    erc20 = await loadgen.main_async(loadgen.parse_arguments(
        [*common, "--workload", "erc20", "--ordo-nodes", "1"]))
    latency, latency_note = run_latency(arguments.skip_latency)
    measured = rows(transfers, erc20, latency, latency_note)
    return {
        "bench": "targets",
        "date": started.isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "load_average": {"start": [round(x, 2) for x in load_before],
                         "end": [round(x, 2) for x in os.getloadavg()]},
        "targets": [row.as_json() for row in measured],
        "table": table(measured),
        "transfers": transfers,
        "erc20": erc20,
        "latency": latency,
    }


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0,
                        help="seconds of load in each loadgen run")
    parser.add_argument("--failover-kills", type=int, default=10,
                        help="producer kills on the 4-node devnet (the median is the row)")
    parser.add_argument("--skip-latency", action="store_true", help="do not run latency.py")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    arguments = parser.parse_args(argv)
    if arguments.duration <= 0:
        parser.error("--duration must be positive")
    if arguments.failover_kills < 1:
        parser.error("--failover-kills must be at least 1 (the failover row needs kills)")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        result = asyncio.run(main_async(arguments))
    except (loadgen.LoadError, loadgen.RpcError, aiohttp.ClientError, OSError) as error:
        print(f"targets: error: {error}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=2)
    print(text)
    day = result["date"][:10]
    path = arguments.results_dir / f"targets-{day}.json"
    path.write_text(text + "\n")
    print(result["table"], file=sys.stderr)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
