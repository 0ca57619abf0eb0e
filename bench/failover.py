"""Failover benchmark: how long a multi-node Ordo devnet goes without a new final block when the
producer dies, measured from the outside like a user would see it.

Each round: wait until every node is up and at the same final height; read the current producer
from ``ordo_status`` (away from an epoch boundary, where it would change anyway); SIGKILL its
process; poll every surviving node's newest final block every 20 ms. ``to_next_final_s`` is the
time from the kill to the first new final block on any survivor (what the brief calls failover
time); ``to_replacement_block_s`` is the time until the survivors report a new producer, i.e. a
block committed in a later round by the next validator in the order (a block the dead producer
had already proposed can still become final right after the kill). The devnet restarts the killed
node; ``rejoined_s`` is the time until it serves again at the survivors' final height.

A light background load (a transfer every 1/--load-rate s, to a running node) keeps blocks coming
at the block time, so the idle heartbeat does not pad the numbers.

Usage: python bench/failover.py [--nodes 4] [--kills 5]  (prints one JSON document on stdout)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from loadgen import (
    CHAIN_ID,
    MIN_FEE_CAP,
    LoadError,
    Rpc,
    RpcError,
    Target,
    address_of,
    dev_keys,
    final_number,
    progress,
    running_target,
    sign_transfer,
)

POLL_S = 0.02
FAILOVER_TIMEOUT_S = 60.0
HEALTHY_TIMEOUT_S = 180.0
EPOCH_END_MARGIN = 4
"""Blocks before an epoch boundary in which no kill starts: the producer changes there anyway."""
BACKGROUND_ACCOUNT = 9
RPC_ERRORS = (RpcError, aiohttp.ClientError, OSError, ValueError, TimeoutError)


def summarize(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "min": None, "max": None}
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


class Devnet:
    """The running devnet as devnet.json describes it (pids change when nodes restart)."""

    def __init__(self, target: Target, session: aiohttp.ClientSession) -> None:
        if target.manifest_path is None:
            raise LoadError("the failover benchmark needs a devnet it started (devnet.json)")
        self.manifest_path = target.manifest_path
        self.rpcs = [Rpc(session, url) for url in target.urls]
        genesis = json.loads(Path(self.manifest()["genesis"]).read_text())
        self.epoch_length = int(genesis["consensus"]["epoch_length"])
        self.propose_timeout_ms = int(genesis["consensus"]["propose_base_ms"])
        self.down: set[int] = set()

    def manifest(self) -> dict[str, Any]:
        for _ in range(50):
            with contextlib.suppress(OSError, ValueError):
                document: dict[str, Any] = json.loads(self.manifest_path.read_text())
                return document
            time.sleep(0.1)
        raise LoadError(f"cannot read {self.manifest_path}")

    def pid(self, index: int) -> int:
        return int(self.manifest()["nodes"][index]["pid"])

    def index_of_signer(self, address: str) -> int:
        for node in self.manifest()["nodes"]:
            if node["signer"].lower() == address.lower():
                return int(node["index"])
        raise LoadError(f"ordo_status names producer {address}, which no devnet node signs as")

    async def finals(self, nodes: Sequence[int]) -> list[int]:
        """Each node's newest final block number (-1 for a node that does not answer)."""
        async def one(index: int) -> int:
            try:
                return await final_number(self.rpcs[index], "finalized")
            except RPC_ERRORS:
                return -1

        return list(await asyncio.gather(*(one(index) for index in nodes)))

    async def wait_healthy(self) -> int:
        """All nodes answer at one final height and then finalize one more block."""
        everyone = list(range(len(self.rpcs)))
        deadline = time.monotonic() + HEALTHY_TIMEOUT_S
        level: int | None = None
        while time.monotonic() < deadline:
            finals = await self.finals(everyone)
            if min(finals) >= 0 and max(finals) - min(finals) <= 1:
                if level is None:
                    level = max(finals)
                elif min(finals) > level:
                    return min(finals)
            await asyncio.sleep(0.1)
        raise LoadError(f"the devnet did not become healthy within {HEALTHY_TIMEOUT_S:g} s "
                        f"(final heights {await self.finals(everyone)})")

    async def producer(self, observer: int) -> tuple[int, str]:
        """The producer's node index and signer, read well inside an epoch."""
        deadline = time.monotonic() + HEALTHY_TIMEOUT_S
        while time.monotonic() < deadline:
            status = await self.rpcs[observer].call("ordo_status")
            position = (int(status["latestBlock"], 16) + 1) % self.epoch_length
            if position <= self.epoch_length - EPOCH_END_MARGIN:
                return self.index_of_signer(status["producer"]), str(status["producer"])
            await asyncio.sleep(0.1)
        raise LoadError("no producer away from an epoch boundary")


async def background_load(devnet: Devnet, rate: float) -> None:
    """One transfer every 1/rate s to the lowest-numbered running node; errors are expected while
    nodes die (a lost transaction's nonce is simply reused)."""
    key = dev_keys()[BACKGROUND_ACCOUNT]
    sender = "0x" + address_of(key).hex()
    while True:
        node = min(set(range(len(devnet.rpcs))) - devnet.down)
        with contextlib.suppress(*RPC_ERRORS):
            rpc = devnet.rpcs[node]
            nonce = int(await rpc.call("eth_getTransactionCount", sender, "pending"), 16)
            raw, _ = sign_transfer(key, CHAIN_ID, nonce, b"\x42" * 20, 1, MIN_FEE_CAP)
            await rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
        await asyncio.sleep(1 / rate)


