"""``python -m ordo.chaos.crash --seed S --kills N``: one crash-consistency run; exit code 0 when
every check held, 1 when one broke (the seed and the repeat command are printed), 2 on bad options
or a network that never came up, 130 when interrupted (node processes are stopped first)."""

from __future__ import annotations

import argparse
import sys

from ordo.chaos.command_line import EXIT_USAGE, add_network_arguments, run_and_report
from ordo.chaos.crash.runner import CrashOptions, run_crash


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ordo.chaos.crash",
        description="SIGKILL nodes while they commit under load; check each restart.")
    add_network_arguments(parser)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--catch-up-timeout", type=float, default=CrashOptions.catch_up_timeout,
                        help="seconds a restarted node has to reach the others' final height")
    args = parser.parse_args(argv)
    try:
        options = CrashOptions(seed=args.seed, kills=args.kills, nodes=args.nodes,
                               rate=args.rate, catch_up_timeout=args.catch_up_timeout,
                               workdir=args.workdir)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return run_and_report(options, run_crash, "CRASH RUN")


if __name__ == "__main__":
    sys.exit(main())
