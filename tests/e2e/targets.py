"""Start and stop the node the end-to-end tests talk to: an Ordo devnet or, as a reference, anvil.

Both run as real child processes in their own session (process group), so that a failing test,
a timeout or a crash of the test itself can always take down the whole tree: nothing may outlive
the test run.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ordo.devnet.ports import free_devnet_base_port
from tests.l1.l1_process import REPO_ROOT, l1_process

CHAIN_ID = 77077
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
TARGET_ENV = "ORDO_E2E_TARGET"
TARGETS = ("ordo", "anvil")


class TargetError(RuntimeError):
    """The node could not be started or did not become ready; the message says what was seen."""


@dataclass(frozen=True)
class Endpoint:
    """Where a started node answers and what kind of node it is."""

    target: str
    rpc_url: str
    ws_url: str
    chain_id: int


def selected_target() -> str:
    """The target named by ORDO_E2E_TARGET (default ordo); an unknown name is a usage error."""
    target = os.environ.get(TARGET_ENV, "ordo").strip().lower() or "ordo"
    if target not in TARGETS:
        raise TargetError(f"{TARGET_ENV}={target!r} is not one of {', '.join(TARGETS)}")
    return target


def rpc_request(url: str, method: str, params: list[Any], timeout: float = 5.0) -> Any:
    """One JSON-RPC call over HTTP; returns the result or raises TargetError with the error."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise TargetError(f"{method} failed: {answer['error']}")
    return answer["result"]


def wait_for_rpc(url: str, deadline: float, process: subprocess.Popen[bytes]) -> None:
    """Poll eth_blockNumber until it answers; fail early if the process has already exited."""
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TargetError(f"process exited with code {process.returncode} before {url} "
                              f"answered ({last_error})")
        try:
            rpc_request(url, "eth_blockNumber", [], timeout=2.0)
            return
        except (OSError, urllib.error.URLError, TargetError, ValueError) as error:
            last_error = str(error)
        time.sleep(0.2)
    raise TargetError(f"{url} did not answer eth_blockNumber in time ({last_error})")


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGINT and wait, then SIGKILL the whole process group, so no child survives either way."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _kill_if_ordo_process(pid: int) -> None:
    """SIGKILL a leftover node process, but only if the pid still names an ordo process."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b"ordo" in cmdline:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class OrdoDevnet:
    """`python -m ordo devnet --nodes 1` on its own data dir and port, restartable on that dir."""

    def __init__(self, data_dir: Path, base_port: int | None = None,
                 block_time: float | None = None) -> None:
        self.data_dir = data_dir
        self.base_port = base_port if base_port is not None else free_devnet_base_port(1)
        self.block_time = block_time
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._log: IO[bytes] | None = None

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "devnet.json"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}-devnet-{self.starts}.log"

    def start(self) -> Endpoint:
        """Start the devnet command and wait for devnet.json and a JSON-RPC answer (60 s)."""
        if self.process is not None and self.process.poll() is None:
            raise TargetError("devnet is already running")
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # A manifest left by an earlier run names dead pids; wait for the fresh one.
        with contextlib.suppress(FileNotFoundError):
            self.manifest_path.unlink()
        self.starts += 1
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", "ordo", "devnet", "--nodes", "1", "--l1", "none",
                   "--data-dir", str(self.data_dir), "--base-port", str(self.base_port)]
        if self.block_time is not None:
            # A block every block_time, as anvil --block-time: no block starts at once for a
            # quiet chain, so a sent transaction stays pending for a while.
            command += ["--block-time", str(self.block_time), "--quiet-pending", "0"]
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=REPO_ROOT,
        )
        try:
            return self._wait_ready(time.monotonic() + READY_TIMEOUT_S)
        except BaseException as error:
            self.stop()
            if isinstance(error, TargetError):
                raise TargetError(f"{error}\n--- devnet log ---\n{_log_tail(self.log_path)}"
                                  ) from error
            raise

    def _wait_ready(self, deadline: float) -> Endpoint:
        assert self.process is not None
        while not self.manifest_path.exists():
            if self.process.poll() is not None:
                raise TargetError(f"ordo devnet exited with code {self.process.returncode} "
                                  "before writing devnet.json")
            if time.monotonic() > deadline:
                raise TargetError(f"{self.manifest_path} did not appear in time")
            time.sleep(0.2)
        manifest = self.read_manifest(deadline)
        node = manifest["nodes"][0]
        endpoint = Endpoint("ordo", node["rpc"], node["ws"], int(manifest["chainId"]))
        wait_for_rpc(endpoint.rpc_url, deadline, self.process)
        return endpoint

    def read_manifest(self, deadline: float | None = None) -> dict[str, Any]:
        """devnet.json, retried briefly because the supervisor may be rewriting it right now."""
        deadline = deadline if deadline is not None else time.monotonic() + 5.0
        while True:
            try:
                manifest: dict[str, Any] = json.loads(self.manifest_path.read_text())
                if manifest.get("nodes"):
                    return manifest
                problem = "no nodes listed"
            except (OSError, ValueError) as error:
                problem = str(error)
            if time.monotonic() > deadline:
                raise TargetError(f"unreadable {self.manifest_path}: {problem}")
            time.sleep(0.1)

    def node_pid(self) -> int:
        return int(self.read_manifest()["nodes"][0]["pid"])

    def kill_node(self) -> int:
        """SIGKILL the node process (not the supervisor) the way a power cut would; its pid."""
        pid = self.node_pid()
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        """SIGINT the supervisor and wait; then make sure no process of this devnet is left."""
        node_pids: list[int] = []
        with contextlib.suppress(TargetError):
            node_pids = [int(node["pid"]) for node in self.read_manifest(time.monotonic())["nodes"]]
        if self.process is not None:
            stop_process_group(self.process)
        for pid in node_pids:
            _kill_if_ordo_process(pid)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self) -> str:
        return _log_tail(self.log_path)


@contextmanager
def running_node(target: str, workdir: Path, block_time: float | None = None
                 ) -> Iterator[Endpoint]:
    """A freshly started node of the selected kind, stopped (never left behind) on exit; anvil
    is run by tests/l1/l1_process.py, with the devnet's chain id and Prague.

    ``block_time`` None keeps each node's default (Ordo: a block at once for a few pending
    transactions, 250 ms apart under load; anvil here: a block every second); a ``block_time``
    makes both produce on that fixed period (Ordo: ``--quiet-pending 0``).
    """
    if target == "anvil":
        with l1_process("anvil", chain_id=CHAIN_ID, block_time=block_time or 1.0,
                        instant=False, extra=("--hardfork", "prague"),
                        log=workdir / "anvil.log") as l1:
            url = l1.url.rstrip("/")
            yield Endpoint("anvil", url, url.replace("http://", "ws://", 1), CHAIN_ID)
        return
    node = OrdoDevnet(workdir / "devnet", block_time=block_time)
    try:
        yield node.start()
    finally:
        node.stop()