async def kill_producer_once(devnet: Devnet, observer: int) -> dict[str, Any]:
    producer, signer = await devnet.producer(observer)
    survivors = [index for index in range(len(devnet.rpcs)) if index != producer]
    before = max(await devnet.finals(survivors))
    old_pid = devnet.pid(producer)
    devnet.down.add(producer)
    killed_at = time.perf_counter()
    os.kill(old_pid, signal.SIGKILL)
    to_next: float | None = None
    to_replacement: float | None = None
    while time.perf_counter() - killed_at < FAILOVER_TIMEOUT_S:
        finals = await devnet.finals(survivors)
        now = time.perf_counter()
        if to_next is None and max(finals) > before:
            to_next = now - killed_at
        if to_next is not None:
            leader = survivors[finals.index(max(finals))]
            with contextlib.suppress(*RPC_ERRORS):
                status = await devnet.rpcs[leader].call("ordo_status")
                if str(status["producer"]).lower() != signer.lower():
                    to_replacement = time.perf_counter() - killed_at
                    break
        await asyncio.sleep(POLL_S)
    if to_next is None:
        raise LoadError(f"no block became final within {FAILOVER_TIMEOUT_S:g} s after killing "
                        f"node {producer}, the producer")
    rejoined = await wait_rejoined(devnet, producer, old_pid, survivors, killed_at)
    devnet.down.discard(producer)
    return {"killed_node": producer, "producer": signer, "final_before": before,
            "to_next_final_s": round(to_next, 3),
            "to_replacement_block_s": None if to_replacement is None else round(to_replacement, 3),
            "rejoined_s": round(rejoined, 3)}


async def wait_rejoined(devnet: Devnet, index: int, old_pid: int, survivors: list[int],
                        killed_at: float) -> float:
    deadline = time.monotonic() + HEALTHY_TIMEOUT_S
    while time.monotonic() < deadline:
        if devnet.pid(index) != old_pid:
            [final] = await devnet.finals([index])
            if final >= 0 and final >= max(await devnet.finals(survivors)) - 1:
                return time.perf_counter() - killed_at
        await asyncio.sleep(0.1)
    raise LoadError(f"node {index} did not rejoin within {HEALTHY_TIMEOUT_S:g} s of its kill")


async def measure_failover(target: Target, kills: int, load_rate: float = 5.0) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        devnet = Devnet(target, session)
        if len(devnet.rpcs) < 2:
            raise LoadError("failover needs a devnet of at least two nodes")
        load = asyncio.create_task(background_load(devnet, load_rate))
        samples: list[dict[str, Any]] = []
        try:
            for attempt in range(kills):
                await devnet.wait_healthy()
                sample = await kill_producer_once(devnet, observer=attempt % len(devnet.rpcs))
                progress(f"failover {attempt + 1}/{kills}: killed node {sample['killed_node']}, "
                         f"next final block after {sample['to_next_final_s']:.3f} s, "
                         f"replacement producer's block after "
                         f"{sample['to_replacement_block_s']} s, rejoined after "
                         f"{sample['rejoined_s']:.1f} s")
                samples.append(sample)
        finally:
            load.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await load

    def values(key: str) -> list[float]:
        return [sample[key] for sample in samples if sample[key] is not None]

    return {
        "kills": len(samples),
        "nodes": len(target.urls),
        "propose_timeout_ms": devnet.propose_timeout_ms,
        "failover_s": summarize(values("to_next_final_s")),
        "replacement_block_s": summarize(values("to_replacement_block_s")),
        "rejoined_s": summarize(values("rejoined_s")),
        "samples": samples,
    }


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=4, help="devnet size (at least 4: the "
                        "three others must hold more than 2/3 of the stake)")
    parser.add_argument("--kills", type=int, default=5, help="producer kills (median over them)")
    parser.add_argument("--load-rate", type=float, default=5.0,
                        help="background transfers per second")
    parser.add_argument("--ordo-block-time", type=float, help="--block-time for the nodes")
    parser.add_argument("--l1", choices=("none", "dev"), default="none",
                        help="--l1 for the devnet: none (default; comparable with earlier runs) "
                             "or dev (the embedded dev L1, batches posted)")
    arguments = parser.parse_args(argv)
    if arguments.nodes < 4:
        parser.error("--nodes must be at least 4: with fewer, one dead node of equal stake "
                     "leaves no quorum")
    if arguments.kills < 1:
        parser.error("--kills must be at least 1")
    if arguments.load_rate <= 0:
        parser.error("--load-rate must be positive")
    arguments.rpc = None
    arguments.anvil = ""
    return arguments


async def main_async(arguments: argparse.Namespace) -> dict[str, Any]:
    async with running_target("ordo", arguments, arguments.nodes) as target:
        return await measure_failover(target, arguments.kills, arguments.load_rate)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        result = asyncio.run(main_async(arguments))
    except (LoadError, RpcError, aiohttp.ClientError, OSError) as error:
        print(f"failover: error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
