"""L1 gas per batch and per L2 transaction, calldata vs blobs, on a real anvil (Prague rules).

Measures what the node posts: the batches are cut by the node's own plan
(``ordo.batcher.batch_plan.plan_next_batch`` with its ``PlanRules`` defaults: at most
``DEFAULT_MAX_BLOCKS`` blocks, closed before the encoded size would pass
``DEFAULT_MAX_ENCODED_BYTES``, never across an L2 epoch), their payload, headers and blobs come
from ``plan_headers``, and they are posted by the node's ``BatchPoster`` (the blob variant, or
the calldata variant with ``prefer_blobs=False``). Only closed batches are posted, as a node
would: blocks of the realistic mix of rollup_traffic.py are made until ``--batches`` batches have
closed. Deploys the staking contracts, four sequencers (equal stakes) and the RollupInbox; every
batch is signed by three of the four (the smallest quorum) and credits one producer (the leader
stays the producer while rounds succeed). Reports execution gas (what the inbox costs), calldata
bytes, blobs and blob gas, per batch and per L2 transaction, prints one JSON object and writes
it to ``--results-dir`` as ``batch_gas-<UTC date>.json`` with the date, commit and machine.

    .venv/bin/python bench/batch_gas.py [--batches 3] [--txs-per-block 100]
    .venv/bin/python bench/batch_gas.py --max-blocks 4 --batches 1 --txs-per-block 50 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge_gas import git_commit, machine
from rollup_traffic import TrafficMix

from ordo.batcher.batch_header import DataKind, sign_batch_header
from ordo.batcher.batch_plan import (
    DEFAULT_MAX_BLOCKS,
    DEFAULT_MAX_ENCODED_BYTES,
    BatchRange,
    FinalBlock,
    PlannedBatch,
    PlanRules,
    plan_headers,
    plan_next_batch,
)
from ordo.batcher.batch_poster import BatchPoster, PostableHeader, PosterConfig, ReadyBatch
from ordo.consensus.signing import LocalSigner
from ordo.core.genesis import ConsensusRules, dev_private_keys
from ordo.devnet.ports import free_port
from ordo.l1.client import L1Client
from ordo.l1.deploy import deploy_staking, stake_devnet_sequencers
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import deploy_rollup
from ordo.l1.staking_params import StakingParams

REPO_ROOT = Path(__file__).resolve().parents[1]
ANVIL = REPO_ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
L2_CHAIN_ID = 77077
BLOB_GAS_PER_BLOB = 131_072
QUORUM = 3
POST_TIMEOUT_S = 120.0


class PlannedChain:
    """Final blocks of the traffic mix, made on demand in block order, and the batches the
    node's plan cuts from them. ``builder`` is the producer every block credits."""

    def __init__(self, mix: TrafficMix, per_block: int, builder: bytes, rules: PlanRules,
                 epoch: int) -> None:
        self.mix = mix
        self.per_block = per_block
        self.builder = builder
        self.rules = rules
        self.epoch = epoch
        self.blocks: dict[int, FinalBlock] = {}

    def block_at(self, number: int) -> FinalBlock:
        while number not in self.blocks:
            made = len(self.blocks) + 1
            (batch_block,) = self.mix.blocks(1, self.per_block, made)
            self.blocks[made] = FinalBlock(
                batch_block, block_hash=made.to_bytes(32, "big"),
                output_root=b"\x5a" * 32, builder=self.builder)
        return self.blocks[number]

    def continue_with(self, last_posted: int, per_block: int, rules: PlanRules) -> None:
        """Forget the blocks made after ``last_posted`` and go on with other sizes and rules."""
        self.blocks = {number: block for number, block in self.blocks.items()
                       if number <= last_posted}
        self.per_block = per_block
        self.rules = rules

    def next_batch(self, index: int, first_block: int) -> tuple[PlannedBatch, str]:
        """Batch ``index`` from ``first_block``, planned once final blocks reach far enough
        to close it, and the rule that closed it."""
        batch: BatchRange | None = None
        final = first_block
        while batch is None:
            self.block_at(final)
            batch = plan_next_batch(first_block, final, self.block_at, self.rules)
            final += 1
        count = len(batch.blocks)
        if batch.last_block == self.rules.epoch_last_block(first_block):
            closed_by = "epoch end"
        elif count == self.rules.max_blocks:
            closed_by = "max_blocks"
        else:
            closed_by = "max_encoded_bytes"
        return plan_headers(index, batch, self.epoch, forced_through=0), closed_by


