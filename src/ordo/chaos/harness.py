"""One chaos run: a live network behind link proxies, load, seeded faults, then the invariants.

The shell around the pure parts (fault_plan, invariants, stall_metrics): it owns the processes,
sockets and clocks. Node processes are stopped in a synchronous ``finally`` outside the event
loop, so nothing outlives the run whatever goes wrong inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
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
from ordo.chaos.l1_chain import L1_KINDS, L1Chain
from ordo.chaos.l1_rig import L1Rig, provision_devnet_on_l1, wait_serving
from ordo.chaos.link_proxy import LinkProxy
from ordo.chaos.netns_hosts import NetnsError, NetnsHosts
from ordo.chaos.netns_hosts import unavailable as netns_unavailable
from ordo.chaos.node_processes import NodeProcesses
from ordo.chaos.rpc_client import RpcClient, RpcError, RpcUnavailable
from ordo.chaos.small_disk import DiskUnavailable, fill_disk, free_disk, mount_small_disk, unmount
from ordo.chaos.stall_metrics import block_time, longest_stall, percentile, recovery_after
from ordo.chaos.transfer_load import REBROADCAST_AFTER, TransferLoad
from ordo.core.genesis import dev_private_keys
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.provision import DevnetSetupError
from ordo.l1.rpc_errors import L1Error

LOAD_ACCOUNTS = 10
L1_FAULTS = (FaultKind.L1_DOWN, FaultKind.L1_REORG, FaultKind.POSTER_KILL, FaultKind.DISK_FULL)
BATCH_RECOVERY = 120.0
"""Seconds a batch may take to land after the last heal: an epoch's batch, plus a takeover."""
SUPERVISE_POLL = 0.5


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
    l1: str | None = None
    """"anvil" or "dev": the network stands on that L1 (staked there, posting batches to its
    inbox) and the L1 faults join the plan; None: a genesis-only network."""
    only: tuple[str, ...] = ()
    """Fault kinds (values of FaultKind) to cycle through instead of drawing them by weight."""
    hosts: bool = False
    """Run each node as its own host (a network namespace with its own address, root only),
    with WAN links between them through the link proxies; HOST_CUT joins the plan."""
    wan_rtt: tuple[float, float] = (0.05, 0.15)
    """With ``hosts``: each pair's round trip, drawn from this range (seconds)."""
    wan_loss: float = 0.01
    """With ``hosts``: every link's own loss (a chunk stalls, now and then a reset)."""

    def __post_init__(self) -> None:
        if self.l1 is not None and self.l1 not in L1_KINDS:
            raise ValueError(f"l1: {self.l1!r} is not allowed; use one of {', '.join(L1_KINDS)}")
        known = {kind.value for kind in FaultKind}
        for kind in self.only:
            if kind not in known:
                raise ValueError(f"faults: {kind!r} is not a fault kind; use some of "
                                 f"{', '.join(sorted(known))}")
            if self.l1 is None and FaultKind(kind) in L1_FAULTS:
                raise ValueError(f"faults: {kind} needs a network on an L1 (--l1 anvil|dev)")
        if not self.hosts and FaultKind.HOST_CUT.value in self.only:
            raise ValueError("faults: host_cut needs hosts of their own (--hosts)")
        if not 0 <= self.wan_rtt[0] <= self.wan_rtt[1] or not 0 <= self.wan_loss < 1:
            raise ValueError(f"wan: rtt {self.wan_rtt} / loss {self.wan_loss} is not allowed; "
                             "use 0 <= low <= high seconds and a loss in [0, 1)")
        if self.l1 == "dev" and FaultKind.L1_REORG.value in self.only:
            raise ValueError("faults: l1_reorg needs anvil (the dev L1 cannot reorganise)")
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
        if self.l1 is not None:
            command += f" --l1 {self.l1}"
        if self.only:
            command += f" --faults {','.join(self.only)}"
        if self.hosts:
            command += (f" --hosts --wan-rtt {self.wan_rtt[0] * 1000:g},"
                        f"{self.wan_rtt[1] * 1000:g} --wan-loss {self.wan_loss:g}")
        return command


