"""One crash-consistency run: SIGKILL one node after another while the network commits blocks
under transfer load, restart each from its own data dir, and check what it holds afterwards.

The shell around the pure parts (kill_plan, header_compare, record): it owns the processes,
sockets and clocks. Nodes dial each other directly (no link proxies): the only fault is the kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from ordo.chaos.crash.header_compare import all_mismatches, header_mismatches
from ordo.chaos.crash.header_fetch import block_headers
from ordo.chaos.crash.kill_plan import PlannedKill, plan_kills
from ordo.chaos.crash.record import CrashRecord, KillOutcome, summarize
from ordo.chaos.harness import (
    run_directory,
    sigterm_cancels_run,
    transaction_outcome,
    wait_healthy,
)
from ordo.chaos.invariants import (
    RestartOutcome,
    check_receipts_final,
    repair_signs,
    tally_outcomes,
)
from ordo.chaos.node_processes import NodeProcesses
from ordo.chaos.rpc_client import RpcClient, RpcError, RpcUnavailable
from ordo.chaos.transfer_load import REBROADCAST_AFTER, TransferLoad
from ordo.core.genesis import dev_private_keys

LOAD_ACCOUNTS = 10
HEAD_POLL = 0.02
"""Seconds between head polls while waiting for the victim to commit: a block takes ~250 ms."""
NEW_HEAD_WAIT = 5.0
CATCH_UP_POLL = 0.1


@dataclass(frozen=True)
class CrashOptions:
    seed: int
    kills: int
    nodes: int = 4
    rate: float = 20.0
    """Transactions per second offered (spread over the development accounts)."""
    catch_up_timeout: float = 60.0
    """Seconds a restarted node has to answer and reach the others' final height."""
    drain_timeout: float = 45.0
    ready_timeout: float = 120.0
    workdir: Path | None = None

    def __post_init__(self) -> None:
        if self.kills < 1:
            raise ValueError(f"kills: {self.kills} is not allowed; use at least 1")
        if self.nodes < 4:
            raise ValueError(f"nodes: {self.nodes} is not allowed; use at least 4, so the "
                             "others keep a quorum while one node is dead")
        if self.rate <= 0:
            raise ValueError(f"rate: {self.rate!r} is not allowed; use a positive number")
        if self.catch_up_timeout <= 0 or self.ready_timeout <= 0 or self.drain_timeout < 0:
            raise ValueError("catch_up_timeout and ready_timeout must be positive and "
                             "drain_timeout not negative")

    def repeat_command(self) -> str:
        command = (f"python -m ordo.chaos.crash --seed {self.seed} --kills {self.kills} "
                   f"--nodes {self.nodes} --rate {self.rate:g}")
        if self.catch_up_timeout != CrashOptions.catch_up_timeout:
            command += f" --catch-up-timeout {self.catch_up_timeout:g}"
        return command


def run_crash(options: CrashOptions) -> dict[str, Any]:
    """Run the kills; returns the JSON summary (``passed`` says if every check held). Raises
    ChaosSetupError if the network never became healthy."""
    with run_directory(options.workdir, "ordo-crash-") as run:
        root = run.path
        processes = NodeProcesses(root / "net", options.nodes)
        for source in range(options.nodes):
            processes.peer_ports[source] = [processes.ports[target].p2p
                                            for target in range(options.nodes)
                                            if target != source]
        try:
            summary = asyncio.run(_drive(options, processes))
        finally:
            processes.stop_all()
        summary["workdir"] = str(root)
        run.failed = not summary["passed"]
        if not summary["passed"]:
            summary["node_log_tails"] = {index: processes.log_tail(index, 15)
                                         for index in range(options.nodes)}
        return summary


async def _drive(options: CrashOptions, processes: NodeProcesses) -> dict[str, Any]:
    with sigterm_cancels_run():
        async with aiohttp.ClientSession() as session:
            return await _run(options, processes, RpcClient(session))


