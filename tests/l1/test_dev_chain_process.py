"""``python -m ordo.devchain`` as the devnet will run it: a child process with a ready
marker, interval mining on by default, a clean exit on SIGTERM, and web3.py as a client."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from ordo.devchain import (
    READY_FILE,
    DevChainStartError,
    dev_l1_genesis,
    parse_ready_line,
    start_dev_chain_process,
)
from ordo.devnet.ports import free_port
from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount
from tests.l1.conftest import keys, store_contract


@pytest.fixture
def dev_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, object]]]:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "ordo.devchain", "--port", str(port), "--data-dir",
         str(tmp_path), "--block-time", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        document = parse_ready_line(line)
        assert document is not None, f"no ready line: {line!r} {process.stderr}"
        document["startup_seconds"] = time.monotonic() - started
        yield process, document
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_child_process_serves_and_stops_cleanly(
        tmp_path: Path, dev_process: tuple[subprocess.Popen[str], dict[str, object]]) -> None:
    process, document = dev_process
    assert document["chainId"] == 900 and document["pid"] == process.pid
    assert json.loads((tmp_path / READY_FILE).read_text())["url"] == document["url"]
    assert float(str(document["startup_seconds"])) < 10
    w3 = Web3(Web3.HTTPProvider(str(document["url"])))
    assert w3.eth.chain_id == 900
    first = w3.eth.block_number
    deadline = time.monotonic() + 5
    while w3.eth.block_number < first + 2:  # blocks keep coming without transactions
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert not (tmp_path / READY_FILE).exists()


def test_web3_transfer_and_deploy(
        dev_process: tuple[subprocess.Popen[str], dict[str, object]]) -> None:
    _, document = dev_process
    w3 = Web3(Web3.HTTPProvider(str(document["url"])))
    sender = Account.from_key(keys()[0])
    recipient = Account.from_key(keys()[1]).address
    before = w3.eth.get_balance(recipient)
    transfer = {
        "to": recipient, "value": 10**18, "gas": 21_000, "chainId": 900,
        "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
        "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"]
        + w3.eth.max_priority_fee,
        "maxPriorityFeePerGas": w3.eth.max_priority_fee,
    }
    signed = sender.sign_transaction(transfer)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction), timeout=10, poll_latency=0.05)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(recipient) == before + 10**18

    contract = store_contract()
    factory = w3.eth.contract(abi=contract.abi, bytecode=contract.bytecode)
    deploy = factory.constructor(5).build_transaction({
        "from": sender.address, "chainId": 900,
        "nonce": w3.eth.get_transaction_count(sender.address, "pending")})
    deployed = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(sender.sign_transaction(deploy).raw_transaction),
        timeout=10, poll_latency=0.05)
    assert deployed["status"] == 1 and deployed["contractAddress"] is not None
    store = w3.eth.contract(address=deployed["contractAddress"], abi=contract.abi)
    assert store.functions.stored().call() == 5
    assert store.functions.owner().call() == sender.address


def test_startup_failures_exit_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [sys.executable, "-m", "ordo.devchain", "--port", str(port), "--data-dir",
             str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert busy.returncode == 2 and "address already in use" in busy.stderr
    assert "Traceback" not in busy.stderr
    other_chain = subprocess.run(
        [sys.executable, "-m", "ordo.devchain", "--port", "0", "--data-dir",
         str(tmp_path), "--chain-id", "5"], capture_output=True, text=True, timeout=30)
    assert other_chain.returncode == 2 and "holds chain id 900, not 5" in other_chain.stderr


async def test_launcher_starts_and_stops_the_child(tmp_path: Path) -> None:
    child = await start_dev_chain_process(tmp_path, block_time=0.1, automine=True)
    try:
        async with L1Client(child.url) as client:
            assert await client.chain_id() == child.chain_id == 900
            sent = await LocalAccount(client, keys()[0]).send_transaction(b"\x66" * 20, value=3)
            assert (await client.wait_for_receipt(sent.tx_hash, timeout=10)).succeeded
    finally:
        assert await child.stop() == 0
    other = tmp_path / "other"
    other.mkdir()
    dev_l1_genesis(chain_id=5).save(other / "genesis.json")
    with pytest.raises(DevChainStartError, match="holds chain id 5, not 900"):
        await start_dev_chain_process(other)
