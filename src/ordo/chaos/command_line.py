"""What ``python -m ordo.chaos`` and ``python -m ordo.chaos.crash`` share: their exit codes, the
options of the live network they load (seed, nodes, rate, work directory), and running one run
with its report, so that both print the same lines and a failed run always names the command
that repeats it."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ordo.chaos.harness import ChaosSetupError

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class RunOptions(Protocol):
    @property
    def seed(self) -> int: ...

    def repeat_command(self) -> str: ...


Options = TypeVar("Options", bound=RunOptions)


def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--rate", type=float, default=20.0, help="transactions per second")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep node data and logs here (default: a temporary directory, "
                             "kept only when the run fails)")


def run_and_report(options: Options, run: Callable[[Options], dict[str, Any]],
                   name: str) -> int:
    """Run, print the summary as JSON, and return the exit code; ``name`` titles a failure
    ("CHAOS RUN FAILED (seed 7); repeat with: ...")."""
    try:
        summary = run(options)
    except ChaosSetupError as error:
        print(f"error: {error}\nrepeat with: {options.repeat_command()}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"interrupted; node processes stopped. repeat with: {options.repeat_command()}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    print(json.dumps(summary, indent=2))
    if not summary["passed"]:
        print(f"{name} FAILED (seed {options.seed}); repeat with: {summary['repeat']}",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_PASSED