async def _run(options: CrashOptions, processes: NodeProcesses,
               client: RpcClient) -> dict[str, Any]:
    urls = [processes.rpc_url(index) for index in range(options.nodes)]
    for index in range(options.nodes):
        processes.start(index)
    await wait_healthy(processes, client, urls, options.ready_timeout)

    def running() -> list[int]:
        return [index for index in range(options.nodes) if index not in processes.killed]

    load = TransferLoad(client, urls, running, dev_private_keys(LOAD_ACCOUNTS),
                        processes.devnet.genesis.chain_id, options.rate, options.seed,
                        REBROADCAST_AFTER)
    record = CrashRecord()
    checked = dict.fromkeys(range(options.nodes), 0)
    """Per node, the height up to which its blocks were compared after a restart."""
    stop_load = asyncio.Event()
    started = time.monotonic()
    load_task = asyncio.create_task(load.run(stop_load))
    try:
        for planned in plan_kills(options.seed, options.kills, options.nodes):
            outcome = await _kill_and_restart(planned, processes, client, urls, checked,
                                              record, options.catch_up_timeout)
            record.kills.append(outcome)
            if outcome.caught_up_after is None:
                record.violations.append(f"kill {planned.number}: node {outcome.victim} did "
                                         f"not catch up within {options.catch_up_timeout:g}s; "
                                         "no further kills")
                break
        stop_load.set()
        await load_task
        drain_deadline = time.monotonic() + options.drain_timeout
        while load.outstanding() and time.monotonic() < drain_deadline:
            await load.collect_receipts()
            await asyncio.sleep(1.0)
    finally:
        stop_load.set()
        load_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await load_task
    canonical = await _compare_at_end(client, urls, record)
    transactions = await _transaction_counts(client, urls, load, canonical, record)
    for index in range(options.nodes):
        code = processes.exited(index)
        if code is not None:
            record.violations.append(f"node {index} exited by itself with code {code}")
    return summarize(record, options.seed, options.kills, transactions,
                     options.repeat_command(), time.monotonic() - started)


async def _kill_and_restart(planned: PlannedKill, processes: NodeProcesses, client: RpcClient,
                            urls: list[str], checked: dict[int, int], record: CrashRecord,
                            timeout: float) -> KillOutcome:
    producer = await _producer(client, urls, processes)
    victim = planned.victim if planned.victim is not None else producer
    if victim is None:
        victim = planned.number % len(urls)
    final_before = await _final_or_zero(client, urls[victim])
    head_at_kill: int | None = None
    if planned.after_new_head:
        head_at_kill = await _wait_new_head(client, urls[victim])
    await asyncio.sleep(planned.delay)
    if head_at_kill is None:
        with contextlib.suppress(RpcUnavailable, RpcError):
            head_at_kill = await client.head(urls[victim])
    processes.kill(victim)
    await asyncio.sleep(planned.downtime)
    processes.restart(victim)
    restarted = time.monotonic()
    ready_after, head_after, target, reference = await _first_answer(
        victim, processes, client, urls, restarted, restarted + timeout)
    caught_up_after: float | None = None
    compared = 0
    if target is not None and reference is not None:
        caught_up_after = await _caught_up(victim, processes, client, urls[victim], target,
                                           restarted, restarted + timeout)
    if caught_up_after is not None and target is not None and reference is not None:
        first = checked[victim] + 1
        mine = await block_headers(client, urls[victim], first, target)
        theirs = await block_headers(client, urls[reference], first, target)
        record.mismatches += header_mismatches(victim, mine, reference, theirs)
        compared = len(mine)
        record.heights_compared_incrementally += compared
        checked[victim] = target
    signs = repair_signs(processes.log_since_last_start(victim))
    return KillOutcome(planned.number, victim, victim == producer, planned.after_new_head,
                       head_at_kill, RestartOutcome(victim, ready_after, final_before,
                                                    head_after, signs),
                       caught_up_after, target, compared)


async def _producer(client: RpcClient, urls: list[str],
                    processes: NodeProcesses) -> int | None:
    """The node the network names as producer now (ordo_status of the first that answers)."""
    addresses = {node.signer_address.lower(): node.index for node in processes.devnet.nodes}
    for index, url in enumerate(urls):
        if index in processes.killed:
            continue
        with contextlib.suppress(RpcUnavailable, RpcError):
            status = await client.call(url, "ordo_status")
            producer = status.get("producer") if isinstance(status, dict) else None
            if isinstance(producer, str):
                return addresses.get(producer.lower())
    return None


async def _final_or_zero(client: RpcClient, url: str) -> int:
    with contextlib.suppress(RpcUnavailable, RpcError):
        return (await client.final_block(url))[0]
    return 0


