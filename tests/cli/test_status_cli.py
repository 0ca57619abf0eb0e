"""``ordo status`` against a real node process started by ``python -m ordo devnet --nodes 1``."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from ordo.cli import main
from ordo.devnet.ports import free_port_block
from tests.e2e.targets import REPO_ROOT, Endpoint, OrdoDevnet


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    node = OrdoDevnet(tmp_path_factory.mktemp("status") / "devnet")
    try:
        yield node.start()
    finally:
        node.stop()


def test_status_json_is_what_ordo_status_returns(devnet: Endpoint) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ordo", "status", "--rpc", devnet.rpc_url, "--json"],
        capture_output=True, text=True, timeout=30, cwd=REPO_ROOT, check=False)
    assert completed.returncode == 0, completed.stderr
    status = json.loads(completed.stdout)
    assert int(status["chainId"], 16) == devnet.chain_id
    assert status["role"] == "validator"
    assert status["producer"] == status["signer"]
    assert int(status["finalizedBlock"], 16) <= int(status["latestBlock"], 16)
    assert int(status["height"], 16) == int(status["latestBlock"], 16) + 1
    assert status["mempool"] == {"pending": 0, "queued": 0}
    assert status["peers"] == []


def test_status_table_is_readable(devnet: Endpoint) -> None:
    result = CliRunner().invoke(main, ["status", "--rpc", devnet.rpc_url])
    assert result.exit_code == 0, result.output
    lines = {line.strip("│ ").split("│")[0].strip(): line for line in result.output.splitlines()}
    for field in ("chain id", "height", "finalized", "deciding", "epoch", "producer", "role",
                  "peers", "mempool", "syncing", "uptime"):
        assert field in lines, result.output
    assert "0 pending, 0 queued" in lines["mempool"]
    assert str(devnet.chain_id) in lines["chain id"]
    assert "validator" in lines["role"]


def test_an_unreachable_node_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port_block()}"
    result = CliRunner().invoke(main, ["status", "--rpc", url])
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot reach {url}: [Errno 111] Connection refused\n"
    result = CliRunner().invoke(main, ["status", "--rpc", "127.0.0.1:8545"])
    assert result.exit_code == 2
    assert result.stderr == ("error: rpc: '127.0.0.1:8545' is not allowed; use an http:// or "
                             "https:// URL\n")


@pytest.mark.parametrize(("status", "body", "message"), [
    (500, b"oops", "answered HTTP 500"),
    (200, b"not json", "did not answer with JSON"),
    (200, b"[1, 2]", "did not answer with a JSON-RPC object"),
    (200, b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "no"}}',
     "ordo_status failed: {'code': -32601, 'message': 'no'}"),
    (200, b'{"jsonrpc": "2.0", "id": 1, "result": 5}', "ordo_status returned no status object"),
])
def test_a_bad_answer_is_one_line(status: int, body: bytes, message: str) -> None:
    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = CliRunner().invoke(main, ["status", "--rpc", url])
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
