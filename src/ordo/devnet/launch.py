"""``ordo devnet``: provision files, start node processes, keep them alive, stop them on signal.

This is the shell around the devnet parts: it owns the signals, the terminal output and the
foreground loop; the decisions live in provision, supervisor and restart_policy.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from rich.console import Console

from ordo.core.genesis import dev_private_keys
from ordo.devnet.l1_choice import DevL1, ExternalL1, L1Choice
from ordo.devnet.l1_provision import (
    L1Devnet,
    check_genesis_anchored,
    check_l1_shape,
    provision_on_l1,
)
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.manifest import L1Entry, NodeEntry, manifest_document, write_manifest
from ordo.devnet.ports import port_is_free
from ordo.devnet.provision import (
    DevnetSetupError,
    DevnetShape,
    ProvisionedDevnet,
    ProvisionedNode,
    provision,
    signer_address,
)
from ordo.devnet.report import render_dev_accounts_hint, render_nodes
from ordo.devnet.restart_policy import RestartPolicy
from ordo.devnet.supervisor import (
    ChildExited,
    ChildReady,
    ChildRestarted,
    ChildSpec,
    ChildStartError,
    Supervisor,
)
from ordo.devnet.topology import NodeAddresses, TopologyError, plan_addresses
from ordo.l1.rpc_errors import L1Error

RPC_HOST = "127.0.0.1"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DEV_L1_INDEX = 0
"""The dev L1's index in its own supervisor."""
Result = TypeVar("Result")

NodeCommand = Callable[[ProvisionedNode, Path, NodeAddresses], list[str]]
"""Builds the command line of one node from its files, the genesis path and its addresses."""


class DevnetUsageError(Exception):
    """The devnet cannot start as asked; the message tells the operator what to change."""


@dataclass(frozen=True)
class DevnetOptions:
    nodes: int | None = None
    """None: as many as the data dir holds (1 for a new one, or one per --stakes entry)."""
    data_dir: Path = Path("devnet-data")
    base_port: int = 8545
    p2p_base_port: int | None = None
    """None: base_port + 100."""
    stakes: tuple[int, ...] | None = None
    epoch_length: int | None = None
    block_time: float | None = None
    quiet_pending: int | None = None
    """Passed to every node (--quiet-pending); None: the node's default."""
    engine: str | None = None
    """Block executor of every node (native, py-evm, auto); None: the node's default (auto)."""
    challenge_window: int | None = None
    """Seconds; None: what the data dir holds, or the devnet default for a new one."""
    sequencer_timeout: int | None = None
    """Seconds (a new devnet on an L1 only); None: the devnet default."""
    dispute_clock: int | None = None
    """Seconds per side of the dispute game (a new devnet on an L1 only); None: the default."""
    ready_timeout: float = 120.0
    stop_grace: float = 10.0
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    l1: L1Choice = field(default_factory=DevL1)
    """Where the sequencer set is staked; None: in the genesis file (no L1)."""

    @property
    def shape(self) -> DevnetShape:
        return DevnetShape(nodes=self.nodes, stakes=self.stakes, epoch_length=self.epoch_length,
                           challenge_window=self.challenge_window,
                           sequencer_timeout=self.sequencer_timeout,
                           dispute_clock=self.dispute_clock)


def ordo_node_command(block_time: float | None, l1_rpc: str | None = None,
                      engine: str | None = None,
                      quiet_pending: int | None = None) -> NodeCommand:
    def command(node: ProvisionedNode, genesis_path: Path, addresses: NodeAddresses
                ) -> list[str]:
        line = [sys.executable, "-m", "ordo", "node", "--data-dir", str(node.data_dir),
                "--genesis", str(genesis_path), "--rpc-host", RPC_HOST,
                "--rpc-port", str(addresses.rpc_port), "--signer-key", str(node.signer_key_path),
                "--p2p-host", RPC_HOST, "--p2p-port", str(addresses.p2p_port),
                "--node-key", str(node.node_key_path)]
        for host, port in addresses.peers:
            line += ["--peer", f"{host}:{port}"]
        if block_time is not None:
            line += ["--block-time", repr(block_time)]
        if quiet_pending is not None:
            line += ["--quiet-pending", str(quiet_pending)]
        if l1_rpc is not None:
            line += ["--l1-rpc", l1_rpc]
        if engine is not None:
            line += ["--engine", engine]
        return line

    return command


