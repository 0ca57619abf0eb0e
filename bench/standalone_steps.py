"""What a standalone challenger (``ordo challenger``) reads from an L2 RPC to trace a batch, and
how long it takes.

Starts an ``ordo node`` with no L1 (tests/challenger/l2_node.py) whose first blocks hold
``--transfers`` transfers from ``--senders`` dev accounts to fresh addresses (sent at once; a
``--block-time`` of 2 s puts them in a few blocks), and takes blocks 1 through the last one
holding a transfer as batch 0. Then, as the challenger does
(``ordo.challenger.rpc_steps.RpcSteps``, docs/challenger.md "The step half from an L2 RPC"):

1. cold: ``load`` (output roots, blocks, headers, each checked) and ``verify_outputs`` (every
   block traced keeping no witness, state nodes fetched by hash over ``ordo_getStateNodes``,
   each trace checked against the RPC's output roots from the genesis output root), the work
   ``--verify-outputs`` does before judging a batch;
2. warm: a second ``RpcSteps`` on the same node cache traces every block keeping every witness
   (``prepare``, what a game's step half needs), with no state fetch: the tracing alone.

Prints one JSON document (requests by kind, state nodes, bytes, seconds, steps) and writes
``bench/results/standalone_steps-<UTC date>.json`` (date, commit, machine) unless
``--no-write``.

    .venv/bin/python bench/standalone_steps.py [--transfers 200] [--senders 10] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the node helper lives in tests/

from bridge_gas import git_commit, machine  # noqa: E402
from tests.challenger.l2_node import L2Node, running_l2_node  # noqa: E402

from ordo.challenger.l1_game import LandedBatch  # noqa: E402
from ordo.challenger.node_steps import batch_block  # noqa: E402
from ordo.challenger.rpc_steps import HashedNodes, RpcSteps  # noqa: E402
from ordo.core.block_codec import decode_block  # noqa: E402
from ordo.execution.genesis_output import genesis_output_root  # noqa: E402
from ordo.faultproof.batch_inputs import inputs_root  # noqa: E402
from ordo.l1.client import L1Client  # noqa: E402
from ordo.settlement.l2_readers import RpcL2Reader  # noqa: E402


async def measure(node: L2Node) -> dict[str, Any]:
    async with L1Client(node.url) as client:
        raw = [await client.request("ordo_getRawBlock", [hex(n)]) for n in node.batch]
        blocks = [decode_block(bytes.fromhex(answer[2:])) for answer in raw]
        batch = LandedBatch(0, bytes(32), bytes(32),
                            inputs_root([batch_block(block) for block in blocks]), 0,
                            node.batch[0], len(node.batch), 0)
        reader = RpcL2Reader(client)
        nodes = HashedNodes(client)

        async def agreed(index: int) -> bytes:
            return genesis_output_root(node.genesis)

        cold = RpcSteps(reader, nodes, node.genesis, batch, agreed_start=agreed)
        started = time.perf_counter()
        await cold.load()
        loaded = time.perf_counter()
        await asyncio.to_thread(cold.verify_outputs)
        verified = time.perf_counter()
        cold_counts = nodes.counts.to_json()
        node_bytes = sum(len(value) for value in nodes._cache.values())

        warm = RpcSteps(reader, nodes, node.genesis, batch, agreed_start=agreed)
        await warm.load()
        traced_from = time.perf_counter()
        await asyncio.to_thread(warm.prepare, range(batch.block_count))
        traced = time.perf_counter()
        steps = [len(warm.trace(block)) for block in range(batch.block_count)]
        warm_nodes = nodes.counts.nodes - cold_counts["nodes"]
    return {
        "blocks": batch.block_count,
        "transactions": sum(len(block.transactions) for block in blocks),
        "steps": sum(steps),
        "steps_per_block": steps,
        "cold": {
            "reads": cold_counts,
            "state_node_bytes": node_bytes,
            "load_s": round(loaded - started, 3),
            "verify_outputs_s": round(verified - loaded, 3),
            "ms_per_state_node_fetch": round(cold_counts["wait_ms"] /
                                             max(cold_counts["nodes"], 1), 2),
            "ms_per_block": round(1000 * (verified - loaded) / batch.block_count, 1),
        },
        "warm": {
            "state_nodes_fetched": warm_nodes,
            "trace_with_witnesses_s": round(traced - traced_from, 3),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--senders", type=int, default=10, choices=range(1, 11),
                        metavar="1..10")
    parser.add_argument("--block-time", type=float, default=2.0,
                        help="The node's block time: transfers sent at once share blocks")
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="standalone-steps-") as workdir, \
            running_l2_node(Path(workdir), options.transfers, options.senders,
                            options.block_time) as node:
        print(f"node at {node.url}: batch of blocks {node.batch[0]}..{node.batch[-1]}",
              file=sys.stderr)
        result = asyncio.run(measure(node))
    document = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "commit": git_commit(),
                "machine": machine(), "transfers": options.transfers,
                "senders": options.senders, "block_time_s": options.block_time, **result}
    text = json.dumps(document, indent=2)
    print(text)
    if not options.no_write:
        path = REPO_ROOT / "bench" / "results" / f"standalone_steps-{document['date']}.json"
        path.write_text(text + "\n")
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
