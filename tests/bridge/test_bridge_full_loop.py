"""ETH through the bridge with the `ordo bridge` CLI alone, on a real devnet on the dev L1 and on
anvil: deposit, an L2 transfer, withdraw, prove, finalize refused inside the window, paid
exactly after it, refused a second time; a withdrawal whose L1 call reverts stays retryable and
pays once the target accepts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import vyper
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.genesis import dev_private_keys
from ordo.devnet.key_file import key_address
from ordo.devnet.ports import free_devnet_base_port, free_port_block
from ordo.keys.keystore import write_keystore
from tests.devnet.devnet_harness import wait_for
from tests.devnet.devnet_on_l1 import DEPLOYER_KEY, rpc

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


def prove_when_landed(devnet: Path, tx_hash: str, account: str) -> Any:
    """Prove as soon as a batch covers the withdrawal; until then the refusal must say so."""
    deadline = time.monotonic() + 150
    while True:
        code, document, errors = bridge(devnet, "prove", tx_hash, "--dev-account", account)
        if code == 0:
            return document
        assert "batch not landed yet" in errors, errors
        assert time.monotonic() < deadline, errors
        time.sleep(1)


def wait_window(devnet: Path, tx_hash: str) -> None:
    def over() -> bool:
        status = ok(devnet, "status", tx_hash)
        return bool(status["l1Time"] >= status["finalizableAt"])
    wait_for(over, timeout=WINDOW + 60)


@pytest.mark.parametrize("l1", ["dev", "anvil"])
def test_eth_goes_to_l2_and_back_with_the_cli(l1: str, tmp_path: Path, run_devnet: Any,
                                              request: pytest.FixtureRequest) -> None:
    data_dir = tmp_path / "net"
    options = ["--nodes", "1", "--epoch-length", "5", "--challenge-window", str(WINDOW),
               "--base-port", str(free_devnet_base_port(1)),
               "--p2p-base-port", str(free_port_block(1))]
    if l1 == "anvil":
        ticking_anvil: str = request.getfixturevalue("ticking_anvil")
        key_file = tmp_path / "deployer.key"
        key_file.write_text(DEPLOYER_KEY.hex() + "\n")
        key_file.chmod(0o600)
        rpc(ticking_anvil, "anvil_setBalance", key_address(DEPLOYER_KEY), hex(100 * ETH))
        options += ["--l1-rpc", ticking_anvil, "--l1-deployer-key-file", str(key_file)]
    _, manifest = run_devnet(data_dir, *options)
    l1_url, l2_url = manifest["l1"]["rpc"], manifest["nodes"][0]["rpc"]
    portal = manifest["l1"]["portal"]
    assert manifest["l1"]["challengeWindow"] == WINDOW
    portal_address = bytes.fromhex(portal[2:])
    keys = dev_private_keys()
    bob = bytes.fromhex(Account.from_key(keys[8]).address[2:])
    carol_key = keccak(b"bridge test carol " + l1.encode())
    carol = bytes.fromhex(Account.from_key(carol_key).address[2:])
    keystore = write_keystore(tmp_path / "keys", "signer", carol_key, PASSWORD, scrypt_n=2**10)
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)

    # Deposit: dev account 7 (L1) -> bob (L2); the fee stays in the queue, the amount in the portal.
    bob_before = balance(l2_url, bob)
    deposited = ok(data_dir, "deposit", "2.5", "--to", "0x" + bob.hex(), "--dev-account", "7")
    assert (deposited["amount"], deposited["to"]) == (str(25 * ETH // 10), "0x" + bob.hex())
    assert balance(l1_url, portal_address) == 25 * ETH // 10
    wait_for(lambda: balance(l2_url, bob) == bob_before + 25 * ETH // 10, timeout=90)

    # An L2 transfer to carol, a fresh account; carol withdraws with her keystore.
    send_l2(l2_url, keys[8], carol, 2 * ETH)
    withdrawn = ok(data_dir, "withdraw", "1.25", "--key", str(keystore.path),
                   "--password-file", str(password_file))
    assert (withdrawn["sender"], withdrawn["target"], withdrawn["value"]) == \
        ("0x" + carol.hex(), "0x" + carol.hex(), str(125 * ETH // 100))
    tx_hash = withdrawn["txHash"]
    assert ok(data_dir, "status", tx_hash)["stage"] == "initiated"
    assert "not proved yet" in refused(data_dir, "finalize", tx_hash, "--dev-account", "6")

    # Anyone proves and finalizes (dev account 6 pays the L1 gas, carol gets the exact amount).
    proved = prove_when_landed(data_dir, tx_hash, "6")
    assert proved["stage"] == "proved" and proved["finalizableAt"] > proved["l1Time"]
    assert "already proved" in refused(data_dir, "prove", tx_hash, "--dev-account", "6")
    assert "challenge window not over" in refused(data_dir, "finalize", tx_hash,
                                                  "--dev-account", "6")
    assert balance(l1_url, carol) == 0
    wait_window(data_dir, tx_hash)
    finalized = ok(data_dir, "finalize", tx_hash, "--dev-account", "6")
    assert finalized["paid"] is True and finalized["stage"] == "finalized"
    assert balance(l1_url, carol) == 125 * ETH // 100
    assert balance(l1_url, portal_address) == 25 * ETH // 10 - 125 * ETH // 100
    assert "already finalized" in refused(data_dir, "finalize", tx_hash, "--dev-account", "6")
    assert ok(data_dir, "status", tx_hash)["stage"] == "finalized"
    assert balance(l1_url, carol) == 125 * ETH // 100, "paid once"

    # A withdrawal whose L1 call reverts stays retryable, then pays once the target accepts.
    target = deploy_target(l1_url, portal)
    set_failing(l1_url, target, True)
    call = ok(data_dir, "withdraw", "0.5", "--to", target, "--dev-account", "8",
              "--l1-gas-limit", "300000",
              "--data", "0x" + keccak(b"note(uint256)")[:4].hex() + (7).to_bytes(32, "big").hex())
    prove_when_landed(data_dir, call["txHash"], "6")
    wait_window(data_dir, call["txHash"])
    code, failed, errors = bridge(data_dir, "finalize", call["txHash"], "--dev-account", "6")
    assert (code, failed["paid"], failed["stage"]) == (1, False, "proved"), errors
    assert balance(l1_url, bytes.fromhex(target[2:])) == 0
    assert ok(data_dir, "status", call["txHash"])["stage"] == "proved"
    set_failing(l1_url, target, False)
    assert ok(data_dir, "finalize", call["txHash"], "--dev-account", "6")["paid"] is True
    assert balance(l1_url, bytes.fromhex(target[2:])) == ETH // 2
    assert int(rpc(l1_url, "eth_call", {"to": target, "data": "0x" + keccak(
        b"last_note()")[:4].hex()}, "latest"), 16) == 7, "the call ran with its data"
    overview = ok(data_dir, "status")
    assert overview["portalBalance"] == str(25 * ETH // 10 - 125 * ETH // 100 - ETH // 2)
