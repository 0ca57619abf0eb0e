"""Running node processes as children: start, wait until they serve, heal crashes, stop cleanly.

Children run in their own session so that Ctrl-C in the terminal reaches only the devnet, which
then stops them in order (SIGTERM, then SIGKILL after a grace period) instead of racing them. On
Linux each child also asks the kernel for SIGTERM if the devnet itself is killed, so no node is
ever orphaned holding its port and its database lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ordo.devnet.readiness import block_number
from ordo.devnet.restart_policy import RestartPolicy

LOG_TAIL_LINES = 8
_PR_SET_PDEATHSIG = 1


class ChildStartError(Exception):
    """A node did not come up; the message says which node and why, and ends with its log tail."""


@dataclass(frozen=True)
class ChildSpec:
    index: int
    command: tuple[str, ...]
    rpc_url: str
    log_path: Path
    name: str | None = None
    """How messages call the child; None: "node INDEX"."""

    @property
    def label(self) -> str:
        return self.name or f"node {self.index}"


@dataclass(frozen=True)
class ChildExited:
    index: int
    pid: int
    returncode: int
    log_tail: str
    restart_in: float


@dataclass(frozen=True)
class ChildRestarted:
    index: int
    pid: int


@dataclass(frozen=True)
class ChildReady:
    index: int
    pid: int
    head: int


SupervisorEvent = ChildExited | ChildRestarted | ChildReady


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    streak: int = 0
    restart_at: float | None = None
    awaiting_ready: bool = False


class Supervisor:
    def __init__(self, specs: list[ChildSpec], policy: RestartPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._children = {spec.index: _Child(spec) for spec in specs}
        self._policy = policy or RestartPolicy()
        self._clock = clock

    def pid(self, index: int) -> int | None:
        process = self._children[index].process
        return process.pid if process is not None and process.poll() is None else None

    def start(self, index: int) -> int:
        child = self._children[index]
        child.spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        with child.spec.log_path.open("ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"--- devnet: starting {child.spec.label} at {stamp}\n".encode())
            log.flush()
            child.process = subprocess.Popen(
                child.spec.command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=_die_with_parent_hook())
        child.started_at = self._clock()
        child.restart_at = None
        child.awaiting_ready = True
        return child.process.pid

    def wait_ready(self, index: int, timeout: float, stop: threading.Event) -> int:
        """Block until the node answers eth_blockNumber; returns its head number.

        Raises ChildStartError if it exits or stays silent for ``timeout`` seconds; returns -1 if
        ``stop`` is set meanwhile (the operator pressed Ctrl-C while waiting).
        """
        child = self._children[index]
        assert child.process is not None, "start() the node first"
        deadline = self._clock() + timeout
        while not stop.is_set():
            head = block_number(child.spec.rpc_url, timeout=1.0)
            if head is not None:
                child.awaiting_ready = False
                return head
            returncode = child.process.poll()
            if returncode is not None:
                raise ChildStartError(f"{child.spec.label} (pid {child.process.pid}) exited "
                                  f"with code {returncode} before serving JSON-RPC; last log "
                                  f"lines of {child.spec.log_path}:\n"
                                  f"{log_tail(child.spec.log_path)}")
            if self._clock() >= deadline:
                raise ChildStartError(f"{child.spec.label} (pid {child.process.pid}) did not "
                                  f"answer eth_blockNumber at {child.spec.rpc_url} within "
                                  f"{timeout:g} s; last log lines of {child.spec.log_path}:\n"
                                  f"{log_tail(child.spec.log_path)}")
            stop.wait(0.2)
        return -1

    def poll(self) -> list[SupervisorEvent]:
        """Notice exits, perform due restarts, report restarted nodes that serve again."""
        events: list[SupervisorEvent] = []
        now = self._clock()
        for index, child in sorted(self._children.items()):
            process = child.process
            if process is not None and child.restart_at is None:
                returncode = process.poll()
                if returncode is not None:
                    child.streak = self._policy.next_streak(child.streak, now - child.started_at)
                    delay = self._policy.delay(child.streak)
                    child.restart_at = now + delay
                    child.awaiting_ready = False
                    events.append(ChildExited(index, process.pid, returncode,
                                              log_tail(child.spec.log_path), delay))
            if child.restart_at is not None and now >= child.restart_at:
                events.append(ChildRestarted(index, self.start(index)))
            elif child.awaiting_ready and child.process is not None:
                head = block_number(child.spec.rpc_url, timeout=0.5)
                if head is not None:
                    child.awaiting_ready = False
                    events.append(ChildReady(index, child.process.pid, head))
        return events

    def stop_all(self, grace: float = 10.0) -> dict[int, int]:
        """SIGTERM every running child, SIGKILL those still running after ``grace`` seconds;
        returns each child's exit code."""
        running = {index: child.process for index, child in self._children.items()
                   if child.process is not None and child.process.poll() is None}
        for process in running.values():
            _send(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        codes: dict[int, int] = {}
        for index, process in running.items():
            try:
                codes[index] = process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _send(process, signal.SIGKILL)
                codes[index] = process.wait()
        for child in self._children.values():
            child.restart_at = None
        return codes


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 16_384))
            text = handle.read().decode(errors="replace")
    except OSError:
        return "  (no log)"
    return "\n".join("  " + line for line in text.splitlines()[-lines:]) or "  (empty log)"


def _send(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


def _die_with_parent_hook() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # resolved before fork: the hook only calls it

    def hook() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))

    return hook
