"""Starting devnet shells with stand-in nodes, for the process-level tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ordo.devnet.ports import free_devnet_base_port

RUNNER = Path(__file__).with_name("devnet_with_stand_in.py")


def wait_for(condition: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


@dataclass
class DevnetProcess:
    process: subprocess.Popen[bytes]
    output_path: Path
    data_dir: Path
    port: int

    @property
    def output(self) -> str:
        return self.output_path.read_text()

    def stop(self, signum: int = signal.SIGINT, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


def start_devnet_process(tmp_path: Path, index: int, data_dir: Path | None = None,
                         port: int | None = None, env: dict[str, str] | None = None,
                         options: tuple[str, ...] = ()) -> DevnetProcess:
    """``options`` are ``ordo devnet`` options the stand-in runner understands (--nodes, ...)."""
    data_dir = data_dir or tmp_path / "devnet"
    port = port or free_devnet_base_port(4)  # up to four nodes, p2p on port + 100 ..
    output_path = tmp_path / f"devnet-output-{index}.txt"
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(RUNNER), str(data_dir), str(port), *options],
            stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    return DevnetProcess(process, output_path, data_dir, port)