def check_options(options: DevnetOptions) -> None:
    """Refuse what is wrong whatever the data dir holds, before anything is written."""
    try:
        shape = options.shape
        addresses = plan_addresses(shape.new_node_count, options.base_port,
                                   options.p2p_base_port)
        if options.l1 is not None:
            check_l1_shape(shape)
    except (DevnetSetupError, TopologyError) as error:
        raise DevnetUsageError(str(error)) from error
    if isinstance(options.l1, DevL1):
        port = options.l1.port_for(options.base_port)
        taken = {entry.rpc_port for entry in addresses} | {entry.p2p_port for entry in addresses}
        if not 1 <= port <= 65535:
            raise DevnetUsageError(f"--l1-port {port}: must lie within 1..65535")
        if port in taken:
            raise DevnetUsageError(f"--l1-port {port}: a node listens there; pick another "
                                   "--l1-port or --base-port")


def run_devnet(options: DevnetOptions, console: Console,
               node_command: NodeCommand | None = None) -> int:
    """Run the devnet in the foreground until SIGINT or SIGTERM; returns the exit code."""
    try:
        check_options(options)
    except DevnetUsageError as error:
        console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        return EXIT_USAGE
    layout = DevnetLayout(options.data_dir.resolve())
    stop = threading.Event()
    try:
        with _exclusive(layout), _stop_on_signals(stop):
            # A devnet killed with SIGKILL leaves its description behind; readers waiting for
            # this run's description must not find that one.
            layout.manifest_path.unlink(missing_ok=True)
            if options.l1 is not None:
                check_genesis_anchored(layout)
            with _dev_l1(options, layout, console, stop) as l1_supervisor:
                l1_devnet: L1Devnet | None = None
                if options.l1 is None:
                    devnet = provision(layout, options.shape)
                else:
                    l1_devnet = _until_stopped(_provision_on_l1(options, layout, console),
                                               stop)
                    if l1_devnet is None:
                        return EXIT_OK
                    devnet = l1_devnet.devnet
                for path in devnet.created:
                    console.print(f"created {path}", highlight=False)
                addresses = {entry.index: entry for entry in plan_addresses(
                    len(devnet.nodes), options.base_port, options.p2p_base_port)}
                _check_ports_free(addresses)
                command = node_command or ordo_node_command(
                    options.block_time, None if l1_devnet is None else l1_devnet.url,
                    options.engine, options.quiet_pending)
                specs = [ChildSpec(index=node.index,
                                   command=tuple(command(node, devnet.genesis_path,
                                                         addresses[node.index])),
                                   rpc_url=f"http://{RPC_HOST}:"
                                           f"{addresses[node.index].rpc_port}",
                                   log_path=layout.log_path(node.index))
                         for node in devnet.nodes]
                supervisor = Supervisor(specs, options.restart_policy)
                l1_entry = None if l1_devnet is None else _l1_entry(l1_devnet, l1_supervisor)
                try:
                    return _serve(options, console, layout, devnet, addresses, supervisor,
                                  stop, l1_entry, l1_supervisor)
                finally:
                    codes = supervisor.stop_all(options.stop_grace)
                    for index, code in sorted(codes.items()):
                        console.print(f"node {index} stopped (exit code {code})",
                                      highlight=False)
                    layout.manifest_path.unlink(missing_ok=True)
    except (DevnetUsageError, DevnetSetupError, TopologyError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except (L1Error, ChildStartError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        return EXIT_FAILED


@contextmanager
def _dev_l1(options: DevnetOptions, layout: DevnetLayout, console: Console,
            stop: threading.Event) -> Iterator[Supervisor | None]:
    """Run the embedded dev L1 (if chosen) for the whole devnet: it starts before the
    contracts are deployed and stops after the last node, which reads from it."""
    if not isinstance(options.l1, DevL1):
        yield None
        return
    port = options.l1.port_for(options.base_port)
    if not port_is_free(RPC_HOST, port):
        raise DevnetUsageError(f"port {port} on {RPC_HOST} is in use (needed by the dev L1's "
                               "JSON-RPC); stop whatever listens there or pick --l1-port")
    layout.dev_l1_dir.mkdir(parents=True, exist_ok=True)
    command = (sys.executable, "-m", "ordo.devchain", "--host", RPC_HOST, "--port",
               str(port), "--data-dir", str(layout.dev_l1_dir), "--block-time",
               repr(options.l1.block_time))
    url = f"http://{RPC_HOST}:{port}"
    supervisor = Supervisor([ChildSpec(DEV_L1_INDEX, command, url, layout.dev_l1_log_path,
                                       name="the dev L1")],
                            options.restart_policy)
    try:
        pid = supervisor.start(DEV_L1_INDEX)
        console.print(f"L1: starting the dev chain at {url} (pid {pid}), data dir "
                      f"{layout.dev_l1_dir}, log {layout.dev_l1_log_path}", highlight=False)
        head = supervisor.wait_ready(DEV_L1_INDEX, options.ready_timeout, stop)
        if head >= 0:
            console.print(f"L1: dev chain serving, head block {head}", highlight=False)
        yield supervisor
    finally:
        codes = supervisor.stop_all(options.stop_grace)
        for code in codes.values():
            console.print(f"L1 dev chain stopped (exit code {code})", highlight=False)


async def _provision_on_l1(options: DevnetOptions, layout: DevnetLayout,
                           console: Console) -> L1Devnet:
    def progress(line: str) -> None:
        console.print(line, highlight=False, soft_wrap=True)

    if isinstance(options.l1, DevL1):
        url = f"http://{RPC_HOST}:{options.l1.port_for(options.base_port)}"
        key: bytes | None = DevL1.deployer_key()
    else:
        assert isinstance(options.l1, ExternalL1)
        url, key = options.l1.url, options.l1.deployer_key
        progress(f"L1: using {url}")
    return await provision_on_l1(layout, options.shape, url, key, progress)


def _until_stopped(work: Coroutine[Any, Any, Result], stop: threading.Event) -> Result | None:
    """Run ``work`` to its end, or cancel it and return None once ``stop`` is set (Ctrl-C
    while contracts are being deployed)."""
    async def watched() -> Result | None:
        task = asyncio.ensure_future(work)
        while not task.done():
            if stop.is_set():
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
                return None
            await asyncio.wait({task}, timeout=0.2)
        return task.result()

    return asyncio.run(watched())


def _l1_entry(l1_devnet: L1Devnet, l1_supervisor: Supervisor | None) -> L1Entry:
    record = l1_devnet.record
    return L1Entry(url=l1_devnet.url, chain_id=record.chain_id,
                   token=record.deployment.token,
                   locking_pool=record.deployment.locking_pool,
                   deploy_block=record.deployment.deploy_block,
                   origin_number=record.origin_number, rollup=record.rollup,
                   dev_chain_pid=None if l1_supervisor is None
                   else l1_supervisor.pid(DEV_L1_INDEX))


def _check_ports_free(addresses: dict[int, NodeAddresses]) -> None:
    for index, entry in sorted(addresses.items()):
        for port, purpose, option in ((entry.rpc_port, "JSON-RPC", "--base-port"),
                                      (entry.p2p_port, "p2p", "--p2p-base-port")):
            if not port_is_free(RPC_HOST, port):
                raise DevnetUsageError(
                    f"port {port} on {RPC_HOST} is in use (needed by node {index}'s "
                    f"{purpose}); stop whatever listens there or pick {option}")


def _serve(options: DevnetOptions, console: Console, layout: DevnetLayout,
           devnet: ProvisionedDevnet, addresses: dict[int, NodeAddresses],
           supervisor: Supervisor, stop: threading.Event, l1: L1Entry | None = None,
           l1_supervisor: Supervisor | None = None) -> int:
    # All nodes start together: consensus needs a quorum of them before any block is final.
    pids = {node.index: supervisor.start(node.index) for node in devnet.nodes}
    for index, pid in pids.items():
        console.print(f"node {index}: started (pid {pid}), log {layout.log_path(index)}",
                      highlight=False)
    entries: dict[int, NodeEntry] = {}
    for node in devnet.nodes:
        try:
            head = supervisor.wait_ready(node.index, options.ready_timeout, stop)
        except ChildStartError as error:
            console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            return EXIT_FAILED
        if head < 0:
            return EXIT_OK
        console.print(f"node {node.index}: serving JSON-RPC, head block {head}", highlight=False)
        entry = addresses[node.index]
        entries[node.index] = NodeEntry(node.index, pids[node.index], entry.rpc_port,
                                        node.data_dir, node.signer_address, entry.p2p_port,
                                        node.stake, node.peer_id)

    def publish() -> None:
        write_manifest(layout.manifest_path, manifest_document(
            devnet.genesis.chain_id, devnet.genesis_path, list(entries.values()), l1))

    first_key = dev_private_keys(1)[0]  # slow (key derivation): before the table, not inside it
    publish()
    render_nodes(console, list(entries.values()), devnet.genesis.chain_id, l1)
    render_dev_accounts_hint(console, signer_address(first_key), "0x" + first_key.hex())
    console.print(f"devnet description: {layout.manifest_path}", highlight=False)
    while not stop.wait(0.25):
        if l1_supervisor is not None:
            for event in l1_supervisor.poll():
                if l1 is not None and isinstance(event, ChildRestarted):
                    l1 = replace(l1, dev_chain_pid=event.pid)
                    publish()
                _report_l1_event(console, event)
        for event in supervisor.poll():
            if isinstance(event, ChildExited):
                console.print(
                    f"[yellow]node {event.index} (pid {event.pid}) exited unexpectedly with code "
                    f"{event.returncode}; restarting in {event.restart_in:g} s[/yellow]; "
                    f"last log lines:\n{event.log_tail}", highlight=False, soft_wrap=True)
            elif isinstance(event, ChildRestarted):
                entries[event.index] = replace(entries[event.index], pid=event.pid)
                publish()
                console.print(f"node {event.index}: restarted (pid {event.pid})",
                              highlight=False)
            elif isinstance(event, ChildReady):
                console.print(f"node {event.index}: serving JSON-RPC again, head block "
                              f"{event.head}", highlight=False)
    console.print("stopping the devnet", highlight=False)
    return EXIT_OK


def _report_l1_event(console: Console, event: ChildExited | ChildRestarted | ChildReady
                     ) -> None:
    if isinstance(event, ChildExited):
        console.print(f"[yellow]L1 dev chain (pid {event.pid}) exited unexpectedly with code "
                      f"{event.returncode}; restarting in {event.restart_in:g} s[/yellow]; "
                      f"last log lines:\n{event.log_tail}", highlight=False, soft_wrap=True)
    elif isinstance(event, ChildRestarted):
        console.print(f"L1 dev chain: restarted (pid {event.pid})", highlight=False)
    else:
        console.print(f"L1 dev chain: serving again, head block {event.head}",
                      highlight=False)


@contextmanager
def _exclusive(layout: DevnetLayout) -> Iterator[None]:
    """Hold an advisory lock on the data dir: two devnets on one chain would corrupt it."""
    layout.root.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(layout.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise DevnetUsageError(f"another devnet (pid {holder}) is running on {layout.root}; "
                                   "stop it or use another --data-dir") from error
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {signum: signal.signal(signum, handler)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
