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
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from rich.console import Console

from ordo.core.genesis import dev_private_keys
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.manifest import NodeEntry, manifest_document, write_manifest
from ordo.devnet.ports import port_is_free
from ordo.devnet.provision import (
    DevnetSetupError,
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

SUPPORTED_NODE_COUNT = 1
RPC_HOST = "127.0.0.1"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

NodeCommand = Callable[[ProvisionedNode, Path, int], list[str]]
"""Builds the command line of one node from its files, the genesis path and its RPC port."""


class DevnetUsageError(Exception):
    """The devnet cannot start as asked; the message tells the operator what to change."""


@dataclass(frozen=True)
class DevnetOptions:
    nodes: int = 1
    data_dir: Path = Path("devnet-data")
    base_port: int = 8545
    block_time: float | None = None
    ready_timeout: float = 120.0
    stop_grace: float = 10.0
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)


def ordo_node_command(block_time: float | None) -> NodeCommand:
    def command(node: ProvisionedNode, genesis_path: Path, rpc_port: int) -> list[str]:
        line = [sys.executable, "-m", "ordo", "node", "--data-dir", str(node.data_dir),
                "--genesis", str(genesis_path), "--rpc-host", RPC_HOST,
                "--rpc-port", str(rpc_port), "--signer-key", str(node.signer_key_path)]
        if block_time is not None:
            line += ["--block-time", repr(block_time)]
        return line

    return command


def check_options(options: DevnetOptions) -> None:
    if options.nodes < 1:
        raise DevnetUsageError(f"--nodes {options.nodes}: a devnet needs at least one node")
    if options.nodes > SUPPORTED_NODE_COUNT:
        raise DevnetUsageError(
            f"--nodes {options.nodes}: multi-node consensus is not implemented yet, so a devnet "
            f"runs {SUPPORTED_NODE_COUNT} node for now; use --nodes 1")
    last_port = options.base_port + options.nodes - 1
    if options.base_port < 1 or last_port > 65535:
        raise DevnetUsageError(f"--base-port {options.base_port}: node ports "
                               f"{options.base_port}..{last_port} must lie within 1..65535")


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
            devnet = provision(layout, options.nodes)
            for path in devnet.created:
                console.print(f"created {path}", highlight=False)
            ports = {node.index: options.base_port + node.index for node in devnet.nodes}
            for index, port in ports.items():
                if not port_is_free(RPC_HOST, port):
                    raise DevnetUsageError(
                        f"port {port} on {RPC_HOST} is in use (needed by node {index}'s "
                        "JSON-RPC); stop whatever listens there or pick --base-port")
            command = node_command or ordo_node_command(options.block_time)
            specs = [ChildSpec(index=node.index,
                               command=tuple(command(node, devnet.genesis_path, ports[node.index])),
                               rpc_url=f"http://{RPC_HOST}:{ports[node.index]}",
                               log_path=layout.log_path(node.index))
                     for node in devnet.nodes]
            supervisor = Supervisor(specs, options.restart_policy)
            try:
                return _serve(options, console, layout, devnet, ports, supervisor, stop)
            finally:
                codes = supervisor.stop_all(options.stop_grace)
                for index, code in sorted(codes.items()):
                    console.print(f"node {index} stopped (exit code {code})", highlight=False)
                layout.manifest_path.unlink(missing_ok=True)
    except (DevnetUsageError, DevnetSetupError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        return EXIT_USAGE


def _serve(options: DevnetOptions, console: Console, layout: DevnetLayout,
           devnet: ProvisionedDevnet, ports: dict[int, int], supervisor: Supervisor,
           stop: threading.Event) -> int:
    entries: dict[int, NodeEntry] = {}
    for node in devnet.nodes:
        pid = supervisor.start(node.index)
        console.print(f"node {node.index}: started (pid {pid}), log {layout.log_path(node.index)}",
                      highlight=False)
        try:
            head = supervisor.wait_ready(node.index, options.ready_timeout, stop)
        except ChildStartError as error:
            console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            return EXIT_FAILED
        if head < 0:
            return EXIT_OK
        console.print(f"node {node.index}: serving JSON-RPC, head block {head}", highlight=False)
        entries[node.index] = NodeEntry(node.index, pid, ports[node.index], node.data_dir,
                                        node.signer_address)

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
                old = entries[event.index]
                entries[event.index] = NodeEntry(old.index, event.pid, old.rpc_port,
                                                 old.data_dir, old.signer)
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
