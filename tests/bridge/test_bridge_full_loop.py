"""ETH through the bridge with the `ordo bridge` CLI alone, on a real devnet on the dev L1 and on
anvil: deposit, an L2 transfer, withdraw, prove, finalize refused inside the window, paid
exactly after it, refused a second time; a withdrawal whose L1 call reverts stays retryable and
pays once the target accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from ordo.core.genesis import dev_private_keys
from ordo.devnet.ports import free_devnet_base_port, free_port_block
from ordo.keys.key_file import key_address
from ordo.keys.keystore import write_keystore
from tests.bridge.bridge_cli import (
    ETH,
    PASSWORD,
    WINDOW,
    balance,
    bridge,
    deploy_target,
    ok,
    prove_when_landed,
    refused,
    send_l2,
    set_failing,
    wait_window,
)
from tests.devnet.devnet_harness import wait_for
from tests.devnet.devnet_on_l1 import DEPLOYER_KEY, rpc


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
