"""When every sequencer is gone, ETH still leaves: a user deposits, the whole devnet stops, the
user sends a withdrawal through L1's forced queue, posts the next batch themselves once the
inbox's sequencer timeout has passed (`ordo bridge self-post`, bonded, unsigned: one block L1
alone determines), proves it from a chain derived from L1 alone and finalizes it: the CLI and
anvil only, no L2 node. The returning sequencers adopt the chain L1 holds: they drop the final
blocks they never posted, import the fallback block from L1 and continue from it, their signed
batches landing after the fallback batch; a verifier deriving from scratch accepts it all."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_hash.auto import keccak

from ordo.devnet.ports import free_devnet_base_port, free_port_block
from ordo.keys.key_file import key_address
from ordo.keys.keystore import write_keystore
from ordo.storage.chain_store import ChainStore
from tests.bridge.bridge_cli import (
    ETH,
    PASSWORD,
    balance,
    bridge,
    ok,
    prove_when_landed,
    wait_window,
)
from tests.devnet.devnet_harness import wait_for
from tests.devnet.devnet_on_l1 import DEPLOYER_KEY, rpc
from tests.l1_network.derivation_process import derive_from_l1

FALLBACK_WINDOW = 10
TIMEOUT = 25


def test_a_withdrawal_finalizes_through_a_self_posted_batch_with_every_sequencer_gone(
        tmp_path: Path, run_devnet: Any, ticking_anvil: str) -> None:
    key_file = tmp_path / "deployer.key"
    key_file.write_text(DEPLOYER_KEY.hex() + "\n")
    key_file.chmod(0o600)
    rpc(ticking_anvil, "anvil_setBalance", key_address(DEPLOYER_KEY), hex(100 * ETH))
    data_dir = tmp_path / "net"
    options = ["--base-port", str(free_devnet_base_port(1)),
               "--p2p-base-port", str(free_port_block(1)), "--l1-rpc", ticking_anvil,
               "--l1-deployer-key-file", str(key_file)]
    run, manifest = run_devnet(data_dir, "--nodes", "1", "--epoch-length", "5",
                               "--challenge-window", str(FALLBACK_WINDOW), "--sequencer-timeout",
                               str(TIMEOUT), *options)
    l2_url, inbox = manifest["nodes"][0]["rpc"], manifest["l1"]["inbox"]
    carol_key = keccak(b"fallback test carol")
    carol = bytes.fromhex(Account.from_key(carol_key).address[2:])
    keystore = write_keystore(tmp_path / "keys", "signer", carol_key, PASSWORD, scrypt_n=2**10)
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    password_file.chmod(0o600)
    carol_options = ("--key", str(keystore.path), "--password-file", str(password_file))

    ok(data_dir, "deposit", "1", "--to", "0x" + carol.hex(), "--dev-account", "5")
    wait_for(lambda: balance(l2_url, carol) == ETH, timeout=90)
    wait_for(lambda: int(rpc(ticking_anvil, "eth_call", {"to": inbox, "data": "0x" + keccak(
        b"next_index()")[:4].hex()}, "latest"), 16) >= 1, timeout=90)
    made = int(rpc(l2_url, "eth_blockNumber"), 16)  # at least this many blocks, most unposted
    assert run.stop() == 0  # every sequencer is gone; anvil stays

    derived = tmp_path / "derived"
    rpc(ticking_anvil, "anvil_setBalance", "0x" + carol.hex(), hex(ETH))  # L1 fees of the queue
    # devnet.json is gone with the devnet: the CLI reads the stopped devnet's genesis and
    # l1.json, and is told where the L1 is.
    gone = ("--l2-data", str(derived), "--l1-rpc", ticking_anvil)
    forced = ok(data_dir, "withdraw", "0.4", "--forced", *gone, *carol_options)
    l2_tx = forced["txHash"]

    # Self-posting is refused until the sequencers have been silent for the timeout.
    deadline = time.monotonic() + TIMEOUT + 60
    while True:
        code, posted, errors = bridge(data_dir, "self-post", *gone, "--dev-account", "4")
        if code == 0:
            break
        assert "the sequencers are not silent" in errors, errors
        assert time.monotonic() < deadline, errors
        time.sleep(2)
    assert posted["transactions"] == 1, "the forced withdrawal, and nothing else"
    assert posted["bond"] == str(10**17)
    stored = rpc(ticking_anvil, "eth_call", {"to": inbox, "data": "0x" + keccak(
        b"inputs_roots(uint256)")[:4].hex() + posted["batchIndex"].to_bytes(32, "big").hex()},
        "latest")
    assert stored == posted["inputsRoot"], "the inbox stores the inputs root the poster built"

    # Prove and finalize from the chain derived from L1 alone (which re-checks the fallback
    # batch by derivation's rules before anything is read from it).
    proved = prove_when_landed(data_dir, l2_tx, "6", *gone)
    assert proved["batchIndex"] == posted["batchIndex"]
    wait_window(data_dir, l2_tx, *gone)
    before = balance(ticking_anvil, carol)
    finalized = ok(data_dir, "finalize", l2_tx, "--dev-account", "6", *gone)
    assert finalized["paid"] is True
    assert balance(ticking_anvil, carol) == before + 4 * ETH // 10

    # The sequencers return: their chain is not the one L1 holds, so they adopt L1's (the blocks
    # they made after their last signed batch go, the fallback block comes in) and go on.
    fallback_number = posted["l2Block"]
    with ChainStore(derived) as store:
        fallback_hash = "0x" + (store.get_block_hash(fallback_number) or b"").hex()
    next_index = posted["batchIndex"] + 1
    _, resumed = run_devnet(data_dir, *options)
    resumed_url = resumed["nodes"][0]["rpc"]

    def block_hash(tag: str) -> str | None:
        block = rpc(resumed_url, "eth_getBlockByNumber", tag, False)
        return None if block is None else block["hash"]

    node_log = (data_dir / "node-0" / "node.log").read_text()
    assert block_hash(hex(fallback_number)) == fallback_hash, node_log[-4000:]
    assert "IMPORTED L1 batch" in node_log
    assert ("REWOUND blocks" in node_log) == (made >= fallback_number), node_log[-4000:]
    wait_for(lambda: int(rpc(resumed_url, "eth_getBlockByNumber", "finalized", False)["number"],
                         16) >= fallback_number + 3, timeout=90)
    assert block_hash(hex(fallback_number)) == fallback_hash

    def inbox_call(name: str) -> int:
        return int(rpc(ticking_anvil, "eth_call", {"to": inbox, "data": "0x" + keccak(
            name.encode())[:4].hex()}, "latest"), 16)

    # Its signed batches land after the fallback batch, the first from the block after it.
    wait_for(lambda: inbox_call("next_index()") > next_index, timeout=120)
    assert inbox_call("last_block()") > fallback_number
    status = rpc(resumed_url, "ordo_status")["l1"]["batcher"]
    assert status["conflict"] is None

    # A verifier deriving from scratch over that L1 gets every batch, the fallback one among
    # them, and the very blocks the returned node holds.
    code, summary = asyncio.run(derive_from_l1(
        ticking_anvil, bytes.fromhex(inbox[2:]), data_dir / "genesis.json",
        tmp_path / "verifier", resumed_url))
    assert code == 0 and summary["ok"], summary
    assert summary["invalid_batch"] is None and summary["mismatches"] == [], summary
    assert summary["batches"] >= next_index + 1, summary
    assert summary["head"]["number"] > fallback_number