@dataclass
class FaultBook:
    injected: Counter[str] = field(default_factory=Counter)
    descriptions: list[str] = field(default_factory=list)
    heals: list[float] = field(default_factory=list)
    heal_kinds: list[str] = field(default_factory=list)
    restarts: list[RestartOutcome] = field(default_factory=list)
    pending_checks: list[asyncio.Task[None]] = field(default_factory=list)
    kills: list[tuple[str, float]] = field(default_factory=list)
    """(description, when) of every SIGKILL a fault sent: failover is measured from there."""
    own_exits: list[dict[str, Any]] = field(default_factory=list)
    """Nodes that stopped by themselves during a run on an L1 (restarted, as a supervisor
    would): the code, whether the log shows a crash, and the last line it wrote."""


@dataclass
class L1Setup:
    chain: L1Chain
    devnet: Any
    disk_node: int | None
    """The node whose data directory is a small tmpfs (DISK_FULL), None if none could be."""


def run_chaos(options: ChaosOptions) -> dict[str, Any]:
    """Run the network under faults and load; returns the JSON summary (``passed`` says if every
    invariant held). Raises ChaosSetupError if the network never became healthy."""
    with run_directory(options.workdir, "ordo-chaos-") as run, contextlib.ExitStack() as stack:
        root = run.path
        hosts = _set_up_hosts(options, stack) if options.hosts else None
        setup = None if options.l1 is None else _set_up_l1(options, root, stack, hosts)
        processes = NodeProcesses(root / "net", options.nodes, options.block_time,
                                  devnet=None if setup is None else setup.devnet,
                                  log_dir=None if setup is None else root / "logs",
                                  hosts=hosts)
        try:
            summary = asyncio.run(_drive(options, processes, setup))
        finally:
            processes.stop_all()
        summary["workdir"] = str(root)
        run.failed = not summary["passed"]
        if not summary["passed"]:
            summary["node_log_tails"] = {index: processes.log_tail(index, 15)
                                         for index in range(options.nodes)}
        return summary


@dataclass
class RunDirectory:
    path: Path
    failed: bool = False
    """Set when the run's summary did not pass: a temporary directory is then kept."""


@contextlib.contextmanager
def run_directory(chosen: Path | None, prefix: str) -> Iterator[RunDirectory]:
    """The chosen directory (kept), or a temporary one removed only if the run passed (no
    exception, and ``failed`` not set), so a failed run's node data and logs stay for
    inspection."""
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        yield RunDirectory(chosen)
        return
    run = RunDirectory(Path(tempfile.mkdtemp(prefix=prefix)))
    passed = False
    try:
        yield run
        passed = not run.failed
    finally:
        if passed:
            shutil.rmtree(run.path, ignore_errors=True)


def _set_up_hosts(options: ChaosOptions, stack: contextlib.ExitStack) -> NetnsHosts:
    reason = netns_unavailable()
    if reason is not None:
        raise ChaosSetupError(f"--hosts: {reason}")
    hosts = NetnsHosts(options.nodes)
    try:
        hosts.set_up()
    except NetnsError as error:
        raise ChaosSetupError(f"--hosts: {error}") from error
    stack.callback(hosts.tear_down)
    return hosts


def _set_up_l1(options: ChaosOptions, root: Path, stack: contextlib.ExitStack,
               hosts: NetnsHosts | None) -> L1Setup:
    """Start the L1, mount the small disk under the last node's data directory (root only),
    stake the devnet; everything is undone by ``stack``."""
    assert options.l1 is not None
    chain = L1Chain(options.l1, root / "l1", host="127.0.0.1" if hosts is None
                    else hosts.gateway)
    chain.start()
    stack.callback(chain.stop)
    layout = DevnetLayout(root / "net")
    disk_node: int | None = options.nodes - 1
    try:
        mount_small_disk(layout.node_dir(options.nodes - 1))
        stack.callback(unmount, layout.node_dir(options.nodes - 1))
    except DiskUnavailable:
        disk_node = None
    try:
        asyncio.run(wait_serving(chain.url, 60.0))
        devnet = asyncio.run(provision_devnet_on_l1(layout, options.nodes, chain.url))
    except (L1Error, OSError, TimeoutError, DevnetSetupError) as error:
        raise ChaosSetupError(f"the devnet could not be staked on the {options.l1} L1: "
                              f"{error}") from error
    return L1Setup(chain, devnet, disk_node)


