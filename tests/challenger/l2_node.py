"""An ``ordo node`` process with no L1 (so no challenger of its own) whose first blocks hold
transfers from the dev accounts to fresh addresses: the L2 RPC a standalone challenger reads
(tests/challenger/test_standalone_steps.py, bench/standalone_steps.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.genesis import Genesis, GenesisValidator, dev_private_keys, devnet_genesis
from ordo.devnet.ports import free_port_block
from ordo.keys.keystore import write_keystore
from tests.e2e.targets import REPO_ROOT, rpc_request, stop_process_group, wait_for_rpc

SIGNER_KEY = bytes(range(3, 35))
NODE_KEY = bytes(range(4, 36))
PASSWORD = "standalone challenger test"
GWEI = 10**9


@dataclass
class L2Node:
    url: str
    process: subprocess.Popen[bytes]
    genesis: Genesis
    genesis_path: Path
    batch: range = range(1, 4)
    """Blocks 1 through the last one holding a transfer (3 at least): what batch 0 carries."""


def recipient(index: int) -> str:
    return to_checksum_address(keccak(b"recipient %d" % index)[:20])


@contextmanager
def running_l2_node(workdir: Path, transfers: int, senders: int = 1,
                    block_time: float = 0.2) -> Iterator[L2Node]:
    """A lone validator's node; ``transfers`` transfers, round-robin from the first
    ``senders`` dev accounts to fresh addresses, all sent at once and included."""
    entry = write_keystore(workdir / "keystore", "signer", SIGNER_KEY, PASSWORD)
    node_entry = write_keystore(workdir / "keystore", "node", NODE_KEY, PASSWORD)
    genesis = devnet_genesis(validators=(GenesisValidator(bytes.fromhex(entry.address[2:]), 1),))
    genesis_path = workdir / "genesis.json"
    genesis.save(genesis_path)
    base = free_port_block(2)
    with (workdir / "node.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ordo", "node", "--data-dir", str(workdir / "data"),
             "--genesis", str(genesis_path), "--rpc-port", str(base), "--p2p-port",
             str(base + 1), "--signer-key", str(entry.path), "--node-key",
             str(node_entry.path), "--password-env", "ORDO_TEST_PASSWORD", "--block-time",
             repr(block_time)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT,
            env={**os.environ, "ORDO_TEST_PASSWORD": PASSWORD})
    node = L2Node(f"http://127.0.0.1:{base}", process, genesis, genesis_path)
    try:
        wait_for_rpc(node.url, time.monotonic() + 60, process)
        keys = dev_private_keys()[:senders]
        raws = []
        for index in range(transfers):
            sender = Account.from_key(keys[index % senders])
            signed = sender.sign_transaction({
                "type": 2, "chainId": genesis.chain_id, "nonce": index // senders,
                "to": recipient(index), "value": 10**15 + index, "gas": 21_000,
                "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": GWEI})
            raws.append("0x" + signed.raw_transaction.hex())
        hashes = send_batch(node.url, raws)
        receipts = [None] * len(hashes)

        def included() -> bool:
            for index, tx in enumerate(hashes):
                if receipts[index] is None:
                    receipts[index] = rpc_request(node.url, "eth_getTransactionReceipt", [tx])
            return all(receipt is not None for receipt in receipts)
        wait_until(included, 30 + transfers / 10)
        last = max(int(receipt["blockNumber"], 16) for receipt in receipts)  # type: ignore[index]
        node.batch = range(1, max(last, 3) + 1)
        yield node
    finally:
        stop_process_group(process)


def send_batch(url: str, raws: list[str]) -> list[str]:
    """``eth_sendRawTransaction`` of every raw transaction in one JSON-RPC batch (one HTTP
    request), so the node has them all before it builds its next block."""
    body = json.dumps([{"jsonrpc": "2.0", "id": index, "method": "eth_sendRawTransaction",
                        "params": [raw]} for index, raw in enumerate(raws)]).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answers = sorted(json.loads(response.read()), key=lambda answer: answer["id"])
    refused = [answer["error"] for answer in answers if "error" in answer]
    assert not refused, refused[:3]
    return [str(answer["result"]) for answer in answers]


def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.1)
