"""The one way tests run an L1 as its own process: anvil, or Ordo's embedded dev L1
(``python -m ordo.devchain``, what ``ordo devnet`` runs), on a port leased from
``ordo.devnet.ports`` (never handed out twice), waited for until it answers, and killed with its
whole process group at the end.

``block_time`` makes the chain tick like a real L1 (origins and confirmations advance with
time); ``instant`` also mines each transaction at once (anvil ``--mixed-mining``, dev L1
``--automine``), so a test's setup transactions (deploys, stakes, funding) do not wait a block
time each. Without ``block_time`` anvil mines a block per transaction (its default), and so does
the dev L1 (automine).
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ordo.devnet.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
ANVIL_BINARY = REPO_ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
ANVIL_CHAIN_ID = 31337
START_TIMEOUT = 30.0

L1Kind = Literal["anvil", "dev"]


@dataclass(frozen=True)
class L1Process:
    process: subprocess.Popen[bytes]
    url: str
    """``http://127.0.0.1:PORT/``"""


def l1_command(kind: L1Kind, port: int, *, chain_id: int | None = None,
               block_time: float | None = None, instant: bool = True,
               data_dir: Path | None = None, extra: Sequence[str] = ()) -> list[str]:
    if kind == "anvil":
        command = [str(ANVIL_BINARY), "--port", str(port), "--chain-id",
                   str(ANVIL_CHAIN_ID if chain_id is None else chain_id)]
        if "--slots-in-an-epoch" not in extra:
            # anvil reports "finalized" 2 x slots-in-an-epoch (default 32) below its head, and
            # a node takes no L1 origin above it: one slot an epoch keeps origins 2 blocks
            # deep, the depth the test genesis trusts, as on the dev L1 (docs/consensus.md §14).
            command += ["--slots-in-an-epoch", "1"]
        if block_time is not None:
            command += ["--block-time", f"{block_time:g}"]
            if instant:
                command.append("--mixed-mining")
        return [*command, *extra]
    if data_dir is None:
        raise ValueError("the dev L1 keeps its chain in a data directory: pass data_dir")
    if block_time is None and not instant:
        raise ValueError("the dev L1 needs a block_time or instant mining to make blocks")
    command = [sys.executable, "-m", "ordo.devchain", "--port", str(port), "--data-dir",
               str(data_dir)]
    if chain_id is not None:
        command += ["--chain-id", str(chain_id)]
    if block_time is not None:
        command += ["--block-time", f"{block_time:g}"]
    if instant:
        command.append("--automine")
    return [*command, *extra]


def _answers(url: str) -> bool:
    request = urllib.request.Request(
        url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                         "params": []}).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@contextlib.contextmanager
def l1_process(kind: L1Kind, *, chain_id: int | None = None,
               block_time: float | None = None, instant: bool = True,
               data_dir: Path | None = None, extra: Sequence[str] = (),
               log: Path | None = None) -> Iterator[L1Process]:
    """The L1 running and answering; ``log`` keeps its output (anvil is --silent without).
    ``chain_id`` None: anvil's 31337, the dev L1's own 900."""
    if kind == "anvil" and not ANVIL_BINARY.exists():
        raise RuntimeError(f"anvil not found at {ANVIL_BINARY}; run npm ci in the repo root")
    port = free_port()
    command = l1_command(kind, port, chain_id=chain_id, block_time=block_time, instant=instant,
                         data_dir=data_dir, extra=extra)
    if kind == "anvil" and log is None:
        command.append("--silent")
    url = f"http://127.0.0.1:{port}/"
    with contextlib.ExitStack() as files:
        output = subprocess.DEVNULL if log is None else files.enter_context(log.open("wb"))
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _answers(url):
                if process.poll() is not None:
                    raise RuntimeError(f"{kind} L1 exited with {process.returncode} before "
                                       f"answering{f'; see {log}' if log else ''}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{kind} L1 did not answer on {url} within "
                                       f"{START_TIMEOUT:g} s")
                time.sleep(0.05)
            yield L1Process(process, url)
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