def ready(planned: PlannedBatch, signers: list[LocalSigner], inbox: bytes) -> ReadyBatch:
    """Both header variants with the smallest quorum's signatures, in ascending signer order
    (what the node's attestation collectors hand its poster)."""
    quorum = sorted(signers, key=lambda key: key.address)[:QUORUM]
    return ReadyBatch(planned.payload, planned.sidecar, tuple(
        PostableHeader(planned.header(kind),
                       tuple(sign_batch_header(key, planned.header(kind), L2_CHAIN_ID, inbox)
                             for key in quorum))
        for kind in (DataKind.BLOBS, DataKind.CALLDATA)))


async def post_series(client: L1Client, poster: BatchPoster, chain: PlannedChain,
                      signers: list[LocalSigner], batches: int) -> list[dict[str, Any]]:
    """Post the next ``batches`` planned batches the way the node does, one after the other;
    each entry is one batch's receipt figures."""
    posted = []
    for _ in range(batches):
        position = await poster.position(confirmed=False)
        planned, closed_by = chain.next_batch(position.next_index, position.last_block + 1)
        batch = ready(planned, signers, poster.inbox.address)
        await poster.post(batch, timeout=POST_TIMEOUT_S)
        receipt = await client.wait_for_receipt(poster.sent_hashes(batch.index)[-1], timeout=60)
        if not receipt.succeeded:
            raise RuntimeError(f"batch {batch.index} reverted")
        blobs = poster.blobs_supported
        variant = batch.variant(DataKind.BLOBS if blobs else DataKind.CALLDATA)
        assert variant is not None
        call_data = poster.inbox.encode_call(
            "submit_batch", variant.header.as_abi_tuple(), list(variant.signatures),
            b"" if blobs else planned.payload)
        span = planned.batch_range
        posted.append({
            "index": batch.index, "first_block": span.first_block,
            "last_block": span.last_block, "blocks": len(span.blocks), "closed_by": closed_by,
            "l2_transactions": sum(len(block.batch_block.transactions)
                                   for block in span.blocks),
            "payload_bytes": len(planned.payload), "gas": receipt.gas_used,
            "calldata_bytes": len(call_data),
            "blobs": len(planned.sidecar.blobs) if blobs else 0})
    return posted