async def _wait_new_head(client: RpcClient, url: str) -> int | None:
    """The victim's head right after it moved (None: it did not answer, or did not move in
    NEW_HEAD_WAIT seconds)."""
    deadline = time.monotonic() + NEW_HEAD_WAIT
    first: int | None = None
    while time.monotonic() < deadline:
        with contextlib.suppress(RpcUnavailable, RpcError):
            head = await client.head(url)
            if first is None:
                first = head
            elif head > first:
                return head
        await asyncio.sleep(HEAD_POLL)
    return None


async def _first_answer(victim: int, processes: NodeProcesses, client: RpcClient,
                        urls: list[str], restarted: float, deadline: float
                        ) -> tuple[float | None, int | None, int | None, int | None]:
    """(seconds until the restarted node answered, its head then, the others' highest final
    height then, the node holding it); Nones when it never answered."""
    while time.monotonic() < deadline and processes.exited(victim) is None:
        try:
            head = await client.head(urls[victim])
        except (RpcUnavailable, RpcError):
            await asyncio.sleep(CATCH_UP_POLL)
            continue
        ready_after = time.monotonic() - restarted
        finals: dict[int, int] = {}
        for index, url in enumerate(urls):
            if index != victim:
                with contextlib.suppress(RpcUnavailable, RpcError):
                    finals[index] = (await client.final_block(url))[0]
        if not finals:
            return ready_after, head, None, None
        reference = max(finals, key=lambda index: finals[index])
        return ready_after, head, finals[reference], reference
    return None, None, None, None


async def _caught_up(victim: int, processes: NodeProcesses, client: RpcClient, url: str,
                     target: int, restarted: float, deadline: float) -> float | None:
    """Seconds from restart until the victim's final height reached ``target``."""
    while time.monotonic() < deadline and processes.exited(victim) is None:
        with contextlib.suppress(RpcUnavailable, RpcError):
            if (await client.final_block(url))[0] >= target:
                return time.monotonic() - restarted
        await asyncio.sleep(CATCH_UP_POLL)
    return None


async def _compare_at_end(client: RpcClient, urls: list[str],
                          record: CrashRecord) -> dict[int, str]:
    """Every node's hash and state root at every height up to the common final height; returns
    the agreed chain (height -> hash) for the transaction checks."""
    finals: dict[int, int] = {}
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        finals = {}
        for index, url in enumerate(urls):
            with contextlib.suppress(RpcUnavailable, RpcError):
                finals[index] = (await client.final_block(url))[0]
        if len(finals) == len(urls) and min(finals.values()) == max(finals.values()):
            break
        await asyncio.sleep(0.5)
    missing = [index for index in range(len(urls)) if index not in finals]
    if missing:
        record.violations.append(f"nodes {missing} did not answer at the end")
    if not finals:
        return {}
    common = min(finals.values())
    record.common_final_height = common
    chains = {}
    for index in sorted(finals):
        try:
            chains[index] = await block_headers(client, urls[index], 0, common)
        except (RpcUnavailable, RpcError) as error:
            record.violations.append(f"node {index} did not answer at the end: {error}")
    record.heights_compared_at_end = common + 1
    record.mismatches += all_mismatches(chains)
    reference = chains[min(chains)] if chains else {}
    return {height: header.hash for height, header in reference.items() if header is not None}


async def _transaction_counts(client: RpcClient, urls: list[str], load: TransferLoad,
                              canonical: dict[int, str], record: CrashRecord) -> dict[str, Any]:
    transactions = list(load.transactions.values())
    record.violations += check_receipts_final(
        [tx for tx in transactions if tx.receipt_block is not None
         and tx.receipt_block[0] in canonical], canonical)
    acknowledged = [tx for tx in transactions if tx.acknowledged]
    outcomes: dict[str, tuple[str, str | None]] = {}
    for first in range(0, len(acknowledged), 20):
        batch = acknowledged[first:first + 20]
        results = await asyncio.gather(*(transaction_outcome(client, urls, tx.hash, canonical)
                                         for tx in batch))
        outcomes.update((tx.hash, outcome) for tx, (outcome, _) in zip(batch, results,
                                                                       strict=True))
    kinds, reasons, lost = tally_outcomes(outcomes)
    record.violations += lost[:20]
    return {"sent": load.counters.sent, "acknowledged": len(acknowledged),
            "final": kinds.get("final", 0), "pending": kinds.get("pending", 0),
            "dropped": kinds.get("dropped", 0), "drop_reasons": dict(reasons),
            "lost": kinds.get("lost", 0), "rebroadcasts": load.counters.rebroadcasts,
            "readmitted_by_rebroadcast": load.counters.readmitted}
