"""``python -m ordo.chaos.crash --seed S --kills N``: one crash-consistency run; exit code 0 when
every check held, 1 when one broke (the seed and the repeat command are printed), 2 on bad options
or a network that never came up, 130 when interrupted (node processes are stopped first)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from ordo.chaos.__main__ import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_PASSED, EXIT_USAGE
from ordo.chaos.crash.runner import CrashOptions, run_crash
from ordo.chaos.harness import ChaosSetupError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ordo.chaos.crash",
        description="SIGKILL nodes while they commit under load; check each restart.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--rate", type=float, default=20.0, help="transactions per second")
    parser.add_argument("--catch-up-timeout", type=float, default=CrashOptions.catch_up_timeout,
                        help="seconds a restarted node has to reach the others' final height")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep node data and logs here (default: a temporary directory, "
                             "kept only when the run fails)")
    args = parser.parse_args(argv)
    try:
        options = CrashOptions(seed=args.seed, kills=args.kills, nodes=args.nodes,
                               rate=args.rate, catch_up_timeout=args.catch_up_timeout,
                               workdir=args.workdir)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        summary = run_crash(options)
    except ChaosSetupError as error:
        print(f"error: {error}\nrepeat with: {options.repeat_command()}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"interrupted; node processes stopped. repeat with: {options.repeat_command()}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    print(json.dumps(summary, indent=2))
    if not summary["passed"]:
        print(f"CRASH RUN FAILED (seed {options.seed}); repeat with: {summary['repeat']}",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_PASSED


if __name__ == "__main__":
    sys.exit(main())
