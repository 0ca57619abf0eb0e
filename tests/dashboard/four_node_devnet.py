"""A 4-sequencer ``ordo devnet`` for the dashboard's failover view, always torn down whole.

tests/e2e/targets.py starts single-node devnets; failover needs a quorum that survives one
paused sequencer, so this starts four in one process group and pauses one with SIGSTOP (a
sequencer that stops answering, while the supervisor sees nothing to restart).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordo.devnet.ports import free_devnet_base_port
from tests.e2e.targets import REPO_ROOT, TargetError, stop_process_group, wait_for_rpc

NODE_COUNT = 4
READY_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class DevnetNode:
    index: int
    pid: int
    rpc_url: str
    signer: str


class FourNodeDevnet:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.paused: set[int] = set()
        self._log_path = data_dir.parent / "devnet4.log"

    def start(self) -> list[DevnetNode]:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("wb") as log:
            base_port = free_devnet_base_port(NODE_COUNT)
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ordo", "devnet", "--nodes", str(NODE_COUNT), "--l1", "none",
                 "--data-dir", str(self.data_dir), "--base-port", str(base_port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT)
        deadline = time.monotonic() + READY_TIMEOUT_S
        manifest = self.data_dir / "devnet.json"
        while not manifest.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise TargetError(f"4-node devnet did not start:\n{self._log_tail()}")
            time.sleep(0.2)
        nodes = self._nodes(json.loads(manifest.read_text()))
        for node in nodes:
            wait_for_rpc(node.rpc_url, deadline, self.process)
        return nodes

    @staticmethod
    def _nodes(manifest: dict[str, Any]) -> list[DevnetNode]:
        return [DevnetNode(int(n["index"]), int(n["pid"]), str(n["rpc"]), str(n["signer"]).lower())
                for n in manifest["nodes"]]

    def pause(self, node: DevnetNode) -> None:
        os.kill(node.pid, signal.SIGSTOP)
        self.paused.add(node.pid)

    def resume_all(self) -> None:
        for pid in self.paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.paused.clear()

    def stop(self) -> None:
        self.resume_all()
        manifest = self.data_dir / "devnet.json"
        nodes: list[DevnetNode] = []
        with contextlib.suppress(OSError, ValueError, KeyError):
            nodes = self._nodes(json.loads(manifest.read_text()))
        if self.process is not None:
            stop_process_group(self.process)
        for node in nodes:  # nodes the supervisor could not stop; only if still an ordo process
            with contextlib.suppress(OSError):
                if b"ordo" in Path(f"/proc/{node.pid}/cmdline").read_bytes():
                    os.kill(node.pid, signal.SIGKILL)

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-30:])
        return "(no log)"
