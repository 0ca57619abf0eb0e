"""Running ``python -m ordo.derivation`` as a subprocess, as an operator would."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from tests.l1_inbox.rollup_setup import RollupSetup

REPO_ROOT = Path(__file__).resolve().parents[2]


def l1_url(rollup: RollupSetup) -> str:
    return str(rollup.chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]


def run_command(*arguments: str) -> tuple[int, dict[str, object]]:
    """The exit status and the JSON summary printed on stdout."""
    finished = subprocess.run([sys.executable, "-m", "ordo.derivation", *arguments],
                              capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert finished.stdout, finished.stderr
    summary: dict[str, object] = json.loads(finished.stdout)
    return finished.returncode, summary


class FollowingCommand:
    """``python -m ordo.derivation --follow`` in the background: its log lines are read as
    they come, SIGTERM ends it and its JSON summary is returned."""

    def __init__(self, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ordo.derivation", "--follow", *arguments],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stderr is not None
        threading.Thread(target=self._read, args=(self.process.stderr,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for_log(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if text in line:
                return line
        raise AssertionError(f"the command logged no {text!r} in {timeout}s")

    def stop(self) -> tuple[int, dict[str, object]]:
        self.process.send_signal(signal.SIGTERM)
        stdout, _ = self.process.communicate(timeout=60)
        summary: dict[str, object] = json.loads(stdout)
        return self.process.returncode, summary

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
