"""The load generator: its signing, its statistics, and a short real run against anvil."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import loadgen
import pytest
from coincurve import PrivateKey
from eth_hash.auto import keccak

from ordo.core.transaction import decode_transaction

LOADGEN = Path(loadgen.__file__)


def test_signed_transfers_decode_with_the_right_sender_and_fields() -> None:
    key = PrivateKey(bytes.fromhex("11" * 32))
    to = bytes.fromhex("22" * 20)
    raw, tx_hash = loadgen.sign_transfer(key, 77077, 5, to, 1234, max_fee=7 * 10**9, tip=10**9)
    decoded = decode_transaction(raw)
    assert decoded.sender == loadgen.address_of(key)
    assert decoded.hash == tx_hash
    assert (decoded.tx.chain_id, decoded.tx.nonce, decoded.tx.to, decoded.tx.value) == (
        77077, 5, to, 1234)
    assert (decoded.tx.max_fee_per_gas, decoded.tx.max_priority_fee_per_gas, decoded.tx.gas) == (
        7 * 10**9, 10**9, 21_000)


def test_sender_keys_are_deterministic_and_distinct() -> None:
    first, again = loadgen.sender_keys(50), loadgen.sender_keys(50)
    assert [key.secret for key in first] == [key.secret for key in again]
    assert len({key.secret for key in first}) == 50


def test_percentile_is_nearest_rank() -> None:
    values = [float(value) for value in range(1, 101)]
    assert loadgen.percentile(values, 0.50) == 50.0
    assert loadgen.percentile(values, 0.99) == 99.0
    assert loadgen.percentile([3.0], 0.99) == 3.0
    assert loadgen.percentile([], 0.5) == 0.0


def test_steady_rate_counts_only_blocks_seen_in_the_window() -> None:
    blocks = [loadgen.SeenBlock(1, 0.5, 100), loadgen.SeenBlock(2, 2.0, 300),
              loadgen.SeenBlock(3, 4.0, 500), loadgen.SeenBlock(4, 12.0, 700)]
    assert loadgen.steady_rate(blocks, 1.0, 11.0) == 80.0
    assert loadgen.steady_window(100.0, 130.0) == (105.0, 130.0)
    assert loadgen.steady_window(0.0, 5.0) == (1.0, 5.0)


def test_process_cpu_seconds_grows_with_work() -> None:
    before = loadgen.process_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert loadgen.process_cpu_seconds(os.getpid()) - before >= 0.1


@pytest.mark.parametrize(("argv", "message"), [
    (["--rpc", "http://127.0.0.1:1"], "--rpc and --pid go together"),
    (["--target", "both", "--rpc", "http://x", "--pid", "1"], "--rpc names one node"),
    (["--duration", "0"], "--duration must be positive"),
    (["--rpc", "http://x", "--pid", "999999999"], "no such process"),
])
def test_bad_arguments_are_refused(argv: list[str], message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        loadgen.parse_arguments(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_short_run_against_anvil_includes_everything_it_sent() -> None:
    result = subprocess.run(
        [sys.executable, str(LOADGEN), "--target", "anvil", "--duration", "3", "--senders", "20",
         "--concurrency", "4", "--max-txs", "4000"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["target"] == "anvil"
    assert report["sent"] > 50
    assert report["included"] == report["sent"]
    assert report["rejected"] == 0 and report["errors"] == {}
    assert 3.0 <= report["duration_s"] < 4.0
    assert report["tx_per_s"] > 0
    assert 0 < report["latency_ms"]["p50"] <= report["latency_ms"]["p99"]
    assert report["cpu_s_per_tx"] > 0
    assert report["steady_window_ok"] is False  # 3 s of load is no steady-state measurement
    assert set(report) >= {"target", "sent", "included", "duration_s", "tx_per_s", "latency_ms",
                           "cpu_s_per_tx"}


def test_token_transfers_sign_and_decode_as_erc20_calls() -> None:
    key = PrivateKey(bytes.fromhex("33" * 32))
    token, recipient = bytes.fromhex("44" * 20), bytes.fromhex("55" * 20)
    data = loadgen.token_transfer_data(recipient, 7)
    raw, tx_hash = loadgen.sign_transfer(key, 77077, 0, token, 0, 10**10, data=data,
                                         gas=loadgen.TOKEN_TRANSFER_GAS)
    decoded = decode_transaction(raw)
    assert decoded.hash == tx_hash and decoded.sender == loadgen.address_of(key)
    assert (decoded.tx.to, decoded.tx.value, decoded.tx.gas) == (token, 0, 80_000)
    assert decoded.tx.data == keccak(b"transfer(address,uint256)")[:4] + bytes(12) + recipient \
        + (7).to_bytes(32, "big")


def test_short_erc20_run_against_anvil_moves_tokens() -> None:
    result = subprocess.run(
        [sys.executable, str(LOADGEN), "--target", "anvil", "--workload", "erc20",
         "--duration", "3", "--senders", "10", "--concurrency", "4", "--max-txs", "1000"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["settings"]["workload"] == "erc20"
    assert report["sent"] > 20 and report["included"] == report["sent"]
    assert report["receipts_checked"] > 0 and report["receipts_failed"] == 0