def summarize(kind: str, posted: list[dict[str, Any]]) -> dict[str, Any]:
    transactions = sum(entry["l2_transactions"] for entry in posted)
    payload_bytes = sum(entry["payload_bytes"] for entry in posted)
    gas = sum(entry["gas"] for entry in posted)
    blobs = sum(entry["blobs"] for entry in posted)
    calldata = sum(entry["calldata_bytes"] for entry in posted)
    return {
        "kind": kind, "batches": len(posted), "l2_transactions": transactions,
        "blocks": sum(entry["blocks"] for entry in posted),
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


async def run(url: str, rules: PlanRules, batches: int, per_block: int) -> dict[str, Any]:
    async with L1Client(url) as client:
        key = dev_private_keys(1)[0]
        deployer = LocalAccount(client, key)
        staking = await deploy_staking(client, deployer, StakingParams(L2_CHAIN_ID))
        signers = [LocalSigner((0x5EC0 + index).to_bytes(32, "big")) for index in range(4)]
        staked = await stake_devnet_sequencers(client, staking, deployer,
                                               [signer.address for signer in signers],
                                               time_travel=True)
        rollup = await deploy_rollup(client, deployer, staking)
        mix = TrafficMix()
        chain = PlannedChain(mix, per_block, signers[0].address, rules, staked.live_epoch)
        fast = {"confirmations": 1, "poll_interval": 0.05}
        calldata_poster = BatchPoster(client, key, rollup.inbox, L2_CHAIN_ID,
                                      PosterConfig(prefer_blobs=False, **fast))
        blob_poster = BatchPoster(client, key, rollup.inbox, L2_CHAIN_ID, PosterConfig(**fast))
        print(f"posting {batches} calldata and {batches} blob batches of {per_block}-transaction "
              f"blocks", file=sys.stderr)
        calldata = await post_series(client, calldata_poster, chain, signers, batches)
        blob_posts = await post_series(client, blob_poster, chain, signers, batches)
        if not blob_poster.blobs_supported:
            raise RuntimeError("anvil refused blob transactions: the blob figures would be "
                               "calldata")
        # the fixed cost of a batch: one block with one transaction, by calldata
        chain.continue_with(blob_posts[-1]["last_block"], 1, PlanRules(rules.epoch_length, 1))
        (fixed,) = await post_series(client, calldata_poster, chain, signers, 1)
        return {
            "mix": mix.counts, "signatures_per_batch": QUORUM, "sequencers": len(signers),
            "producers_per_batch": 1, "txs_per_block": per_block,
            "plan": {"max_blocks": rules.max_blocks,
                     "max_encoded_bytes": rules.max_encoded_bytes,
                     "epoch_length": rules.epoch_length,
                     "node_defaults": (rules.max_blocks, rules.max_encoded_bytes)
                     == (DEFAULT_MAX_BLOCKS, DEFAULT_MAX_ENCODED_BYTES)},
            "calldata": summarize("calldata", calldata),
            "blobs": summarize("blobs", blob_posts),
            "one_tx_batch_execution_gas": fixed["gas"],
            "note": "execution gas is the receipts' gasUsed (21000 base and calldata "
                    "included); blob gas is priced separately by the blob base fee. The node "
                    "plans both variants from the same blocks, so a blob batch holds what fits "
                    "the calldata limit (one blob)",
        }


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=3,
                        help="closed batches posted per data kind (default 3)")
    parser.add_argument("--txs-per-block", type=int, default=100)
    parser.add_argument("--max-blocks", type=int, default=DEFAULT_MAX_BLOCKS,
                        help="the plan's block limit (default: the node's, "
                             f"{DEFAULT_MAX_BLOCKS})")
    parser.add_argument("--max-encoded-bytes", type=int, default=DEFAULT_MAX_ENCODED_BYTES,
                        help="the plan's encoded-size limit (default: the node's, "
                             f"{DEFAULT_MAX_ENCODED_BYTES})")
    parser.add_argument("--epoch-length", type=int, default=ConsensusRules().epoch_length,
                        help="L2 epoch length (default: the genesis default)")
    parser.add_argument("--results-dir", type=Path, default=REPO_ROOT / "bench/results")
    parser.add_argument("--no-write", action="store_true", help="print only, write no file")
    arguments = parser.parse_args(argv)
    if arguments.batches < 1 or arguments.txs_per_block < 1:
        parser.error("--batches and --txs-per-block must be at least 1")
    return arguments


def main() -> None:
    arguments = parse_arguments()
    rules = PlanRules(arguments.epoch_length, arguments.max_blocks, arguments.max_encoded_bytes)
    if not ANVIL.exists():
        sys.exit(f"anvil not found at {ANVIL}; run npm ci in the repo root")
    started = datetime.now(UTC)
    port = free_port()
    process = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--hardfork", "prague", "--silent",
         "--gas-limit", "60000000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(1.0)
        measured = asyncio.run(run(f"http://127.0.0.1:{port}", rules, arguments.batches,
                                   arguments.txs_per_block))
    finally:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    result = {
        "bench": "batch_gas", "date": started.date().isoformat(),
        "started_utc": started.isoformat(timespec="seconds"), "commit": git_commit(),
        "machine": machine(),
        "settings": {"l1": "anvil --hardfork prague --gas-limit 60000000 (automine)",
                     "batches_per_kind": arguments.batches},
        **measured,
    }
    document = json.dumps(result, indent=2)
    if not arguments.no_write:
        arguments.results_dir.mkdir(parents=True, exist_ok=True)
        path = arguments.results_dir / f"batch_gas-{result['date']}.json"
        path.write_text(document + "\n")
        print(f"wrote {path}", file=sys.stderr)
    print(document)


if __name__ == "__main__":
    main()
