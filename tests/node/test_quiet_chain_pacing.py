"""A transaction arriving at a quiet chain starts a block at once (node/production_policy.py):
a client sending its next transaction right after the previous receipt is not held for the
block time. The node runs whole, in-process, with a block time far longer than the test waits,
so a block that waited it out would show as a missing receipt, and the block timestamps (whole
seconds) show the two blocks came closer than one block time."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import aiohttp

from ordo.config.node_config import NodeConfig
from ordo.consensus import LocalSigner
from ordo.core.genesis import GenesisValidator, dev_private_keys, devnet_genesis
from ordo.devnet.ports import free_port
from ordo.node.runner import run_node
from tests.node.test_node_lifecycle import SIGNER_KEY, Rpc, transfer

BLOCK_TIME = 40.0
RECEIPT_PATIENCE = 15.0
"""Well below BLOCK_TIME: a receipt within it was not paced by the block time."""


async def test_back_to_back_transactions_do_not_wait_for_the_block_time(tmp_path: Path) -> None:
    genesis_path, signer_path = tmp_path / "genesis.json", tmp_path / "signer.key"
    signer_path.write_text(SIGNER_KEY.hex())
    devnet_genesis(validators=(GenesisValidator(LocalSigner(SIGNER_KEY).address, 1),)
                   ).save(genesis_path)
    port = free_port()
    config = NodeConfig(data_dir=tmp_path / "node", genesis_path=genesis_path, rpc_port=port,
                        block_time=BLOCK_TIME, heartbeat_interval=BLOCK_TIME,
                        signer_key_path=signer_path, p2p_port=free_port())
    task = asyncio.create_task(run_node(config))
    key = dev_private_keys()[3]
    try:
        async with aiohttp.ClientSession() as session:
            rpc = Rpc(session, f"http://127.0.0.1:{port}")
            for _ in range(400):
                with contextlib.suppress(aiohttp.ClientError):
                    await rpc.call("eth_blockNumber")
                    break
                await asyncio.sleep(0.05)
            blocks = []
            for nonce in range(3):
                tx_hash = await rpc.call("eth_sendRawTransaction", transfer(key, nonce, 1))
                receipt = await rpc.wait_for_receipt(tx_hash, timeout=RECEIPT_PATIENCE)
                assert receipt["status"] == "0x1"
                blocks.append(await rpc.call("eth_getBlockByNumber", receipt["blockNumber"],
                                             False))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    numbers = [int(block["number"], 16) for block in blocks]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]  # one block each, no other
    stamps = [int(block["timestamp"], 16) for block in blocks]
    assert stamps[2] - stamps[0] < BLOCK_TIME
