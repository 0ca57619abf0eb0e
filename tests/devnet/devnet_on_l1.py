"""Running `ordo devnet` on an L1 as a test does: the process, its devnet.json, a ticking anvil
to stake on, and JSON-RPC helpers. Shared by the devnet and bridge tests."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_hash.auto import keccak

from tests.devnet.devnet_harness import wait_for
from tests.l1.l1_process import l1_process

DEPLOYER_KEY = keccak(b"devnet test deployer")
"""Not a dev account: any funded key can deploy."""


def rpc(url: str, method: str, *params: Any) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                       "params": list(params)}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["result"]


def finalized(url: str) -> int:
    try:
        block = rpc(url, "eth_getBlockByNumber", "finalized", False)
    except OSError:
        return -1
    return -1 if block is None else int(block["number"], 16)


@dataclass
class DevnetRun:
    process: subprocess.Popen[bytes]
    output_path: Path

    @property
    def output(self) -> str:
        return self.output_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=40)


@pytest.fixture
def run_devnet(tmp_path: Path) -> Iterator[Any]:
    runs: list[DevnetRun] = []

    def start(data_dir: Path, *options: str) -> tuple[DevnetRun, dict[str, Any]]:
        output_path = tmp_path / f"devnet-{len(runs)}.txt"
        with output_path.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "ordo", "devnet", "--data-dir", str(data_dir), *options],
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        run = DevnetRun(process, output_path)
        runs.append(run)
        manifest = data_dir / "devnet.json"
        wait_for(lambda: manifest.exists() or process.poll() is not None, timeout=120)
        assert process.poll() is None, run.output
        return run, json.loads(manifest.read_text())

    yield start
    for run in runs:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()


@pytest.fixture
def ticking_anvil() -> Iterator[str]:
    """anvil mining a block a second and nothing in between (the devnet's provisioning waits
    for each of its transactions as on a real L1)."""
    with l1_process("anvil", block_time=1, instant=False) as l1:
        yield l1.url.rstrip("/")
