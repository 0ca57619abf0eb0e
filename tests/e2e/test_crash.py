"""Crash safety of a real node: SIGKILL under load, restart on the same data dir, nothing lost.

docs/design.md §3 promises that a node killed at any instant restarts from its disk without
repair, that final blocks never change, and that every acknowledged transaction is mined or still
pending.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from .targets import Endpoint, OrdoDevnet
from .transfer_load import TransferLoad

pytestmark = pytest.mark.slow

KILLS = 3
LOAD_BEFORE_KILL_S = (1.0, 3.0)
SENDERS = 4
FINAL_INCLUSION_TIMEOUT_S = 90.0


@dataclass
class ChainRecord:
    """What the chain looked like before a kill: block hashes and receipts by height."""

    hashes: dict[int, HexBytes] = field(default_factory=dict)
    receipts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def extend(self, w3: Web3) -> None:
        """Record the blocks added since the last call."""
        head = w3.eth.block_number
        for number in range(len(self.hashes), head + 1):
            block = w3.eth.get_block(number)
            self.hashes[number] = HexBytes(block["hash"])
            if block["transactions"]:
                self.receipts[number] = receipt_summaries(w3, number)


def receipt_summaries(w3: Web3, number: int) -> list[dict[str, Any]]:
    return [
        {key: receipt[key] for key in ("transactionHash", "blockHash", "transactionIndex",
                                       "status", "gasUsed", "cumulativeGasUsed", "logs")}
        for receipt in w3.eth.get_block_receipts(number)
    ]


def connect(endpoint: Endpoint) -> Web3:
    return Web3(Web3.HTTPProvider(endpoint.rpc_url, request_kwargs={"timeout": 10}))


def assert_chain_unchanged(w3: Web3, record: ChainRecord) -> None:
    head = w3.eth.block_number
    assert head >= max(record.hashes), "the restarted node lost committed blocks"
    for number, block_hash in record.hashes.items():
        assert HexBytes(w3.eth.get_block(number)["hash"]) == block_hash, f"block {number} changed"
    for number, summaries in record.receipts.items():
        assert receipt_summaries(w3, number) == summaries, f"receipts of block {number} changed"


def assert_every_acknowledged_tx_known(w3: Web3, acknowledged: list[HexBytes]) -> int:
    """Each acknowledged transaction is mined (with a receipt) or still pending; mined count."""
    mined = 0
    for tx_hash in acknowledged:
        try:
            tx = w3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            raise AssertionError(f"acknowledged transaction {tx_hash.to_0x_hex()} was lost"
                                 ) from None
        if tx["blockHash"] is not None:
            receipt = w3.eth.get_transaction_receipt(tx_hash)
            assert receipt["blockHash"] == tx["blockHash"]
            mined += 1
    return mined


def wait_until_all_mined(w3: Web3, acknowledged: list[HexBytes]) -> None:
    deadline = time.monotonic() + FINAL_INCLUSION_TIMEOUT_S
    waiting = list(acknowledged)
    while waiting and time.monotonic() < deadline:
        still = []
        for tx_hash in waiting:
            try:
                receipt = w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                still.append(tx_hash)
                continue
            assert receipt["status"] == 1, f"{tx_hash.to_0x_hex()} failed"
        waiting = still
        if waiting:
            time.sleep(0.25)
    assert not waiting, f"{len(waiting)} acknowledged transactions never mined, e.g. " \
                        f"{waiting[0].to_0x_hex()}"


def test_acknowledged_transactions_and_blocks_survive_node_kills(
    target: str, tmp_path: Path, dev_accounts: list[LocalAccount]
) -> None:
    if target != "ordo":
        pytest.skip(f"needs Ordo: {target} keeps no chain on disk to restart from")
    seed = int.from_bytes(os.urandom(4), "big")
    chooser = random.Random(seed)
    print(f"crash test seed {seed}")
    devnet = OrdoDevnet(tmp_path / "devnet")
    load: TransferLoad | None = None
    try:
        endpoint = devnet.start()
        w3 = connect(endpoint)
        load = TransferLoad(endpoint.rpc_url, endpoint.chain_id, dev_accounts[:SENDERS],
                            dev_accounts[-1].address)
        load.start()
        record = ChainRecord()

        for kill in range(1, KILLS + 1):
            time.sleep(chooser.uniform(*LOAD_BEFORE_KILL_S))
            record.extend(w3)
            acknowledged_before_kill = load.acknowledged()
            killed_pid = devnet.kill_node()
            devnet.stop()
            endpoint = devnet.start()
            w3 = connect(endpoint)
            assert devnet.node_pid() != killed_pid

            assert_chain_unchanged(w3, record)
            mined = assert_every_acknowledged_tx_known(w3, acknowledged_before_kill)
            print(f"kill {kill}: pid {killed_pid} at height {max(record.hashes)}, "
                  f"{len(acknowledged_before_kill)} acknowledged, {mined} mined")

        time.sleep(chooser.uniform(*LOAD_BEFORE_KILL_S))
        load.stop()
        acknowledged = load.acknowledged()
        assert len(acknowledged) > KILLS * 10, "the load barely ran; nothing was tested"
        wait_until_all_mined(w3, acknowledged)
        assert_every_acknowledged_tx_known(w3, acknowledged)
        record.extend(w3)
        assert_chain_unchanged(w3, record)
        print(f"{len(acknowledged)} acknowledged transactions all mined; refusals "
              f"{load.refusals}; connection errors {load.connection_errors}")
    finally:
        if load is not None:
            load.stop()
        devnet.stop()
