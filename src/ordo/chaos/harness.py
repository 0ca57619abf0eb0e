"""One chaos run: a live network behind link proxies, load, seeded faults, then the invariants.

The shell around the pure parts (fault_plan, invariants, stall_metrics): it owns the processes,
sockets and clocks. Node processes are stopped in a synchronous ``finally`` outside the event
loop, so nothing outlives the run whatever goes wrong inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from ordo.chaos.fault_plan import Fault, FaultKind, PlanShape, cut_links, directed, plan_faults
from ordo.chaos.finality_watch import FinalityWatch
from ordo.chaos.invariants import (
    RestartOutcome,
    canonical_chain,
    check_identical_chains,
    check_receipts_final,
    check_recovery,
    check_restarts,
    classify,
    repair_signs,
    tally_outcomes,
)
from ordo.chaos.link_proxy import LinkProxy
from ordo.chaos.node_processes import NodeProcesses
from ordo.chaos.rpc_client import RpcClient, RpcError, RpcUnavailable
from ordo.chaos.stall_metrics import longest_stall, percentile, recovery_after
from ordo.chaos.transfer_load import REBROADCAST_AFTER, TransferLoad
from ordo.core.genesis import dev_private_keys

LOAD_ACCOUNTS = 10


class ChaosSetupError(Exception):
    """The network could not be brought up healthy before any fault; nothing was tested."""


@dataclass(frozen=True)
class ChaosOptions:
    seed: int
    duration: float
    nodes: int = 4
    rate: float = 20.0
    """Transactions per second offered (spread over the development accounts)."""
    recovery_bound: float = 30.0
    """Seconds within which a block must become final after the last heal."""
    drain_timeout: float = 45.0
    ready_timeout: float = 120.0
    workdir: Path | None = None
    """Where node data and logs go; None: a temporary directory removed after a passing run."""
    block_time: float | None = None
    rebroadcast_after: float | None = REBROADCAST_AFTER
    """Seconds before the load sends a stuck transaction again; None: never (a transaction
    then only reaches a block through the network's own gossip and journal)."""

    def __post_init__(self) -> None:
        if self.duration < 20:
            raise ValueError(f"duration: {self.duration!r} is not allowed; use at least 20 "
                             "seconds (warm-up and cool-down alone take 20)")
        if self.nodes < 2:
            raise ValueError(f"nodes: {self.nodes} is not allowed; use at least 2")
        if self.rate <= 0:
            raise ValueError(f"rate: {self.rate!r} is not allowed; use a positive number")
        if self.rebroadcast_after is not None and self.rebroadcast_after <= 0:
            raise ValueError(f"rebroadcast_after: {self.rebroadcast_after!r} is not allowed; "
                             "use seconds > 0, or None for never")
        if self.recovery_bound <= 0 or self.drain_timeout < 0 or self.ready_timeout <= 0:
            raise ValueError("recovery_bound, ready_timeout must be positive and "
                             "drain_timeout not negative")

    def repeat_command(self) -> str:
        command = (f"python -m ordo.chaos --seed {self.seed} --duration {self.duration:g} "
                   f"--nodes {self.nodes} --rate {self.rate:g}")
        if self.recovery_bound != ChaosOptions.recovery_bound:
            command += f" --recovery-bound {self.recovery_bound:g}"
        if self.rebroadcast_after != ChaosOptions.rebroadcast_after:
            command += f" --rebroadcast-after {self.rebroadcast_after or 0:g}"
        return command


@dataclass
class FaultBook:
    injected: Counter[str] = field(default_factory=Counter)
    descriptions: list[str] = field(default_factory=list)
    heals: list[float] = field(default_factory=list)
    heal_kinds: list[str] = field(default_factory=list)
    restarts: list[RestartOutcome] = field(default_factory=list)
    pending_checks: list[asyncio.Task[None]] = field(default_factory=list)


def run_chaos(options: ChaosOptions) -> dict[str, Any]:
    """Run the network under faults and load; returns the JSON summary (``passed`` says if every
    invariant held). Raises ChaosSetupError if the network never became healthy."""
    with run_directory(options.workdir, "ordo-chaos-") as root:
        processes = NodeProcesses(root / "net", options.nodes, options.block_time)
        try:
            summary = asyncio.run(_drive(options, processes))
        finally:
            processes.stop_all()
        summary["workdir"] = str(root)
        if not summary["passed"]:
            summary["node_log_tails"] = {index: processes.log_tail(index, 15)
                                         for index in range(options.nodes)}
        return summary


@contextlib.contextmanager
def run_directory(chosen: Path | None, prefix: str) -> Iterator[Path]:
    """The chosen directory (kept), or a temporary one removed only if the run passed, so a
    failed run's node data and logs stay for inspection."""
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        yield chosen
        return
    root = Path(tempfile.mkdtemp(prefix=prefix))
    passed = False
    try:
        yield root
        passed = True
    finally:
        if passed:
            shutil.rmtree(root, ignore_errors=True)


async def _drive(options: ChaosOptions, processes: NodeProcesses) -> dict[str, Any]:
    with sigterm_cancels_run():
        return await _with_proxies(options, processes)


@contextlib.contextmanager
def sigterm_cancels_run() -> Iterator[None]:
    """SIGTERM cancels the running task like SIGINT does, so every cleanup runs either way."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    handled = False
    if main is not None:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(signal.SIGTERM, main.cancel)
            handled = True
    try:
        yield
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGTERM)


async def _with_proxies(options: ChaosOptions, processes: NodeProcesses) -> dict[str, Any]:
    proxies: dict[tuple[int, int], LinkProxy] = {}
    async with aiohttp.ClientSession() as session:
        try:
            for source in range(options.nodes):
                for target in range(options.nodes):
                    if source != target:
                        proxy = LinkProxy(source, target, processes.ports[target].p2p,
                                          seed=options.seed * 1000 + source * 10 + target)
                        processes.peer_ports[source].append(await proxy.start())
                        proxies[(source, target)] = proxy
            return await _run(options, processes, proxies, RpcClient(session))
        finally:
            for proxy in proxies.values():
                await proxy.close()


async def _run(options: ChaosOptions, processes: NodeProcesses,
               proxies: dict[tuple[int, int], LinkProxy], client: RpcClient) -> dict[str, Any]:
    urls = [processes.rpc_url(index) for index in range(options.nodes)]
    for index in range(options.nodes):
        processes.start(index)
    await wait_healthy(processes, client, urls, options.ready_timeout)

    def running() -> list[int]:
        return [index for index in range(options.nodes)
                if index not in processes.killed and index not in processes.paused]

    watch = FinalityWatch(client, urls, running)
    load = TransferLoad(client, urls, running, dev_private_keys(LOAD_ACCOUNTS),
                        processes.devnet.genesis.chain_id, options.rate, options.seed,
                        options.rebroadcast_after)
    faults = plan_faults(options.seed, options.duration, PlanShape(nodes=options.nodes))
    book = FaultBook()
    stop_load = asyncio.Event()
    stop_watch = asyncio.Event()
    started = time.monotonic()
    watch_task = asyncio.create_task(watch.run(stop_watch))
    load_task = asyncio.create_task(load.run(stop_load))
    try:
        for fault in faults:
            await _sleep_until(started + fault.start)
            await _inject(fault, processes, proxies, watch, client, urls, book, options)
        await _sleep_until(started + options.duration)
        stop_load.set()
        await load_task
        drain_deadline = time.monotonic() + options.drain_timeout
        while load.outstanding() and time.monotonic() < drain_deadline:
            await load.collect_receipts()
            await asyncio.sleep(1.0)
        await _converge(watch, client, urls, timeout=30.0)
        if book.pending_checks:
            await asyncio.gather(*book.pending_checks)
    finally:
        stop_load.set()
        stop_watch.set()
        for task in (load_task, watch_task, *book.pending_checks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    ended = time.monotonic()
    summary = await _evaluate(options, processes, client, urls, watch, load, book, faults,
                              started, ended)
    summary["link_proxies"] = {
        "connections": sum(proxy.counters.connections for proxy in proxies.values()),
        "refused_while_cut": sum(proxy.counters.refused for proxy in proxies.values()),
        "target_unreachable": sum(proxy.counters.target_unreachable
                                  for proxy in proxies.values()),
        "closed_by_fault": sum(proxy.counters.closed_by_fault for proxy in proxies.values()),
        "stalled_chunks": sum(proxy.counters.stalls for proxy in proxies.values()),
    }
    return summary


async def wait_healthy(processes: NodeProcesses, client: RpcClient, urls: list[str],
                       timeout: float) -> None:
    """Every node answers and has a final block beyond genesis, before any fault."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for index in range(len(urls)):
            code = processes.exited(index)
            if code is not None:
                raise ChaosSetupError(f"node {index} exited with code {code} at start:\n"
                                      f"{processes.log_tail(index)}")
        try:
            finals = [(await client.final_block(url))[0] for url in urls]
        except (RpcUnavailable, RpcError):
            finals = []
        if finals and min(finals) >= 1:
            return
        await asyncio.sleep(0.5)
    raise ChaosSetupError(f"the network had no final block on every node within {timeout:g}s")


async def _sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


async def _inject(fault: Fault, processes: NodeProcesses,
                  proxies: dict[tuple[int, int], LinkProxy], watch: FinalityWatch,
                  client: RpcClient, urls: list[str], book: FaultBook,
                  options: ChaosOptions) -> None:
    book.injected[fault.kind.value] += 1
    book.descriptions.append(f"t={fault.start:.1f}s {fault.describe()}")
    if fault.kind is FaultKind.KILL:
        node = fault.nodes[0]
        final_before = watch.record.per_node_final.get(node, 0)
        processes.kill(node)
        await asyncio.sleep(fault.duration)
        processes.restart(node)
        book.pending_checks.append(asyncio.create_task(_check_restart(
            node, final_before, processes, client, urls[node], book, options.ready_timeout)))
    elif fault.kind is FaultKind.PAUSE:
        processes.pause(fault.nodes[0])
        await asyncio.sleep(fault.duration)
        processes.resume(fault.nodes[0])
    else:
        if fault.kind is FaultKind.PARTITION:
            links = cut_links(fault, options.nodes)
        else:
            links = directed(fault.pairs)
        for link in links:
            proxy = proxies[link]
            if fault.kind is FaultKind.PARTITION:
                proxy.cut()
            elif fault.kind is FaultKind.LATENCY:
                proxy.set_delay(fault.delay)
            else:
                proxy.set_loss(fault.loss)
        await asyncio.sleep(fault.duration)
        for link in links:
            proxies[link].heal()
    book.heals.append(time.monotonic())
    book.heal_kinds.append(fault.kind.value)


async def _check_restart(node: int, final_before: int, processes: NodeProcesses,
                         client: RpcClient, url: str, book: FaultBook, timeout: float) -> None:
    restarted = time.monotonic()
    ready_after: float | None = None
    head_after: int | None = None
    while time.monotonic() - restarted < timeout:
        if processes.exited(node) is not None:
            break
        try:
            head_after = await client.head(url)
        except (RpcUnavailable, RpcError):
            await asyncio.sleep(0.3)
            continue
        ready_after = time.monotonic() - restarted
        break
    signs = repair_signs(processes.log_since_last_start(node))
    book.restarts.append(RestartOutcome(node, ready_after, final_before, head_after, signs))


async def _converge(watch: FinalityWatch, client: RpcClient, urls: list[str],
                    timeout: float) -> None:
    """Wait until every node has reached the highest final height any node reported."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await watch.poll_once()
        target = watch.highest_final()
        finals = watch.record.per_node_final
        if len(finals) == len(urls) and min(finals.values()) >= target:
            return
        await asyncio.sleep(0.5)


async def _chain(client: RpcClient, url: str) -> dict[int, str]:
    top, _ = await client.final_block(url)
    chain: dict[int, str] = {}
    for first in range(0, top + 1, 50):
        numbers = range(first, min(first + 50, top + 1))
        hashes = await asyncio.gather(*(client.block_hash(url, number) for number in numbers))
        chain.update({number: block_hash for number, block_hash in zip(numbers, hashes,
                                                                         strict=True)
                      if block_hash is not None})
    return chain


async def transaction_outcome(client: RpcClient, urls: list[str], tx_hash: str,
                              canonical: dict[int, str]) -> tuple[tuple[str, str | None], int]:
    """(outcome, how many nodes hold the transaction as pending)."""
    answers: list[dict[str, object]] = []
    for url in urls:
        with contextlib.suppress(RpcUnavailable, RpcError):
            answer = await client.call(url, "ordo_getTransactionStatus", tx_hash)
            if isinstance(answer, dict):
                answers.append(answer)
                if classify(tx_hash, answers, canonical)[0] == "final":
                    break
    holders = sum(1 for answer in answers if answer.get("status") == "pending")
    return classify(tx_hash, answers, canonical), holders


async def _evaluate(options: ChaosOptions, processes: NodeProcesses, client: RpcClient,
                    urls: list[str], watch: FinalityWatch, load: TransferLoad, book: FaultBook,
                    faults: list[Fault], started: float, ended: float) -> dict[str, Any]:
    violations: list[str] = []
    chains: dict[int, dict[int, str]] = {}
    for index, url in enumerate(urls):
        try:
            chains[index] = await _chain(client, url)
        except (RpcUnavailable, RpcError) as error:
            violations.append(f"node {index} did not answer at the end: {error}")
    chain_violations = check_identical_chains(chains)
    violations += chain_violations
    canonical = canonical_chain(chains)
    transactions = list(load.transactions.values())
    violations += check_receipts_final(transactions, canonical)
    acknowledged = [tx for tx in transactions if tx.acknowledged]
    outcomes: dict[str, tuple[str, str | None]] = {}
    pending_holders: Counter[int] = Counter()
    for first in range(0, len(acknowledged), 20):
        batch = acknowledged[first:first + 20]
        results = await asyncio.gather(*(transaction_outcome(client, urls, tx.hash, canonical)
                                         for tx in batch))
        for tx, (outcome, holders) in zip(batch, results, strict=True):
            outcomes[tx.hash] = outcome
            if outcome[0] == "pending":
                pending_holders[holders] += 1
    kinds, reasons, lost = tally_outcomes(outcomes)
    violations += lost[:20] + ([f"... and {len(lost) - 20} more lost"] if len(lost) > 20 else [])
    violations += check_restarts(book.restarts)
    for index in range(options.nodes):
        code = processes.exited(index)
        if code is not None:
            violations.append(f"node {index} exited by itself with code {code}")
    last_heal = book.heals[-1] if book.heals else started
    recovery = recovery_after(watch.record.progress, last_heal)
    violations += check_recovery(recovery, options.recovery_bound)
    recoveries = [value for value in (recovery_after(watch.record.progress, heal)
                                      for heal in book.heals) if value is not None]
    forks = len(watch.record.forks) + len(chain_violations)
    summary: dict[str, Any] = {
        "seed": options.seed,
        "duration_s": options.duration,
        "nodes": options.nodes,
        "faults": dict(sorted(book.injected.items())),
        "faults_total": len(faults),
        "fault_log": book.descriptions,
        "transactions": {
            "sent": load.counters.sent,
            "acknowledged": len(acknowledged),
            "receipts_received": sum(1 for tx in transactions if tx.receipt_block is not None),
            "final": kinds.get("final", 0),
            "pending": kinds.get("pending", 0),
            "pending_by_holding_nodes": {str(count): number for count, number
                                         in sorted(pending_holders.items())},
            "dropped": kinds.get("dropped", 0),
            "lost": kinds.get("lost", 0),
            "send_attempts": load.counters.attempts,
            "unanswered_sends": load.counters.unanswered,
            "rebroadcasts": load.counters.rebroadcasts,
            "readmitted_by_rebroadcast": load.counters.readmitted,
            "rejections": dict(load.counters.rejections),
            "drop_reasons": dict(reasons),
            "inclusion_delay_s": _delays(load.inclusion_delays()),
        },
        "blocks_final": max((max(chain) for chain in chains.values() if chain), default=-1),
        "forks_seen": forks,
        "longest_stall_s": round(longest_stall(watch.record.progress, started, ended), 2),
        "recovery_after_last_heal_s": None if recovery is None else round(recovery, 2),
        "worst_recovery_after_heal_s": round(max(recoveries, default=0.0), 2),
        "worst_recovery_by_fault_s": _worst_by_kind(book, watch),
        "node_log_tracebacks": {index: processes.log_text(index).count("Traceback")
                                for index in range(options.nodes)},
        "restarts": {
            "count": len(book.restarts),
            "needing_repair": len(check_restarts(book.restarts)),
            "worst_ready_s": round(max((outcome.ready_after or 0.0
                                        for outcome in book.restarts), default=0.0), 2),
        },
        "violations": violations,
        "passed": not violations,
    }
    summary["repeat"] = options.repeat_command()
    return summary


def _delays(delays: list[float]) -> dict[str, float | None]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {"p50": rounded(percentile(delays, 0.5)), "p99": rounded(percentile(delays, 0.99)),
            "max": rounded(delays[-1] if delays else None)}


def _worst_by_kind(book: FaultBook, watch: FinalityWatch) -> dict[str, float | None]:
    """Per fault kind, the slowest first final block after one of its heals (None: never)."""
    worst: dict[str, float | None] = {}
    for kind, heal in zip(book.heal_kinds, book.heals, strict=True):
        recovery = recovery_after(watch.record.progress, heal)
        if recovery is None or worst.get(kind, 0.0) is None:
            worst[kind] = None
        else:
            worst[kind] = round(max(recovery, worst.get(kind) or 0.0), 2)
    return dict(sorted(worst.items()))
