"""Latency benchmark: how long one client waits for its receipt on an otherwise idle network.

Two clients, one after the other, each with a dev account of its own, against a devnet of 1 and
of 4 nodes (``--nodes``):

- ``back_to_back``: sends its next transfer as soon as the previous one's receipt arrives (a
  script doing one thing after another, the case where a fixed block time after the previous
  block is waited out in full);
- ``idle``: pauses ``--idle-gap`` seconds (plus a random part) before each transfer, so each one
  arrives at a quiet chain at a random point of the block cycle.

Latency is from just before ``eth_sendRawTransaction`` to the first ``eth_getTransactionReceipt``
poll (every ``POLL_S``) that returns the receipt, asked of the node the transfer was sent to; the
transfers go round the nodes, so the producer gets its share and the others theirs.

``--baseline-src DIR`` runs the same measurements first against another revision's ``src``
directory (put on the devnet's PYTHONPATH; for a git revision: ``git archive REV src | tar -x -C
DIR/..`` and copy the built ``src/ordo/_native*.so`` next to it) and adds the ratios.

Writes bench/results/latency-<UTC date>.json (unless ``--no-write``) and prints it.
Usage: python bench/latency.py [--nodes 1,4] [--count 40] [--baseline-src /tmp/base/src]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from loadgen import (
    CHAIN_ID,
    MIN_FEE_CAP,
    LoadError,
    Rpc,
    RpcError,
    address_of,
    dev_keys,
    node_counts,
    percentile,
    progress,
    running_target,
    sign_transfer,
)

ROOT = Path(__file__).resolve().parent.parent
POLL_S = 0.005
RECEIPT_TIMEOUT_S = 30.0
WARMUP_TRANSFERS = 3
"""Sent and not counted: the first blocks after start pay for imports and caches."""
BACK_TO_BACK_ACCOUNT = 7
IDLE_ACCOUNT = 8


async def wait_receipt(rpc: Rpc, tx_hash: str) -> dict[str, Any]:
    deadline = time.perf_counter() + RECEIPT_TIMEOUT_S
    while time.perf_counter() < deadline:
        receipt = await rpc.call("eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return dict(receipt)
        await asyncio.sleep(POLL_S)
    raise LoadError(f"no receipt for {tx_hash} within {RECEIPT_TIMEOUT_S:g} s")


async def one_client(rpcs: Sequence[Rpc], account: int, count: int, idle_gap: float | None,
                     rng: random.Random) -> list[float]:
    """Latencies in seconds of ``count`` transfers sent one at a time (warm-up not counted)."""
    key = dev_keys()[account]
    sender = "0x" + address_of(key).hex()
    nonce = int(await rpcs[0].call("eth_getTransactionCount", sender, "pending"), 16)
    latencies: list[float] = []
    for index in range(WARMUP_TRANSFERS + count):
        if idle_gap is not None:
            await asyncio.sleep(idle_gap + rng.random() * idle_gap)
        rpc = rpcs[index % len(rpcs)]
        raw, _ = sign_transfer(key, CHAIN_ID, nonce, b"\x42" * 20, 1, MIN_FEE_CAP)
        started = time.perf_counter()
        tx_hash = await rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
        receipt = await wait_receipt(rpc, tx_hash)
        elapsed = time.perf_counter() - started
        if int(receipt["status"], 16) != 1:
            raise LoadError(f"transfer {tx_hash} failed")
        nonce += 1
        if index >= WARMUP_TRANSFERS:
            latencies.append(elapsed)
    return latencies


def summary(latencies: Sequence[float]) -> dict[str, Any]:
    return {"transfers": len(latencies),
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
            "p90_ms": round(percentile(latencies, 0.90) * 1000, 1),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1)}


@contextlib.contextmanager
def python_path(src: str | None) -> Iterator[None]:
    """The devnet started inside runs ``src``'s code (None: this checkout's)."""
    before = os.environ.get("PYTHONPATH")
    if src is not None:
        os.environ["PYTHONPATH"] = src
    try:
        yield
    finally:
        if src is not None:
            if before is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = before


async def measure(arguments: argparse.Namespace, nodes: int, src: str | None) -> dict[str, Any]:
    rng = random.Random(nodes)
    with python_path(src):
        context = running_target("ordo", arguments, nodes)
        target = await context.__aenter__()
    try:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            rpcs = [Rpc(session, url) for url in target.urls]
            back_to_back = await one_client(rpcs, BACK_TO_BACK_ACCOUNT, arguments.count, None,
                                            rng)
            idle = await one_client(rpcs, IDLE_ACCOUNT, arguments.idle_count,
                                    arguments.idle_gap, rng)
    finally:
        await context.__aexit__(None, None, None)
    result = {"back_to_back": summary(back_to_back), "idle": summary(idle)}
    progress(f"{nodes} node(s){'' if src is None else ' (baseline)'}: back-to-back p50 "
             f"{result['back_to_back']['p50_ms']} ms, idle p50 {result['idle']['p50_ms']} ms")
    return result


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False).stdout.strip()


def ratios(now: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float]:
    return {f"{mode}_p50": round(now[mode]["p50_ms"] / baseline[mode]["p50_ms"], 3)
            for mode in ("back_to_back", "idle")}


async def main_async(arguments: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {
        "bench": "latency",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "poll_ms": POLL_S * 1000,
        "block_time_s": arguments.ordo_block_time,
    }
    for nodes in arguments.nodes:
        name = f"{nodes}_nodes"
        if arguments.baseline_src is not None:
            result[f"baseline_{name}"] = await measure(arguments, nodes, arguments.baseline_src)
        result[name] = await measure(arguments, nodes, None)
        if arguments.baseline_src is not None:
            result[f"ratio_{name}_to_baseline"] = ratios(result[name], result[f"baseline_{name}"])
    return result


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=node_counts, default=(1, 4),
                        help="comma-separated devnet sizes (default 1,4)")
    parser.add_argument("--count", type=int, default=40, help="back-to-back transfers")
    parser.add_argument("--idle-count", type=int, default=20, help="transfers at a quiet chain")
    parser.add_argument("--idle-gap", type=float, default=0.5,
                        help="pause before each idle transfer: this plus up to this again (s)")
    parser.add_argument("--ordo-block-time", type=float, help="--block-time for the nodes")
    parser.add_argument("--baseline-src", help="src directory of a revision to compare with")
    parser.add_argument("--no-write", action="store_true", help="print only")
    arguments = parser.parse_args(argv)
    if arguments.count < 1 or arguments.idle_count < 1:
        parser.error("--count and --idle-count must be positive")
    if arguments.idle_gap <= 0:
        parser.error("--idle-gap must be positive")
    arguments.rpc = None
    arguments.anvil = ""
    arguments.l1 = "none"
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        result = asyncio.run(main_async(arguments))
    except (LoadError, RpcError, aiohttp.ClientError, OSError) as error:
        print(f"latency: error: {error}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=2)
    print(text)
    if not arguments.no_write:
        day = datetime.datetime.now(datetime.UTC).date().isoformat()
        path = ROOT / "bench" / "results" / f"latency-{day}.json"
        path.write_text(text + "\n")
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
