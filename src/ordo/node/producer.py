"""The block production loop of a single sequencer (the shell around production_policy).

Building and committing a block is CPU- and disk-bound; it runs in a worker thread so the RPC
server keeps answering meanwhile. Only this task ever writes blocks, so builds never race.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from ordo.core.block import Block
from ordo.execution.engine import BlockEnvironment
from ordo.node.node import Node
from ordo.node.production_policy import next_block_timestamp, seconds_until_next_block

log = logging.getLogger(__name__)

MAX_CANDIDATES_PER_BLOCK = 5_000


class BlockProducer:
    def __init__(self, node: Node, block_time: float, heartbeat_interval: float,
                 fee_recipient: bytes) -> None:
        self.node = node
        self.block_time = block_time
        self.heartbeat_interval = heartbeat_interval
        self.fee_recipient = fee_recipient
        self.last_block_at = time.monotonic()
        self.blocks_produced = 0

    async def run(self) -> None:
        while True:
            wait = seconds_until_next_block(
                time.monotonic(), self.last_block_at, len(self.node.mempool) > 0,
                self.block_time, self.heartbeat_interval,
            )
            if wait > 0:
                self.node.transactions_arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.node.transactions_arrived.wait(), timeout=wait)
                continue
            try:
                await self.produce_block()
            except Exception:
                # A failed build must not kill production; the next attempt starts fresh.
                log.exception("block production failed")
                await asyncio.sleep(self.block_time)

    async def produce_block(self) -> None:
        node = self.node
        parent = node.chain.head_header()
        base_fee = node.chain.engine.next_base_fee(parent)
        candidates = []
        for decoded in node.mempool.select(base_fee):
            candidates.append(decoded)
            if len(candidates) >= MAX_CANDIDATES_PER_BLOCK:
                break
        env = BlockEnvironment(
            coinbase=self.fee_recipient,
            timestamp=next_block_timestamp(time.time(), int(parent.timestamp)),
            gas_limit=int(parent.gas_limit),
        )
        self.last_block_at = time.monotonic()

        def build_and_commit() -> tuple[Block, tuple[tuple[bytes, str], ...]]:
            result = node.chain.build_block(candidates, env)
            included = [bytes(tx.hash) for tx in result.executed.block.transactions]
            return node.chain.commit(result, journal_removals=included), result.skipped

        block, skipped = await asyncio.to_thread(build_and_commit)
        self.blocks_produced += 1
        log.info("block %d: %d txs, %d skipped", block.number, len(block.transactions),
                 len(skipped))
        await node.on_block_committed(block, skipped)