async def _drive(options: ChaosOptions, processes: NodeProcesses,
                 setup: L1Setup | None) -> dict[str, Any]:
    with sigterm_cancels_run():
        return await _with_proxies(options, processes, setup)


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


async def _with_proxies(options: ChaosOptions, processes: NodeProcesses,
                        setup: L1Setup | None) -> dict[str, Any]:
    proxies: dict[tuple[int, int], LinkProxy] = {}
    rig: L1Rig | None = None
    async with aiohttp.ClientSession() as session:
        try:
            if setup is not None:
                l1_proxy = LinkProxy(-1, -1, setup.chain.port, seed=options.seed,
                                     host=setup.chain.host)
                rig = L1Rig(setup.chain.url, l1_proxy, setup.devnet, setup.chain.can_reorg,
                            setup.disk_node)
                processes.l1_rpc = f"http://{l1_proxy.host}:{await l1_proxy.start()}"
            rtts = wan_round_trips(options) if options.hosts else {}
            for source in range(options.nodes):
                for target in range(options.nodes):
                    if source != target:
                        proxy = LinkProxy(source, target, processes.ports[target].p2p,
                                          seed=options.seed * 1000 + source * 10 + target,
                                          host=processes.peer_host,
                                          target_host=processes.addresses[target],
                                          local_host=_source_alias(processes, source))
                        if rtts:
                            proxy.set_baseline(rtts[min(source, target), max(source, target)]
                                               / 2, options.wan_loss)
                        processes.peer_ports[source].append(await proxy.start())
                        proxies[(source, target)] = proxy
            return await _run(options, processes, proxies, RpcClient(session), rig)
        finally:
            for proxy in proxies.values():
                await proxy.close()
            if rig is not None:
                await rig.proxy.close()


def wan_round_trips(options: ChaosOptions) -> dict[tuple[int, int], float]:
    """Each node pair's round trip (seconds), seeded: the same run gets the same WAN."""
    rng = random.Random(options.seed * 7919 + 1)
    return {(a, b): round(rng.uniform(*options.wan_rtt), 4)
            for a in range(options.nodes) for b in range(a + 1, options.nodes)}


def _source_alias(processes: NodeProcesses, source: int) -> str | None:
    return None if processes.hosts is None else processes.hosts.hosts[source].source_alias


async def _run(options: ChaosOptions, processes: NodeProcesses,
               proxies: dict[tuple[int, int], LinkProxy], client: RpcClient,
               rig: L1Rig | None) -> dict[str, Any]:
    urls = [processes.rpc_url(index) for index in range(options.nodes)]
    for index in range(options.nodes):
        processes.start(index)
    await wait_healthy(processes, client, urls, options.ready_timeout)

    running = processes.reachable
    watch = FinalityWatch(client, urls, running)
    load = TransferLoad(client, urls, running, dev_private_keys(LOAD_ACCOUNTS),
                        processes.devnet.genesis.chain_id, options.rate, options.seed,
                        options.rebroadcast_after)
    faults = plan_faults(options.seed, options.duration, _plan_shape(options, rig))
    book = FaultBook()
    stop_load = asyncio.Event()
    stop_watch = asyncio.Event()
    started = time.monotonic()
    watch_task = asyncio.create_task(watch.run(stop_watch))
    load_task = asyncio.create_task(load.run(stop_load))
    supervise_task = asyncio.create_task(_supervise(processes, book, stop_watch)) \
        if rig is not None else None
    try:
        for fault in faults:
            await _sleep_until(started + fault.start)
            await _inject(fault, processes, proxies, watch, client, urls, book, options, rig)
            if rig is not None:
                with contextlib.suppress(L1Error, OSError, TimeoutError):
                    rig.book.heal_batch_index.append(await rig.next_index())
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
        for task in (load_task, watch_task, *book.pending_checks,
                     *([supervise_task] if supervise_task is not None else [])):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    ended = time.monotonic()
    summary = await _evaluate(options, processes, client, urls, watch, load, book, faults,
                              started, ended, rig)
    summary["link_proxies"] = {
        "connections": sum(proxy.counters.connections for proxy in proxies.values()),
        "refused_while_cut": sum(proxy.counters.refused for proxy in proxies.values()),
        "target_unreachable": sum(proxy.counters.target_unreachable
                                  for proxy in proxies.values()),
        "closed_by_fault": sum(proxy.counters.closed_by_fault for proxy in proxies.values()),
        "stalled_chunks": sum(proxy.counters.stalls for proxy in proxies.values()),
    }
    return summary


