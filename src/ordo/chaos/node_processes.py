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
    def __init__(self, root: Path, nodes: int, block_time: float | None = None) -> None:
        self.layout = DevnetLayout(root)
        self.count = nodes
        self.block_time = block_time
        self.devnet: ProvisionedDevnet = provision(self.layout, DevnetShape(nodes=nodes))
        self.ports = allocate_ports(nodes)
        self.peer_ports: dict[int, list[int]] = {index: [] for index in range(nodes)}
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self.paused: set[int] = set()
        self.killed: set[int] = set()

    def rpc_url(self, index: int) -> str:
        return f"http://{HOST}:{self.ports[index].rpc}"

    def log_path(self, index: int) -> Path:
        return self.layout.log_path(index)

    def command(self, index: int) -> list[str]:
        node = self.devnet.nodes[index]
        line = [sys.executable, "-m", "ordo", "node", "--data-dir", str(node.data_dir),
                "--genesis", str(self.devnet.genesis_path), "--rpc-host", HOST,
                "--rpc-port", str(self.ports[index].rpc), "--signer-key",
                str(node.signer_key_path), "--p2p-host", HOST,
                "--p2p-port", str(self.ports[index].p2p), "--node-key", str(node.node_key_path)]
        for port in self.peer_ports[index]:
            line += ["--peer", f"{HOST}:{port}"]
        if self.block_time is not None:
            line += ["--block-time", repr(self.block_time)]
        return line

    def start(self, index: int) -> int:
        with self.log_path(index).open("ab") as log:
            process = subprocess.Popen(self.command(index), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self._processes[index] = process
        self.killed.discard(index)
        return process.pid

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
