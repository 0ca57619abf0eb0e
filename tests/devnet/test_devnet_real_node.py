"""`ordo devnet` with the real node: the command line it builds is one `ordo node` accepts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from ordo.devnet.ports import free_devnet_base_port
from ordo.devnet.readiness import block_number
from tests.devnet.devnet_harness import wait_for


def rpc(url: str, method: str) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["result"]


def test_real_devnet_serves_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "net", free_devnet_base_port(1)
    heads = []
    for run in range(2):
        with (tmp_path / f"out-{run}.txt").open("wb") as output:
            devnet = subprocess.Popen(
                [sys.executable, "-m", "ordo", "devnet", "--l1", "none", "--data-dir",
                 str(data_dir), "--base-port", str(port)], stdout=output, stderr=subprocess.STDOUT)
        try:
            def started(process: subprocess.Popen[bytes] = devnet) -> bool:
                return (data_dir / "devnet.json").exists() or process.poll() is not None

            wait_for(started, timeout=90)
            assert devnet.poll() is None, (tmp_path / f"out-{run}.txt").read_text()
            node = json.loads((data_dir / "devnet.json").read_text())["nodes"][0]
            assert rpc(node["rpc"], "eth_chainId") == hex(77077)
            head = block_number(node["rpc"])
            assert head is not None
            heads.append(head)
            devnet.send_signal(signal.SIGINT)
            assert devnet.wait(timeout=30) == 0
        finally:
            if devnet.poll() is None:
                devnet.kill()
        output_text = (tmp_path / f"out-{run}.txt").read_text()
        assert "node 0 stopped (exit code 0)" in output_text, output_text
        with pytest.raises(ProcessLookupError):
            os.kill(node["pid"], 0)  # the node did not outlive the devnet
    assert heads[1] >= heads[0]
