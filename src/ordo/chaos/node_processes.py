"""The chaos network's node processes: started, killed, paused and restarted by the harness.

The topology is built here rather than by ``ordo devnet`` because every node must dial its peers
through the harness's link proxies, and because the harness, not a supervisor, decides when a
killed node comes back. Genesis and keys come from the devnet's provisioning.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ordo.chaos.netns_hosts import P2P_PORT, RPC_PORT, NetnsHosts
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.ports import free_port
from ordo.devnet.provision import DevnetShape, ProvisionedDevnet, provision

HOST = "127.0.0.1"
RESTART_MARK = "==== chaos: node restarted after SIGKILL ===="
"""Written into a node's log before each restart, so the lines of each life can be told apart."""


@dataclass(frozen=True)
class NodePorts:
    rpc: int
    p2p: int


def allocate_ports(count: int) -> list[NodePorts]:
    """Ports no other node (or anything else this process started) is given; kept across
    restarts, and outside the ephemeral range so no outgoing connection takes one meanwhile."""
    return [NodePorts(rpc=free_port(HOST), p2p=free_port(HOST)) for _ in range(count)]


class NodeProcesses:
    def __init__(self, root: Path, nodes: int, block_time: float | None = None, *,
                 devnet: ProvisionedDevnet | None = None, log_dir: Path | None = None,
                 hosts: NetnsHosts | None = None) -> None:
        """``devnet``: one provisioned already (on an L1, say); else a genesis-only one is made.
        ``log_dir``: where the node logs go instead of each node's data directory (which a
        DISK_FULL fault fills). ``hosts``: run node i in network namespace i at its own
        address (same ports on every host), instead of all on 127.0.0.1."""
        self.layout = DevnetLayout(root)
        self.count = nodes
        self.block_time = block_time
        self.devnet: ProvisionedDevnet = devnet or provision(self.layout,
                                                             DevnetShape(nodes=nodes))
        self.log_dir = log_dir
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
        self.l1_rpc: str | None = None
        """The URL every node reaches the L1 at (the harness's L1 proxy), if on an L1."""
        self.hosts = hosts
        self.addresses = [HOST] * nodes if hosts is None else \
            [host.address for host in hosts.hosts]
        self.ports = allocate_ports(nodes) if hosts is None else \
            [NodePorts(rpc=RPC_PORT, p2p=P2P_PORT)] * nodes
        self.peer_ports: dict[int, list[int]] = {index: [] for index in range(nodes)}
        self.peer_host = HOST if hosts is None else hosts.gateway
        """Where the ``peer_ports`` listen (the link proxies' address)."""
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self.paused: set[int] = set()
        self.killed: set[int] = set()
        self.cut_off: set[int] = set()
        """Hosts whose link is down (HOST_CUT): running, but nobody reaches them."""

    def rpc_url(self, index: int) -> str:
        return f"http://{self.addresses[index]}:{self.ports[index].rpc}"

    def log_path(self, index: int) -> Path:
        if self.log_dir is not None:
            return self.log_dir / f"node-{index}.log"
        return self.layout.log_path(index)

    def command(self, index: int) -> list[str]:
        node = self.devnet.nodes[index]
        prefix = [] if self.hosts is None else self.hosts.prefix(index)
        host = self.addresses[index]
        line = [*prefix, sys.executable, "-m", "ordo", "node", "--data-dir", str(node.data_dir),
                "--genesis", str(self.devnet.genesis_path), "--rpc-host", host,
                "--rpc-port", str(self.ports[index].rpc), "--signer-key",
                str(node.signer_key_path), "--p2p-host", host,
                "--p2p-port", str(self.ports[index].p2p), "--node-key", str(node.node_key_path)]
        for port in self.peer_ports[index]:
            line += ["--peer", f"{self.peer_host}:{port}"]
        if self.block_time is not None:
            line += ["--block-time", repr(self.block_time)]
        if self.l1_rpc is not None:
            line += ["--l1-rpc", self.l1_rpc]
        return line

    def start(self, index: int) -> int:
        with self.log_path(index).open("ab") as log:
            process = subprocess.Popen(self.command(index), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self._processes[index] = process
        self.killed.discard(index)
        return process.pid

    def reachable(self) -> list[int]:
        """Nodes the harness can talk to: not killed, paused or cut off."""
        return [index for index in range(self.count) if index not in self.killed
                and index not in self.paused and index not in self.cut_off]

    def pid(self, index: int) -> int:
        return self._processes[index].pid

    def exited(self, index: int) -> int | None:
        """The exit code of a node that ended on its own (not by the harness), else None."""
        if index in self.killed:
            return None
        return self._processes[index].poll()

    def kill(self, index: int) -> None:
        self.resume(index)
        process = self._processes[index]
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.killed.add(index)

    def restart(self, index: int) -> int:
        with self.log_path(index).open("ab") as log:
            log.write(f"\n{RESTART_MARK}\n".encode())
        return self.start(index)

    def pause(self, index: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid(index), signal.SIGSTOP)
        self.paused.add(index)

    def resume(self, index: int) -> None:
        if index in self.paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid(index), signal.SIGCONT)
            self.paused.discard(index)

    def stop_all(self, grace: float = 10.0) -> None:
        """Continue paused nodes, SIGTERM everything, SIGKILL what outlives the grace period."""
        for index in list(self.paused):
            self.resume(index)
        for process in self._processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self._processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                process.wait(timeout=10)

    def log_since_last_start(self, index: int) -> str:
        with contextlib.suppress(OSError):
            text = self.log_path(index).read_text(errors="replace")
            return text.rsplit(RESTART_MARK, 1)[-1]
        return ""

    def log_text(self, index: int) -> str:
        with contextlib.suppress(OSError):
            return self.log_path(index).read_text(errors="replace")
        return ""

    def log_tail(self, index: int, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path(index).read_text(errors="replace")
                             .splitlines()[-lines:])
        return "(no log)"
