"""``ordo devnet``: provision files, start node processes, keep them alive, stop them on signal.

This is the shell around the devnet parts: it owns the signals, the terminal output and the
foreground loop; the decisions live in provision, supervisor and restart_policy.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

from rich.console import Console

from ordo.core.genesis import dev_private_keys
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.manifest import NodeEntry, manifest_document, write_manifest
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

RPC_HOST = "127.0.0.1"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

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
    ready_timeout: float = 120.0
    stop_grace: float = 10.0
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)

    @property
    def shape(self) -> DevnetShape:
        return DevnetShape(nodes=self.nodes, stakes=self.stakes, epoch_length=self.epoch_length)


def ordo_node_command(block_time: float | None) -> NodeCommand:
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
        return line

    return command


def check_options(options: DevnetOptions) -> None:
    """Refuse what is wrong whatever the data dir holds, before anything is written."""
    try:
        shape = options.shape
        plan_addresses(shape.new_node_count, options.base_port, options.p2p_base_port)
    except (DevnetSetupError, TopologyError) as error:
        raise DevnetUsageError(str(error)) from error


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
            devnet = provision(layout, options.shape)
            for path in devnet.created:
                console.print(f"created {path}", highlight=False)
            addresses = {entry.index: entry for entry in plan_addresses(
                len(devnet.nodes), options.base_port, options.p2p_base_port)}
            _check_ports_free(addresses)
            command = node_command or ordo_node_command(options.block_time)
            specs = [ChildSpec(index=node.index,
                               command=tuple(command(node, devnet.genesis_path,
                                                     addresses[node.index])),
                               rpc_url=f"http://{RPC_HOST}:{addresses[node.index].rpc_port}",
                               log_path=layout.log_path(node.index))
                     for node in devnet.nodes]
            supervisor = Supervisor(specs, options.restart_policy)
            try:
                return _serve(options, console, layout, devnet, addresses, supervisor, stop)
            finally:
                codes = supervisor.stop_all(options.stop_grace)
                for index, code in sorted(codes.items()):
                    console.print(f"node {index} stopped (exit code {code})", highlight=False)
                layout.manifest_path.unlink(missing_ok=True)
    except (DevnetUsageError, DevnetSetupError, TopologyError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        return EXIT_USAGE


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
           supervisor: Supervisor, stop: threading.Event) -> int:
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
            devnet.genesis.chain_id, devnet.genesis_path, list(entries.values())))

    publish()
    render_nodes(console, list(entries.values()), devnet.genesis.chain_id)
    first_key = dev_private_keys(1)[0]
    render_dev_accounts_hint(console, signer_address(first_key), "0x" + first_key.hex())
    console.print(f"devnet description: {layout.manifest_path}", highlight=False)
    while not stop.wait(0.25):
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
