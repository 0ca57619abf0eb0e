"""How fast a verifier derives the L2 chain from L1: blocks and transactions per second.

Makes an L1-anchored L2 chain in-process (the derivation tests' chain maker: every block calls a
probe contract and carries ETH transfers between the dev accounts), posts it to a RollupInbox
on a real anvil as signed calldata batches split under the calldata limit, then runs the
derivation from L1 alone into a fresh data directory. Also times the same batches replayed
without L1 (decode + re-execute + commit) to show what reading L1 adds, and the producer's own
build-and-commit time as the reference. Prints one JSON object.

    .venv/bin/python bench/derivation_speed.py [--blocks 200] [--transfers-per-block 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the chain maker and anvil fixtures live in tests/

from tests.derivation.l2_chain_maker import (  # noqa: E402
    L1OriginRef,
    L2ChainMaker,
    batch_block_of,
)
from tests.derivation.rollup_posting import BatchEnd, post_calldata_batch  # noqa: E402
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, running_anvil  # noqa: E402
from tests.l1_inbox.rollup_setup import deploy_rollup_setup  # noqa: E402

from ordo.batcher.batch_codec import CALLDATA_PAYLOAD_LIMIT, split_into_payloads  # noqa: E402
from ordo.core.block_codec import encode_block  # noqa: E402
from ordo.core.genesis import GenesisL1, devnet_genesis  # noqa: E402
from ordo.derivation.batch_data import decode_batch  # noqa: E402
from ordo.derivation.derivation_run import DerivationOptions, run_derivation  # noqa: E402
from ordo.derivation.derived_chain import DerivedChain  # noqa: E402
from ordo.derivation.inbox_batches import AcceptedBatch  # noqa: E402
from ordo.derivation.l1_batches import L1BatchReader  # noqa: E402
from ordo.l1.client import L1Client  # noqa: E402
from ordo.storage.chain_store import ChainStore  # noqa: E402


def measure(blocks: int, transfers: int, workdir: Path) -> dict[str, Any]:
    with running_anvil(workdir / "anvil.log") as chain:
        rollup = deploy_rollup_setup(chain)
        head = chain.w3.eth.block_number
        origin = L1OriginRef(head, bytes(chain.w3.eth.get_block(head)["hash"]))
        genesis = devnet_genesis(timestamp=1_700_000_000, l1=GenesisL1(
            chain_id=ANVIL_CHAIN_ID, locking_pool=bytes.fromhex(rollup.pools.pool.address[2:]),
            origin_number=origin.number, origin_hash=origin.hash))
        maker = L2ChainMaker(workdir / "source", genesis, [key.address for key in rollup.keys])
        started = time.monotonic()
        maker.build_traffic(blocks, [origin], transfers_per_block=transfers)
        build_seconds = time.monotonic() - started
        made = maker.blocks
        maker.close()

        payloads = split_into_payloads([batch_block_of(block) for block in made],
                                       CALLDATA_PAYLOAD_LIMIT)
        for index, payload in enumerate(payloads):
            last = made[payload.last_block - 1]
            post_calldata_batch(rollup, index, payload.blocks,
                                BatchEnd(last.hash, bytes(last.header.state_root)))

        url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
        summary = asyncio.run(run_derivation(DerivationOptions(
            l1_rpc=url, inbox=rollup.inbox_address, genesis=genesis,
            data_dir=workdir / "derived")))
        if not summary.ok:
            raise RuntimeError(f"derivation failed: {summary.to_json()}")
        with ChainStore(workdir / "derived") as store:
            stored = [store.get_block_by_number(block.number) for block in made]
        identical = all(copy is not None and encode_block(copy) == encode_block(block)
                        for copy, block in zip(stored, made, strict=True))

        accepted = asyncio.run(_accepted(url, rollup.inbox_address, genesis.chain_id))
        started = time.monotonic()
        with ChainStore(workdir / "replayed") as store:
            replayer = DerivedChain(store, genesis)
            for record, payload in zip(accepted, payloads, strict=True):
                replayer.apply(decode_batch(record, payload.payload))
        replay_seconds = time.monotonic() - started

    transactions = sum(len(block.transactions) for block in made)
    return {
        "blocks": len(made), "transactions": transactions, "batches": len(payloads),
        "identical": identical,
        "derive_from_l1": {"seconds": round(summary.seconds, 2),
                           "blocks_per_s": round(len(made) / summary.seconds, 1),
                           "tx_per_s": round(transactions / summary.seconds, 1)},
        "replay_without_l1": {"seconds": round(replay_seconds, 2),
                              "blocks_per_s": round(len(made) / replay_seconds, 1),
                              "tx_per_s": round(transactions / replay_seconds, 1)},
        "producer_build_and_commit": {"seconds": round(build_seconds, 2),
                                      "blocks_per_s": round(len(made) / build_seconds, 1)},
    }


async def _accepted(url: str, inbox: bytes, chain_id: int) -> list[AcceptedBatch]:
    async with L1Client(url) as client:
        reader = L1BatchReader(client, inbox, chain_id)
        return await reader.accepted_between(0, await client.block_number())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=200)
    parser.add_argument("--transfers-per-block", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        print(json.dumps(measure(arguments.blocks, arguments.transfers_per_block,
                                 Path(workdir)), indent=2))


if __name__ == "__main__":
    main()
