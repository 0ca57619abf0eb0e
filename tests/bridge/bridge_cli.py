"""Driving `ordo bridge` as a user does, from tests: one command a call, its JSON and errors,
plus the L1 and L2 reads the checks need."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import vyper
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.genesis import dev_private_keys
from tests.devnet.devnet_harness import wait_for
from tests.devnet.devnet_on_l1 import rpc

ETH = 10**18
WINDOW = 20
TARGET_SOURCE = Path(__file__).resolve().parents[1] / "l1_portal" / "WithdrawalTarget.vy"
PASSWORD = "correct horse battery staple"


def bridge(devnet: Path, *arguments: str) -> tuple[int, Any, str]:
    """Run `ordo bridge ... --json`: exit code, the JSON printed (None if none), stderr."""
    done = subprocess.run([sys.executable, "-m", "ordo", "bridge", *arguments, "--devnet",
                           str(devnet), "--json"], capture_output=True, text=True, timeout=120)
    output = done.stdout.strip()
    return done.returncode, json.loads(output) if output else None, done.stderr


def ok(devnet: Path, *arguments: str) -> Any:
    code, document, errors = bridge(devnet, *arguments)
    assert code == 0, errors
    return document


def refused(devnet: Path, *arguments: str) -> str:
    code, _, errors = bridge(devnet, *arguments)
    assert code == 1, errors
    return errors.strip()


def balance(url: str, address: bytes) -> int:
    return int(rpc(url, "eth_getBalance", to_checksum_address(address), "latest"), 16)


def send_l2(url: str, key: bytes, to: bytes, value: int) -> None:
    sender = Account.from_key(key).address
    signed = Account.sign_transaction({
        "chainId": int(rpc(url, "eth_chainId"), 16), "type": 2,
        "nonce": int(rpc(url, "eth_getTransactionCount", sender, "pending"), 16),
        "to": to_checksum_address(to), "value": value, "gas": 21_000,
        "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}, key)
    tx_hash = rpc(url, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())
    wait_for(lambda: rpc(url, "eth_getTransactionReceipt", tx_hash) is not None, timeout=30)


def deploy_target(l1_url: str, portal: str) -> str:
    """The test-only WithdrawalTarget on L1 (records calls, can be told to revert)."""
    out = vyper.compile_code(TARGET_SOURCE.read_text(), output_formats=["abi", "bytecode"])
    key = dev_private_keys()[9]
    data = out["bytecode"] + bytes(12).hex() + portal[2:]
    receipt = l1_transact(l1_url, key, None, bytes.fromhex(data[2:]))
    return str(receipt["contractAddress"])


def l1_transact(l1_url: str, key: bytes, to: str | None, data: bytes) -> dict[str, Any]:
    sender = Account.from_key(key).address
    fields: dict[str, Any] = {
        "chainId": int(rpc(l1_url, "eth_chainId"), 16), "type": 2,
        "nonce": int(rpc(l1_url, "eth_getTransactionCount", sender, "pending"), 16),
        "value": 0, "gas": 3_000_000, "maxFeePerGas": 100 * 10**9,
        "maxPriorityFeePerGas": 10**9, "data": data}
    if to is not None:
        fields["to"] = to_checksum_address(to)
    signed = Account.sign_transaction(fields, key)
    tx_hash = rpc(l1_url, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())
    wait_for(lambda: rpc(l1_url, "eth_getTransactionReceipt", tx_hash) is not None, timeout=30)
    receipt: dict[str, Any] = rpc(l1_url, "eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1", receipt
    return receipt


def set_failing(l1_url: str, target: str, failing: bool) -> None:
    l1_transact(l1_url, dev_private_keys()[9], target,
                keccak(b"set_failing(bool)")[:4] + int(failing).to_bytes(32, "big"))


def prove_when_landed(devnet: Path, tx_hash: str, account: str, *extra: str) -> Any:
    """Prove as soon as a batch covers the withdrawal; until then the refusal must say so."""
    deadline = time.monotonic() + 150
    while True:
        code, document, errors = bridge(devnet, "prove", tx_hash, "--dev-account", account,
                                        *extra)
        if code == 0:
            return document
        assert "batch not landed yet" in errors, errors
        assert time.monotonic() < deadline, errors
        time.sleep(1)


def wait_window(devnet: Path, tx_hash: str, *extra: str) -> None:
    def over() -> bool:
        status = ok(devnet, "status", tx_hash, *extra)
        return bool(status["l1Time"] >= status["finalizableAt"])
    wait_for(over, timeout=WINDOW + 60)
