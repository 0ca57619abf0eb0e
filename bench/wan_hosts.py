"""A 4-node network on an L1 as four hosts under WAN conditions: block time, finality latency and
failover, measured by the chaos harness (``python -m ordo.chaos --hosts --l1 anvil``).

Each node runs in its own network namespace with its own address (root and iproute2 needed); every
link between two hosts goes through the harness's link proxy with a seeded round trip of 50-150 ms
and 1 % loss (a lost chunk stalls 0.2-1 s, one in ten resets the connection), kept through every
fault. The faults, one after another under a transfer load: the producer/poster SIGKILLed at each
point of its posting (failover), a host's link taken down (cut off), and a partition. Every chaos
invariant must hold (nothing acknowledged lost, one chain, gapless inbox); the numbers:

- ``block_time_s``: seconds per final block before the first fault and after the last heal;
- ``finality_latency_s``: from a transaction's acknowledgement to its receipt (blocks are final
  when committed), p50/p99/max;
- ``failover_s``: per SIGKILL of the producer/poster, seconds from the kill to the next final
  block on any other node (bench/failover.py's ``to_next_final_s``, here under WAN);
- ``recovery_by_fault_s``: per fault, seconds from its end (heal, restart) to the next final
  block; ``longest_stall_s``: the longest time with no new final block at all.

Usage: python bench/wan_hosts.py [--seed 1] [--duration 150]
       [--out bench/results/wan_hosts-$(date -u +%F).json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from ordo.chaos.harness import ChaosOptions, run_chaos

FAULTS = ("poster_kill", "host_cut", "poster_kill", "partition", "poster_kill")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=150.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--l1", choices=("anvil", "dev"), default="anvil")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--commit", default=None,
                        help="the commit being measured, when run from an exported tree "
                             "(git archive) rather than a checkout [default: git HEAD]")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep node data and logs here (default: kept only on failure)")
    args = parser.parse_args()
    options = ChaosOptions(seed=args.seed, duration=args.duration, rate=args.rate, l1=args.l1,
                           hosts=True, only=FAULTS, workdir=args.workdir)
    summary = run_chaos(options)
    head = args.commit or subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                         capture_output=True, text=True,
                                         check=False).stdout.strip()
    failovers = [value for _, value in summary["next_final_after_kill_s"]]
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": head,
        "machine": platform.platform(), "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "command": options.repeat_command(),
        "wan": {"rtt_ms": [options.wan_rtt[0] * 1000, options.wan_rtt[1] * 1000],
                "loss": options.wan_loss},
        "passed": summary["passed"],
        "violations": summary["violations"],
        "block_time_s": summary["block_time_s"],
        "finality_latency_s": summary["transactions"]["inclusion_delay_s"],
        "failover_s": failovers,
        "recovery_by_fault_s": summary["recovery_by_fault_s"],
        "longest_stall_s": summary["longest_stall_s"],
        "transactions": {key: summary["transactions"][key]
                         for key in ("acknowledged", "final", "pending", "dropped", "lost")},
        "blocks_final": summary["blocks_final"],
        "batches": summary.get("l1", {}).get("batches"),
        "batches_by_node": summary.get("l1", {}).get("batches_by_node"),
        "poster_kills": summary.get("l1", {}).get("poster_kills"),
        "poster_missed": summary.get("l1", {}).get("poster_missed"),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
