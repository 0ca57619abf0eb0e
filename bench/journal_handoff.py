"""The mempool journal's hand-off to a worker thread: wall time against CPU time.

py-spy's ``--gil`` profile of a loaded node put 11% of its samples on the line where
``JournalWriter`` hands a group of transactions to a worker thread (``asyncio.to_thread`` ->
``ThreadPoolExecutor.submit``), which only queues the work and wakes the thread. This measures
that hand-off with the real ``JournalWriter`` and a real ``ChainStore`` (LMDB, fsync on every
commit) in a temporary directory: one event loop runs "transactions" of ~50 µs of Python each,
every one appended to the journal as admission does (each awaits its durable write). The
default executor is replaced by one whose ``submit`` is timed, in wall time and in the calling
thread's CPU time: their difference is the time the event-loop thread spent off the CPU while
holding the GIL, which py-spy's wall-clock ``--gil`` sampling counts and CPU per transaction
does not (docs/performance.md).

It runs twice: with the worker threads at the normal scheduling policy, as the node runs them,
and at ``SCHED_BATCH`` (Linux), whose threads never preempt the running thread when woken: if
the stall is the woken worker (or the processes queued behind it) taking the event loop's CPU
at the wake, the second run shows less of it.

Writes bench/results/journal_handoff-<UTC date>.json and prints it.

    .venv/bin/python bench/journal_handoff.py [--seconds 8] [--senders 64]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from eth_utils import keccak
from latency import git_commit

from ordo.node.journal_writer import JournalWriter
from ordo.storage.chain_store import ChainStore

ROOT = Path(__file__).resolve().parent.parent


class TimedExecutor(ThreadPoolExecutor):
    """A thread pool that records how long each ``submit`` (the hand-off) takes the caller."""

    def __init__(self, initializer: Callable[[], None] | None = None) -> None:
        super().__init__(max_workers=4, thread_name_prefix="journal-bench",
                         initializer=initializer)
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        wall, cpu = time.perf_counter(), time.thread_time()
        future = super().submit(fn, *args, **kwargs)
        self.cpu.append(time.thread_time() - cpu)
        self.wall.append(time.perf_counter() - wall)
        return future


def _batch_policy() -> None:
    """Run the calling (worker) thread at SCHED_BATCH: woken, it does not preempt."""
    os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def _python_work() -> int:
    """About 50 µs of interpreter work: a stand-in for decoding and admitting one transaction."""
    return sum(range(3000))


async def _sender(writer: JournalWriter, index: int, deadline: float, counts: list[int]) -> None:
    sequence = 0
    while time.monotonic() < deadline:
        _python_work()
        raw = b"\x02" + index.to_bytes(4, "big") + sequence.to_bytes(8, "big") + b"\x00" * 100
        await writer.append(keccak(raw), raw)
        sequence += 1
    counts[index] = sequence


async def run(seconds: float, senders: int, directory: Path, *, batch: bool) -> dict[str, Any]:
    executor = TimedExecutor(_batch_policy if batch else None)
    asyncio.get_running_loop().set_default_executor(executor)
    store = ChainStore(directory / "chain", map_size=256 * 2**20)
    writer = JournalWriter(store.journal_add)
    writer.start()
    counts = [0] * senders
    started_cpu = time.process_time()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_sender(writer, i, deadline, counts) for i in range(senders)))
    cpu = time.process_time() - started_cpu
    await writer.stop()
    store.close()
    executor.shutdown()
    return {"transactions": sum(counts), "journal_writes": len(executor.wall),
            "process_cpu_s": round(cpu, 3),
            "hand_off_wall_us": _summary(executor.wall),
            "hand_off_cpu_us": _summary(executor.cpu),
            "off_cpu_share_of_hand_off": round(1 - sum(executor.cpu) / sum(executor.wall), 3)
            if executor.wall else None}


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {}
    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6, 1)
    return {"mean": round(sum(ordered) / len(ordered) * 1e6, 1), "p50": at(0.5), "p99": at(0.99),
            "max": round(ordered[-1] * 1e6, 1)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--senders", type=int, default=64,
                        help="concurrent submitters, each awaiting its durable write")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    arguments = parser.parse_args(argv)
    if arguments.seconds <= 0 or arguments.senders < 1:
        parser.error("--seconds must be positive and --senders at least 1")
    load_before = os.getloadavg()
    measured: dict[str, Any] = {}
    for policy in ("normal", "batch"):
        with tempfile.TemporaryDirectory(prefix="ordo-journal-bench-") as directory:
            measured[f"worker_policy_{policy}"] = asyncio.run(run(
                arguments.seconds, arguments.senders, Path(directory), batch=policy == "batch"))
    result = {
        "bench": "journal_handoff",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "load_average": {"start": [round(x, 2) for x in load_before],
                         "end": [round(x, 2) for x in os.getloadavg()]},
        "seconds": arguments.seconds,
        "senders": arguments.senders,
        **measured,
    }
    text = json.dumps(result, indent=2)
    print(text)
    arguments.results_dir.mkdir(parents=True, exist_ok=True)
    path = arguments.results_dir / f"journal_handoff-{result['date'][:10]}.json"
    path.write_text(text + "\n")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
