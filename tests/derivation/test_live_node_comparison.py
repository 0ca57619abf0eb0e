"""The whole loop against a live node: a real one-node Ordo devnet (its own dev L1 and L1
origins) finalizes blocks holding transfers; those blocks, read over its RPC, are posted as
signed batches to an inbox on anvil; ``python -m ordo.derivation --compare-rpc`` rebuilds them
from anvil alone and finds every block hash, state root and raw transaction equal to the node's.
Pointed at a node of another chain, the same command lists the differences."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ordo.core.batch_blocks import BatchBlock
from ordo.core.genesis import dev_private_keys
from tests.derivation.command_runs import l1_url, run_command
from tests.derivation.rollup_posting import BatchEnd, post_calldata_batch
from tests.e2e.targets import Endpoint, OrdoDevnet, rpc_request
from tests.l1_inbox.rollup_setup import RollupSetup

TRANSFER_ROUNDS = 3
SENDERS = 4
WAIT_S = 60.0


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrdoDevnet, Endpoint]]:
    node = OrdoDevnet(tmp_path_factory.mktemp("live") / "devnet")
    try:
        yield node, node.start()
    finally:
        node.stop()


def wait_for(what: str, check: Any) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def make_final_blocks(endpoint: Endpoint) -> int:
    """Transfers from several dev accounts in a few rounds; the final height holding them."""
    keys = dev_private_keys()
    last_block = 0
    for round_number in range(TRANSFER_ROUNDS):
        hashes = []
        for sender in range(SENDERS):
            signed = Account.sign_transaction({
                "chainId": endpoint.chain_id, "nonce": round_number, "gas": 21_000,
                "maxFeePerGas": 50 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2,
                "to": Account.from_key(keys[sender + 5]).address, "value": 10**15 + sender,
            }, keys[sender])
            hashes.append(rpc_request(endpoint.rpc_url, "eth_sendRawTransaction",
                                      ["0x" + bytes(signed.raw_transaction).hex()]))
        for tx_hash in hashes:
            receipt = wait_for(f"receipt of {tx_hash}", lambda tx_hash=tx_hash: rpc_request(
                endpoint.rpc_url, "eth_getTransactionReceipt", [tx_hash]))
            assert int(receipt["status"], 16) == 1
            last_block = max(last_block, int(receipt["blockNumber"], 16))
    wait_for("finality", lambda: int(rpc_request(endpoint.rpc_url, "eth_getBlockByNumber",
                                                 ["finalized", False])["number"], 16)
             >= last_block)
    return last_block


def node_block(endpoint: Endpoint, number: int) -> tuple[BatchBlock, BatchEnd]:
    block = rpc_request(endpoint.rpc_url, "eth_getBlockByNumber", [hex(number), False])
    raws = tuple(bytes.fromhex(rpc_request(
        endpoint.rpc_url, "eth_getRawTransactionByBlockNumberAndIndex",
        [hex(number), hex(index)])[2:]) for index in range(len(block["transactions"])))
    posted = BatchBlock(number=number, timestamp=int(block["timestamp"], 16),
                        coinbase=bytes.fromhex(block["miner"][2:]),
                        gas_limit=int(block["gasLimit"], 16),
                        extra_data=bytes.fromhex(block["extraData"][2:]),
                        mix_hash=bytes.fromhex(block["mixHash"][2:]), transactions=raws)
    output = rpc_request(endpoint.rpc_url, "ordo_outputAtBlock", [hex(number)])
    return posted, BatchEnd(bytes.fromhex(block["hash"][2:]),
                            bytes.fromhex(output["outputRoot"][2:]))


def test_derived_blocks_equal_the_live_nodes(devnet: tuple[OrdoDevnet, Endpoint],
                                             rollup: RollupSetup, tmp_path: Path) -> None:
    node, endpoint = devnet
    last = make_final_blocks(endpoint)
    blocks = [node_block(endpoint, number) for number in range(1, last + 1)]
    assert sum(len(posted.transactions) for posted, _ in blocks) == TRANSFER_ROUNDS * SENDERS
    middle = len(blocks) // 2 or 1
    post_calldata_batch(rollup, 0, [posted for posted, _ in blocks[:middle]],
                        blocks[middle - 1][1])
    if blocks[middle:]:
        post_calldata_batch(rollup, 1, [posted for posted, _ in blocks[middle:]],
                            blocks[-1][1])
    common = ("--l1-rpc", l1_url(rollup), "--inbox", rollup.inbox.address,
              "--genesis", str(node.data_dir / "genesis.json"))

    code, summary = run_command(*common, "--data-dir", str(tmp_path / "derived"),
                                "--compare-rpc", endpoint.rpc_url)
    assert code == 0, summary
    assert summary["mismatches"] == [] and summary["compared_blocks"] == last
    assert summary["blocks"] == last
    l1_section = summary["l1"]
    assert isinstance(l1_section, dict)
    assert l1_section["origins_checked"] is False, "the devnet is anchored to its own dev L1"
    assert summary["transactions"] == TRANSFER_ROUNDS * SENDERS
    head = summary["head"]
    assert isinstance(head, dict) and head["hash"] == "0x" + blocks[-1][1].block_hash.hex()

    # anvil as the "L2 node": another chain, so every derived block differs from its block
    code, summary = run_command(*common, "--data-dir", str(tmp_path / "other"),
                                "--compare-rpc", l1_url(rollup))
    assert code == 1
    mismatches = summary["mismatches"]
    assert isinstance(mismatches, list)
    assert mismatches[0].startswith(f"block 1: hash 0x{blocks[0][1].block_hash.hex()} derived, "
                                    "the node has 0x")
    assert summary["invalid_batch"] is None and summary["blocks"] == last
