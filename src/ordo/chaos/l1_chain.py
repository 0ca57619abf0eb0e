"""The L1 a chaos run on an L1 stands on: anvil or the embedded dev L1, as a child process.

Started and stopped synchronously, like the node processes, so nothing outlives the run. The
nodes never talk to it directly: they go through a link proxy (the harness's L1_DOWN fault cuts
it), while the harness provisions, reads the inbox and reorganises the chain directly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ordo.devnet.ports import free_port

L1_KINDS = ("anvil", "dev")
L1_CHAIN_ID = 31337
L1_BLOCK_TIME = 1
ANVIL_SLOTS_PER_EPOCH = 4
"""anvil reports its block 2 x this below the head as "finalized" (8), deeper than any planned
L1_REORG (fault_plan: 3-6 blocks, deeper than the genesis's 2 confirmations): a reorg the nodes'
depth does not cover but the L1's own finality does, as on a proof-of-stake L1."""
ANVIL_ENV = "ORDO_ANVIL"
"""Path of the anvil binary, if it is neither on PATH nor in the repository's node_modules."""
_REPO_ANVIL = Path(__file__).resolve().parents[3] / \
    "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"


class L1StartError(RuntimeError):
    """The L1 could not be started (no anvil binary, say); the message says what to do."""


def anvil_binary() -> Path:
    chosen = os.environ.get(ANVIL_ENV)
    if chosen:
        return Path(chosen)
    found = shutil.which("anvil")
    if found:
        return Path(found)
    if _REPO_ANVIL.exists():
        return _REPO_ANVIL
    raise L1StartError(f"no anvil binary: install foundry's anvil, run `make install` (npm "
                       f"puts one under node_modules) or set {ANVIL_ENV}")


class L1Chain:
    def __init__(self, kind: str, data_dir: Path, host: str = "127.0.0.1") -> None:
        if kind not in L1_KINDS:
            raise ValueError(f"l1: {kind!r} is not allowed; use one of {', '.join(L1_KINDS)}")
        self.kind = kind
        self.host = host
        self.port = free_port(host)
        self.data_dir = data_dir
        self.log_path = data_dir / f"{kind}-l1.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def can_reorg(self) -> bool:
        """anvil replaces its newest blocks on ``anvil_reorg``; the dev L1 has no such method."""
        return self.kind == "anvil"

    def command(self) -> list[str]:
        if self.kind == "anvil":
            return [str(anvil_binary()), "--host", self.host, "--port", str(self.port),
                    "--chain-id", str(L1_CHAIN_ID), "--block-time", str(L1_BLOCK_TIME),
                    "--slots-in-an-epoch", str(ANVIL_SLOTS_PER_EPOCH)]
        return [sys.executable, "-m", "ordo.devchain", "--host", self.host, "--port",
                str(self.port), "--data-dir", str(self.data_dir / "dev-l1"), "--block-time",
                str(L1_BLOCK_TIME), "--automine"]

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(self.command(), stdout=log,
                                              stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, start_new_session=True)

    def exited(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            self._process.wait(timeout=10)
