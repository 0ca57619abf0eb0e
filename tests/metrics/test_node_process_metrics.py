"""A real ``python -m ordo node`` process with a keystore signer key, /metrics and JSON logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from prometheus_client.parser import text_string_to_metric_families

from ordo.core.genesis import GenesisValidator, dev_private_keys, devnet_genesis
from ordo.devnet.ports import free_port_block
from ordo.keys.keystore import write_keystore
from tests.e2e.targets import (
    REPO_ROOT,
    TargetError,
    rpc_request,
    stop_process_group,
    wait_for_rpc,
)

SIGNER_KEY = bytes(range(1, 33))
NODE_KEY = bytes(range(2, 34))
PASSWORD = "metrics test password"
GWEI = 10**9


@dataclass
class RunningNode:
    rpc_url: str
    metrics_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    chain_id: int


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    workdir = tmp_path_factory.mktemp("metrics-node")
    entry = write_keystore(workdir / "keystore", "signer", SIGNER_KEY, PASSWORD)
    node_entry = write_keystore(workdir / "keystore", "node", NODE_KEY, PASSWORD)
    genesis = devnet_genesis(validators=(GenesisValidator(
        bytes.fromhex(entry.address[2:]), 1),))
    genesis.save(workdir / "genesis.json")
    base = free_port_block(3)
    log_path = workdir / "node.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ordo", "node", "--data-dir", str(workdir / "data"),
             "--genesis", str(workdir / "genesis.json"), "--rpc-port", str(base),
             "--p2p-port", str(base + 1), "--metrics-port", str(base + 2),
             "--signer-key", str(entry.path), "--node-key", str(node_entry.path),
             "--password-env", "ORDO_TEST_PASSWORD",
             "--log-format", "json", "--block-time", "0.05"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT,
            env={**os.environ, "ORDO_TEST_PASSWORD": PASSWORD})
    running = RunningNode(f"http://127.0.0.1:{base}", f"http://127.0.0.1:{base + 2}/metrics",
                          process, log_path, genesis.chain_id)
    try:
        wait_for_rpc(running.rpc_url, time.monotonic() + 60, process)
        yield running
    finally:
        stop_process_group(process)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def send_transfer(node: RunningNode, nonce: int, amount: int = 1) -> Any:
    sender = Account.from_key(dev_private_keys()[0])
    signed = sender.sign_transaction({
        "type": 2, "chainId": node.chain_id, "nonce": nonce, "to": "0x" + "42" * 20,
        "value": amount, "gas": 21_000, "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": GWEI})
    return "0x" + signed.raw_transaction.hex().removeprefix("0x")


def wait_for_receipt(node: RunningNode, tx_hash: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        receipt = rpc_request(node.rpc_url, "eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return dict(receipt)
        time.sleep(0.05)
    raise AssertionError(f"no receipt for {tx_hash}")


def test_metrics_after_a_transaction(node: RunningNode) -> None:
    raw = send_transfer(node, 0)
    tx_hash = rpc_request(node.rpc_url, "eth_sendRawTransaction", [raw])
    block = int(wait_for_receipt(node, tx_hash)["blockNumber"], 16)
    stale = send_transfer(node, 0, amount=2)  # a new transaction whose nonce is now too low
    with pytest.raises(TargetError, match="nonce too low"):
        rpc_request(node.rpc_url, "eth_sendRawTransaction", [stale])
    samples = scrape(node.metrics_url)

    head = value(samples, "ordo_head_height")
    assert head >= block >= 1
    assert value(samples, "ordo_finalized_height") == head
    assert value(samples, "ordo_consensus_height") == head + 1
    assert value(samples, "ordo_consensus_round") == 0
    assert value(samples, "ordo_peers") == 0
    assert value(samples, "ordo_mempool_transactions", state="pending") == 0
    assert value(samples, "ordo_mempool_transactions", state="queued") == 0
    assert value(samples, "ordo_mempool_events_total", event="admitted") == 1
    rejections = {labels: count for (name, labels), count in samples.items()
                  if name == "ordo_mempool_rejections_total"}
    assert list(rejections.values()) == [1], rejections
    assert value(samples, "ordo_transactions_included_total") == 1
    # A lone validator proposes every block it commits; each decided in round 0.
    assert value(samples, "ordo_blocks_produced_total") == head
    assert value(samples, "ordo_blocks_committed_total") == head
    assert value(samples, "ordo_rounds_per_height_count") == head
    assert value(samples, "ordo_rounds_per_height_bucket", le="1.0") == head
    assert value(samples, "ordo_rpc_requests_total", method="eth_sendRawTransaction",
                 outcome="ok") == 1
    assert value(samples, "ordo_rpc_requests_total", method="eth_sendRawTransaction",
                 outcome="error") == 1
    assert value(samples, "ordo_rpc_latency_seconds_count", method="eth_sendRawTransaction") == 2
    assert 0 < value(samples, "ordo_rpc_latency_seconds_sum",
                     method="eth_sendRawTransaction") < 5
    assert value(samples, "ordo_rpc_requests_total", method="eth_getTransactionReceipt",
                 outcome="ok") >= 1
    assert value(samples, "ordo_votes_received_total") == 0


def test_json_log_lines_parse(node: RunningNode) -> None:
    node.process.send_signal(signal.SIGINT)
    node.process.wait(timeout=20)
    lines = node.log_path.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert events and all(set(event) >= {"time", "level", "logger", "message"}
                          for event in events)
    messages = [event["message"] for event in events]
    [ready] = [message for message in messages if message.startswith("node ready: chain")]
    # Both keys came out of their keystores: the p2p identity and the validator role.
    assert ready.endswith(f"as {Account.from_key(NODE_KEY).address.lower()} (validator)")
    assert any(message.startswith("metrics on http://127.0.0.1:") for message in messages)
    assert any(message.startswith("block 1 final (round 0)") for message in messages)
    assert {event["level"] for event in events} <= {"DEBUG", "INFO", "WARNING", "ERROR"}