def _plan_shape(options: ChaosOptions, rig: L1Rig | None) -> PlanShape:
    l1_kinds: list[FaultKind] = [FaultKind.HOST_CUT] if options.hosts else []
    if rig is not None:
        l1_kinds += [FaultKind.L1_DOWN, FaultKind.POSTER_KILL]
        if rig.can_reorg:
            l1_kinds.append(FaultKind.L1_REORG)
        if rig.disk_node is not None:
            l1_kinds.append(FaultKind.DISK_FULL)
    only = tuple(FaultKind(kind) for kind in options.only
                 if FaultKind(kind) not in (*L1_FAULTS, FaultKind.HOST_CUT)
                 or FaultKind(kind) in l1_kinds)
    return PlanShape(nodes=options.nodes, l1_kinds=tuple(l1_kinds), only=only)


async def _supervise(processes: NodeProcesses, book: FaultBook, stop: asyncio.Event) -> None:
    """Restart a node that stopped by itself, as a devnet supervisor does, noting how it ended:
    a node may stop cleanly (L1 replaced its chain, say) but must never crash."""
    while not stop.is_set():
        for index in range(processes.count):
            code = processes.exited(index)
            if code is None:
                continue
            life = processes.log_since_last_start(index)
            lines = [line for line in life.splitlines() if line.strip()]
            book.own_exits.append({"node": index, "code": code,
                                   "crashed": code < 0 or "node crashed" in life
                                   or "Traceback" in "\n".join(lines[-30:]),
                                   "last_line": lines[-1][-300:] if lines else ""})
            processes.restart(index)
        await asyncio.sleep(SUPERVISE_POLL)


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
                  options: ChaosOptions, rig: L1Rig | None = None) -> None:
    book.injected[fault.kind.value] += 1
    book.descriptions.append(f"t={fault.start:.1f}s {fault.describe()}")
    if fault.kind in L1_FAULTS:
        assert rig is not None
        await _inject_l1(fault, rig, processes, watch, client, urls, book, options)
    elif fault.kind is FaultKind.KILL:
        await _kill_and_restart(fault.nodes[0], fault.duration, processes, watch, client, urls,
                                book, options)
    elif fault.kind is FaultKind.PAUSE:
        processes.pause(fault.nodes[0])
        await asyncio.sleep(fault.duration)
        processes.resume(fault.nodes[0])
    elif fault.kind is FaultKind.HOST_CUT:
        assert processes.hosts is not None
        processes.cut_off.add(fault.nodes[0])
        processes.hosts.cut_off(fault.nodes[0])
        await asyncio.sleep(fault.duration)
        processes.hosts.reconnect(fault.nodes[0])
        processes.cut_off.discard(fault.nodes[0])
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
                proxy.set_delay(proxy.baseline_delay + fault.delay)
            else:
                proxy.set_loss(max(proxy.baseline_loss, fault.loss))
        await asyncio.sleep(fault.duration)
        for link in links:
            proxies[link].heal()
    book.heals.append(time.monotonic())
    book.heal_kinds.append(fault.kind.value)


