"""L1 gas per batch and per L2 transaction, calldata vs blobs, on a real anvil (Prague rules).

Deploys the staking contracts, four sequencers (equal stakes) and the RollupInbox, then posts
batches of the realistic mix of rollup_traffic.py: each run of blocks is compressed, split under
the calldata or blob payload limit, and every batch is signed by three of the four sequencers
(the smallest quorum) and posted as a calldata transaction or as a type-3 blob transaction.
Reports execution gas (what the inbox costs), calldata bytes, blobs and blob gas, per batch and
per L2 transaction. Prints one JSON object.

    .venv/bin/python bench/batch_gas.py [--blocks 40] [--txs-per-block 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rollup_traffic import TrafficMix

from ordo.batcher.batch_codec import (
    BLOB_PAYLOAD_LIMIT,
    CALLDATA_PAYLOAD_LIMIT,
    BatchPayload,
    split_into_payloads,
)
from ordo.batcher.batch_header import (
    BatchHeader,
    DataKind,
    Producer,
    blob_data_hash,
    calldata_data_hash,
    sign_batch_header,
)
from ordo.batcher.blob_packing import blob_sidecar, pack_blobs
from ordo.batcher.blob_transaction import BlobTransactionFields, sign_blob_transaction
from ordo.consensus.signing import LocalSigner
from ordo.core.genesis import dev_private_keys
from ordo.devnet.ports import free_port
from ordo.faultproof.batch_inputs import inputs_root
from ordo.l1.client import L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.deploy import deploy_staking, stake_devnet_sequencers
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import deploy_rollup, inbox_at
from ordo.l1.staking_params import StakingParams

REPO_ROOT = Path(__file__).resolve().parents[1]
ANVIL = REPO_ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
L2_CHAIN_ID = 77077
BLOB_GAS_PER_BLOB = 131_072
TX_BASE_GAS = 21_000


class Poster:
    """Signs headers with the quorum and posts them; keeps the inbox's running position."""

    def __init__(self, client: L1Client, account: LocalAccount, inbox: ContractHandle,
                 signers: list[LocalSigner], epoch: int) -> None:
        self.client = client
        self.account = account
        self.inbox = inbox
        self.signers = sorted(signers, key=lambda key: key.address)
        self.epoch = epoch
        self.index = 0

    def header(self, batch: BatchPayload, kind: DataKind, data_hash: bytes) -> BatchHeader:
        count = batch.last_block - batch.first_block + 1
        producer = self.signers[self.index % len(self.signers)]
        return BatchHeader(
            index=self.index, first_block=batch.first_block, last_block=batch.last_block,
            last_block_hash=batch.last_block.to_bytes(32, "big"), output_root=b"\x5a" * 32,
            inputs_root=inputs_root(batch.blocks), data_kind=kind, data_hash=data_hash,
            epoch=self.epoch,
            producers=(Producer(producer.address, count),), forced_through=0)

    def _signatures(self, header: BatchHeader) -> list[bytes]:
        quorum = self.signers[:3]
        return [sign_batch_header(key, header, L2_CHAIN_ID, self.inbox.address)
                for key in quorum]

    async def post_calldata(self, batch: BatchPayload) -> dict[str, Any]:
        header = self.header(batch, DataKind.CALLDATA, calldata_data_hash(batch.payload))
        data = self.inbox.encode_call("submit_batch", header.as_abi_tuple(),
                                      self._signatures(header), batch.payload)
        sent = await self.account.send_transaction(self.inbox.address, data)
        receipt = await self.client.wait_for_receipt(sent.tx_hash, timeout=60)
        assert receipt.succeeded, "calldata batch reverted"
        self.index += 1
        return {"gas": receipt.gas_used, "calldata_bytes": len(data), "blobs": 0}

    async def post_blobs(self, batch: BatchPayload, private_key: bytes) -> dict[str, Any]:
        sidecar = blob_sidecar(pack_blobs(batch.payload))
        header = self.header(batch, DataKind.BLOBS, blob_data_hash(sidecar.versioned_hashes))
        data = self.inbox.encode_call("submit_batch", header.as_abi_tuple(),
                                      self._signatures(header), b"")
        fees = await self.client.suggest_fees()
        fields = BlobTransactionFields(
            chain_id=await self.client.chain_id(),
            nonce=await self.client.get_transaction_count(self.account.address, "pending"),
            to=self.inbox.address, data=data, gas=1_000_000,
            max_fee_per_gas=fees.max_fee_per_gas,
            max_priority_fee_per_gas=fees.max_priority_fee_per_gas,
            max_fee_per_blob_gas=10**10)
        signed = sign_blob_transaction(private_key, fields, sidecar)
        await self.client.send_raw_transaction(signed.network_bytes)
        receipt = await self.client.wait_for_receipt(signed.tx_hash, timeout=60)
        assert receipt.succeeded, "blob batch reverted"
        self.index += 1
        return {"gas": receipt.gas_used, "calldata_bytes": len(data),
                "blobs": len(sidecar.blobs)}


