"""``python -m ordo.consensus.simulator --seeds 0-499 [--nodes 4] [--byzantine 1] [--jobs 2]
[--attack none|lock|third]``

Runs one simulation per seed and prints a summary; on failure, prints each failing seed's reason
and one exact command that replays the first of them. Exit status 1 when any seed failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

from ordo.consensus.simulator.run import RunResult, run_seed
from ordo.consensus.simulator.scenario import Attack


def parse_seeds(text: str) -> list[int]:
    """ "0-499", "7", "1,5,9-12" -> the seeds, in order; raises ValueError on junk."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"empty seed range in {text!r}")
        low, dash, high = part.partition("-")
        first = int(low)
        last = int(high) if dash else first
        if first < 0 or last < first:
            raise ValueError(f"bad seed range {part!r}")
        seeds.extend(range(first, last + 1))
    return seeds


def _run(arguments: tuple[int, int, int, Attack]) -> RunResult:
    return run_seed(*arguments)


def check_sizes(nodes: int, byzantine: int, attack: Attack) -> str:
    """Why (nodes, byzantine) cannot be played with ``attack``; empty when they can."""
    if attack == Attack.THIRD:
        if byzantine < 1 or nodes - byzantine < 2:
            return "the third attack needs 1 <= byzantine <= nodes - 2"
        return ""
    if nodes < 1 or byzantine < 0 or 3 * byzantine >= nodes:
        return "need nodes >= 1 and 0 <= byzantine < nodes / 3"
    if attack == Attack.LOCK and (byzantine < 1 or nodes - byzantine < 3):
        return "the lock attack needs byzantine >= 1 and 3 honest validators"
    return ""


def run_many(
    seeds: Sequence[int], nodes: int, byzantine: int, jobs: int, attack: Attack = Attack.NONE
) -> Iterable[RunResult]:
    work = [(seed, nodes, byzantine, attack) for seed in seeds]
    if jobs <= 1:
        return map(_run, work)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_run, work, chunksize=8))


def _recovery_share(result: RunResult) -> float:
    """How much of its liveness bound a run's recovery used."""
    return (result.recovery_ms or 0) / max(1, result.recovery_bound_ms)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ordo.consensus.simulator")
    parser.add_argument("--seeds", default="0-99", help="e.g. 0-499 or 3,17,40-45")
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument(
        "--byzantine",
        type=int,
        default=1,
        help="Byzantine validators in byzantine/mixed scenarios (< nodes / 3)",
    )
    parser.add_argument(
        "--attack",
        choices=[attack.value for attack in Attack],
        default=Attack.NONE.value,
        help="none: random faults; lock: split votes to break lock-less rules; "
        "third: split brain with a Byzantine third of the stake (safety only)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--verbose", action="store_true", help="one line per seed")
    options = parser.parse_args(argv)
    try:
        seeds = parse_seeds(options.seeds)
    except ValueError as error:
        parser.error(str(error))
    attack = Attack(options.attack)
    refusal = check_sizes(options.nodes, options.byzantine, attack)
    if refusal:
        parser.error(refusal)
    started = time.perf_counter()
    failures: list[RunResult] = []
    heights = 0
    slowest: RunResult | None = None
    for result in run_many(seeds, options.nodes, options.byzantine, options.jobs, attack):
        heights += max(result.heights, default=0)
        if result.recovery_ms is not None and (
            slowest is None or _recovery_share(result) > _recovery_share(slowest)
        ):
            slowest = result
        if options.verbose:
            status = "ok" if result.ok else f"FAIL {result.failure}"
            stages = f" attack {'>'.join(result.attack_stages)}" if result.attack_stages else ""
            recovery = (
                f" (recovered in {result.recovery_ms} of {result.recovery_bound_ms} ms)"
                if result.recovery_ms is not None
                else ""
            )
            print(
                f"seed {result.seed} {result.kind}: heights {result.heights}{stages} {status}"
                f"{recovery}"
            )
        if not result.ok:
            failures.append(result)
    elapsed = time.perf_counter() - started
    print(f"{len(seeds)} seeds, {len(failures)} failed, {heights} heights decided, {elapsed:.1f} s")
    if slowest is not None and slowest.recovery_ms is not None:
        print(
            f"slowest recovery after the heal: seed {slowest.seed}, {slowest.recovery_ms} ms of "
            f"its {slowest.recovery_bound_ms} ms bound"
        )
    for failure in failures:
        print(f"seed {failure.seed} ({failure.kind}): {failure.failure}")
    if failures:
        print(f"reproduce: {failures[0].reproduce_command()}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