async def _inject_l1(fault: Fault, rig: L1Rig, processes: NodeProcesses,
                     watch: FinalityWatch, client: RpcClient, urls: list[str], book: FaultBook,
                     options: ChaosOptions) -> None:
    if fault.kind is FaultKind.L1_DOWN:
        rig.proxy.cut()
        await asyncio.sleep(fault.duration)
        rig.proxy.heal()
        rig.book.l1_down_s += fault.duration
    elif fault.kind is FaultKind.L1_REORG:
        entry = await rig.reorg(fault.depth)
        book.descriptions[-1] += f" (L1 head {entry['head']}, replaced: {entry['replaced']})"
        await asyncio.sleep(fault.duration)
    elif fault.kind is FaultKind.DISK_FULL:
        assert rig.disk_node is not None
        directory = processes.devnet.nodes[rig.disk_node].data_dir
        rig.book.disk_filled_bytes.append(await asyncio.to_thread(fill_disk, directory))
        await asyncio.sleep(fault.duration)
        free_disk(directory)
    else:
        running = processes.reachable()
        node = await rig.find_poster(fault.point, client, urls, running)
        book.descriptions[-1] += f" (node {node})"
        await _kill_and_restart(node, fault.duration, processes, watch, client, urls, book,
                                options)


async def _kill_and_restart(node: int, down_for: float, processes: NodeProcesses,
                            watch: FinalityWatch, client: RpcClient, urls: list[str],
                            book: FaultBook,
                            options: ChaosOptions) -> None:
    """SIGKILL ``node``, keep it down ``down_for`` seconds, restart it, and check the restart
    in the background (a KILL fault and a poster kill do the same)."""
    final_before = watch.record.per_node_final.get(node, 0)
    processes.kill(node)
    book.kills.append((book.descriptions[-1], time.monotonic()))
    await asyncio.sleep(down_for)
    processes.restart(node)
    book.pending_checks.append(asyncio.create_task(_check_restart(
        node, final_before, processes, client, urls[node], book, options.ready_timeout)))


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
                    faults: list[Fault], started: float, ended: float,
                    rig: L1Rig | None = None) -> dict[str, Any]:
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
        "block_time_s": _block_times(watch, faults, book.heals, started, ended),
        "recovery_after_last_heal_s": None if recovery is None else round(recovery, 2),
        "worst_recovery_after_heal_s": round(max(recoveries, default=0.0), 2),
        "worst_recovery_by_fault_s": _worst_by_kind(book, watch),
        "next_final_after_kill_s": [
            [description, _rounded(recovery_after(watch.record.progress, moment))]
            for description, moment in book.kills],
        "recovery_by_fault_s": [
            [description, None if value is None else round(value, 2)]
            for description, value in zip(
                book.descriptions, (recovery_after(watch.record.progress, heal)
                                    for heal in book.heals), strict=False)],
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
    if rig is not None:
        origins: dict[int, set[str]] = {}
        if canonical:
            with contextlib.suppress(RpcUnavailable, RpcError):
                origins = await rig.l2_origins(client, urls[0], max(canonical))
        l1_summary, l1_violations = await rig.evaluate(canonical, BATCH_RECOVERY, origins)
        l1_summary["own_exits"] = book.own_exits
        violations += l1_violations
        violations += [f"node {exit_['node']} crashed (code {exit_['code']}): "
                       f"{exit_['last_line']}" for exit_ in book.own_exits if exit_["crashed"]]
        summary["l1"] = {"kind": options.l1, **l1_summary}
        summary["violations"] = violations
        summary["passed"] = not violations
    summary["repeat"] = options.repeat_command()
    return summary


def _delays(delays: list[float]) -> dict[str, float | None]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {"p50": rounded(percentile(delays, 0.5)), "p99": rounded(percentile(delays, 0.99)),
            "max": rounded(delays[-1] if delays else None)}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _block_times(watch: FinalityWatch, faults: list[Fault], heals: list[float], started: float,
                 ended: float) -> dict[str, float | None]:
    """Seconds per final block before the first fault and from 5 s after the last heal on."""
    first = started + (faults[0].start if faults else ended - started)
    last = heals[-1] if heals else started

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 3)

    return {"before_faults": rounded(block_time(watch.record.progress, started, first)),
            "after_faults": rounded(block_time(watch.record.progress, last + 5.0, ended))}


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