def summarize(kind: str, posted: list[dict[str, Any]], transactions: int,
              payload_bytes: int) -> dict[str, Any]:
    gas = sum(entry["gas"] for entry in posted)
    blobs = sum(entry["blobs"] for entry in posted)
    calldata = sum(entry["calldata_bytes"] for entry in posted)
    return {
        "kind": kind, "batches": len(posted), "l2_transactions": transactions,
        "payload_bytes": payload_bytes,
        "payload_bytes_per_tx": round(payload_bytes / transactions, 2),
        "l1_calldata_bytes_per_tx": round(calldata / transactions, 2),
        "execution_gas_total": gas,
        "execution_gas_per_batch": round(gas / len(posted)),
        "execution_gas_per_tx": round(gas / transactions, 1),
        "blobs": blobs, "blob_gas_total": blobs * BLOB_GAS_PER_BLOB,
        "blob_gas_per_tx": round(blobs * BLOB_GAS_PER_BLOB / transactions, 1),
        "per_batch": posted,
    }


async def run(url: str, blocks: int, per_block: int) -> dict[str, Any]:
    async with L1Client(url) as client:
        key = dev_private_keys(1)[0]
        deployer = LocalAccount(client, key)
        staking = await deploy_staking(client, deployer, StakingParams(L2_CHAIN_ID))
        signers = [LocalSigner((0x5EC0 + index).to_bytes(32, "big")) for index in range(4)]
        staked = await stake_devnet_sequencers(client, staking, deployer,
                                               [signer.address for signer in signers],
                                               time_travel=True)
        rollup = await deploy_rollup(client, deployer, staking)
        poster = Poster(client, deployer, inbox_at(client, rollup.inbox), signers,
                        staked.live_epoch)
        mix = TrafficMix()
        print(f"signing {blocks} x {per_block} transactions", file=sys.stderr)
        calldata_blocks = mix.blocks(blocks, per_block, 1)
        blob_blocks = mix.blocks(blocks, per_block, blocks + 1)
        transactions = blocks * per_block

        small = split_into_payloads(mix.blocks(1, 1, 2 * blocks + 1), CALLDATA_PAYLOAD_LIMIT)
        calldata_batches = split_into_payloads(calldata_blocks, CALLDATA_PAYLOAD_LIMIT)
        calldata = [await poster.post_calldata(batch) for batch in calldata_batches]
        blob_batches = split_into_payloads(blob_blocks, BLOB_PAYLOAD_LIMIT)
        blob_posts = [await poster.post_blobs(batch, key) for batch in blob_batches]
        # the fixed cost of a batch: one block with one transaction, by calldata
        (smallest,) = small
        fixed = await poster.post_calldata(smallest)
        return {
            "mix": mix.counts, "signatures_per_batch": 3, "sequencers": 4,
            "blocks": blocks, "txs_per_block": per_block,
            "calldata": summarize(
                "calldata", calldata, transactions,
                sum(len(batch.payload) for batch in calldata_batches)),
            "blobs": summarize(
                "blobs", blob_posts, transactions,
                sum(len(batch.payload) for batch in blob_batches)),
            "one_tx_batch_execution_gas": fixed["gas"],
            "note": "execution gas includes the 21000 base and calldata; blob gas is priced "
                    "separately by the blob base fee",
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--txs-per-block", type=int, default=100)
    arguments = parser.parse_args()
    if not ANVIL.exists():
        sys.exit(f"anvil not found at {ANVIL}; run npm ci in the repo root")
    port = free_port()
    process = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--hardfork", "prague", "--silent",
         "--gas-limit", "60000000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(1.0)
        result = asyncio.run(run(f"http://127.0.0.1:{port}", arguments.blocks,
                                 arguments.txs_per_block))
    finally:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
