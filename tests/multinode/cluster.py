"""A real ``ordo devnet --nodes N`` for process-level tests: start, inspect, hurt, and clean up.

Everything goes through what an operator has: the devnet command, its ``devnet.json``, the nodes'
JSON-RPC, and signals to process ids. Nothing may outlive a test run, so ``stop`` continues
stopped nodes, stops the devnet's whole session, and kills any node pid still left.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ordo.core.genesis import Genesis
from ordo.devnet.ports import free_port_block

REPO_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


class ClusterError(AssertionError):
    """Something the test waited for did not happen; the message says what was last seen."""


def rpc(url: str, method: str, *params: Any, timeout: float = 3.0) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                       "params": list(params)}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise ClusterError(f"{method} at {url}: {answer['error']}")
    return answer["result"]


def wait_until(what: str, probe: Callable[[], T | None], timeout: float,
               interval: float = 0.2) -> T:
    """Poll ``probe`` until it returns something other than None (errors count as None)."""
    deadline = time.monotonic() + timeout
    last: object = "nothing yet"
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, urllib.error.URLError, ValueError, ClusterError) as error:
            last = error
        else:
            if value is not None:
                return value
            last = "not yet"
        time.sleep(interval)
    raise ClusterError(f"{what}: not within {timeout:g} s (last: {last})")


class DevnetCluster:
    def __init__(self, workdir: Path, nodes: int = 4, extra: tuple[str, ...] = ()) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "devnet"
        self.node_count = nodes
        self.extra = extra
        self.base_port = free_port_block(nodes)
        self.p2p_base_port = free_port_block(nodes)
        self.process: subprocess.Popen[bytes] | None = None
        self.output_path = workdir / "devnet-output.txt"
        self.stopped: set[int] = set()
        self._seen_pids: set[int] = set()

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 180.0) -> None:
        command = [sys.executable, "-m", "ordo", "devnet", "--nodes", str(self.node_count),
                   "--data-dir", str(self.data_dir), "--base-port", str(self.base_port),
                   "--p2p-base-port", str(self.p2p_base_port), "--l1", "none", *self.extra]
        with self.output_path.open("ab") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                            start_new_session=True, cwd=REPO_ROOT)
        process = self.process

        def manifest_ready() -> bool | None:
            if process.poll() is not None:
                raise AssertionError(f"ordo devnet exited with {process.returncode}:\n"
                                     f"{self.output()}")
            return True if self.manifest_path.exists() else None

        wait_until("devnet.json", manifest_ready, timeout)

    def stop(self) -> None:
        for index in list(self.stopped):
            self.resume(index)
        pids = set(self._seen_pids)
        with contextlib.suppress(OSError, ValueError, ClusterError):
            pids |= {node["pid"] for node in self.manifest()["nodes"]}
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        for pid in pids:
            _kill_if_ordo(pid)

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")[-6000:]

    def log_tail(self, index: int, lines: int = 40) -> str:
        path = self.data_dir / f"node-{index}" / "node.log"
        with contextlib.suppress(OSError):
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    # --- what the devnet publishes ----------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "devnet.json"

    def manifest(self) -> dict[str, Any]:
        for _ in range(50):  # replaced atomically, but may be absent for a moment
            with contextlib.suppress(OSError, ValueError):
                document: dict[str, Any] = json.loads(self.manifest_path.read_text())
                self._seen_pids |= {node["pid"] for node in document["nodes"]}
                return document
            time.sleep(0.1)
        raise ClusterError(f"cannot read {self.manifest_path}")

    def genesis(self) -> Genesis:
        return Genesis.load(self.data_dir / "genesis.json")

    def node(self, index: int) -> dict[str, Any]:
        node: dict[str, Any] = self.manifest()["nodes"][index]
        return node

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.base_port + index}"

    def pid(self, index: int) -> int:
        return int(self.node(index)["pid"])

    def live(self) -> list[int]:
        return [index for index in range(self.node_count) if index not in self.stopped]

    # --- JSON-RPC ---------------------------------------------------------------------------------

    def call(self, index: int, method: str, *params: Any, timeout: float = 3.0) -> Any:
        return rpc(self.url(index), method, *params, timeout=timeout)

    def status(self, index: int) -> dict[str, Any]:
        status: dict[str, Any] = self.call(index, "ordo_status")
        return status

    def finalized(self, index: int) -> int:
        block = self.call(index, "eth_getBlockByNumber", "finalized", False)
        return int(block["number"], 16)

    def head(self, index: int) -> int:
        return int(self.call(index, "eth_blockNumber"), 16)

    def block_hash(self, index: int, number: int) -> str | None:
        block = self.call(index, "eth_getBlockByNumber", hex(number), False)
        return None if block is None else str(block["hash"])

    def index_of_signer(self, address: str) -> int:
        for node in self.manifest()["nodes"]:
            if node["signer"].lower() == address.lower():
                return int(node["index"])
        raise ClusterError(f"no devnet node signs as {address}")

    # --- waiting --------------------------------------------------------------------------------

    def wait_serving(self, index: int, timeout: float = 120.0) -> None:
        wait_until(f"node {index} answers JSON-RPC", lambda: self.head(index), timeout)

    def max_final(self, nodes: list[int] | None = None) -> int:
        """Highest final block any of ``nodes`` (default: the running ones) reports."""
        best = -1
        for index in nodes if nodes is not None else self.live():
            with contextlib.suppress(OSError, urllib.error.URLError, ValueError, ClusterError):
                best = max(best, self.finalized(index))
        return best

    def wait_final_beyond(self, number: int, nodes: list[int], timeout: float) -> int:
        """Wait until every node of ``nodes`` has a final block above ``number``."""
        def probe() -> int | None:
            heights = [self.finalized(index) for index in nodes]
            return min(heights) if min(heights) > number else None

        return wait_until(f"nodes {nodes} final beyond block {number}", probe, timeout)

    def wait_progress(self, blocks: int = 2, timeout: float = 60.0) -> int:
        """Every running node finalizes ``blocks`` more blocks; returns the common height."""
        start = self.max_final()
        return self.wait_final_beyond(start + blocks - 1, self.live(), timeout)

    # --- hurting nodes ----------------------------------------------------------------------------

    def kill(self, index: int) -> int:
        """SIGKILL node ``index`` like a power cut (the devnet restarts it); returns the pid."""
        pid = self.pid(index)
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_restarted(self, index: int, old_pid: int, timeout: float = 60.0) -> int:
        def probe() -> int | None:
            pid = self.pid(index)
            return pid if pid != old_pid else None

        pid = wait_until(f"node {index} restarted by the devnet", probe, timeout)
        self.wait_serving(index, timeout)
        return pid

    def pause(self, index: int) -> None:
        """SIGSTOP: the node keeps its sockets but does nothing, like a hung machine; the devnet
        does not restart it."""
        os.kill(self.pid(index), signal.SIGSTOP)
        self.stopped.add(index)

    def resume(self, index: int) -> None:
        with contextlib.suppress(ProcessLookupError, ClusterError):
            os.kill(self.pid(index), signal.SIGCONT)
        self.stopped.discard(index)


def _kill_if_ordo(pid: int) -> None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b"ordo" in command:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGKILL)
