"""Block building: the block this node proposes when the machine asks (``ProposeRequest``).

Mempool candidates by fee at the next base fee, as many as the size limit allows; the L1 origin,
forced items and prices from :class:`L1BlockInputs`; the header fields Ordo fixes (coinbase the
fee recipient, timestamp by ``next_block_timestamp``, the parent's gas limit, extra data =
builder ‖ origin ‖ forced_through, prev_randao = the origin's hash). The build rate it measures
sizes the next blocks so that others can re-execute them inside the propose timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from eth.abc import BlockHeaderAPI

from ordo.chain.chain import Chain
from ordo.consensus import ConsensusParams, ProposedValue, Step
from ordo.core.block import ExecutedBlock
from ordo.core.block_codec import encode_block
from ordo.core.transaction import DecodedTransaction
from ordo.execution.engine import BlockEnvironment, BuildResult
from ordo.node.l1_block_inputs import L1BlockInputs
from ordo.node.l1_origin import block_extra_data
from ordo.node.production_policy import max_block_transactions, next_block_timestamp

MAX_CANDIDATES_PER_BLOCK = 5_000
MIN_CANDIDATES_PER_BLOCK = 50
BUILD_BUDGET_FRACTION = 0.3
"""Share of the round's propose timeout a build may take when others must validate in time."""
INITIAL_BUILD_RATE = 300.0
RATE_SMOOTHING = 0.3


@dataclass(frozen=True)
class Executed:
    """A block this node built or re-executed, ready to commit without running it again."""

    executed: ExecutedBlock
    state_writes: dict[bytes, bytes]
    skipped: tuple[tuple[bytes, str], ...]


class Candidates(Protocol):
    def select(self, base_fee: int) -> Iterable[DecodedTransaction]: ...


class BlockBuilder:
    def __init__(self, chain: Chain, pool: Candidates, inputs: L1BlockInputs,
                 params: ConsensusParams, fee_recipient: bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self.chain = chain
        self._pool = pool
        self.inputs = inputs
        self._params = params
        self._fee_recipient = fee_recipient
        self._clock = clock
        self.build_rate = INITIAL_BUILD_RATE
        """Transactions per second our recent builds ran at (smoothed)."""

    def size_limit(self, round_: int, validators: int) -> int:
        if validators == 1:
            return MAX_CANDIDATES_PER_BLOCK  # our own votes decide: no one must keep up
        budget = BUILD_BUDGET_FRACTION * self._params.timeout_ms(Step.PROPOSE, round_) / 1000
        return max_block_transactions(self.build_rate, budget, MIN_CANDIDATES_PER_BLOCK,
                                      MAX_CANDIDATES_PER_BLOCK)

    def measure(self, candidates: int, elapsed: float) -> None:
        if candidates >= MIN_CANDIDATES_PER_BLOCK // 2 and elapsed > 0:
            rate = candidates / elapsed
            self.build_rate += RATE_SMOOTHING * (rate - self.build_rate)

    async def build(self, parent: BlockHeaderAPI, builder: bytes, round_: int,
                    validators: int) -> tuple[ProposedValue, Executed] | None:
        """Our block on ``parent`` and what committing it needs; None when the L1 inputs cannot
        be read now (the round's timer then moves the others on)."""
        base_fee = self.chain.engine.next_base_fee(parent)
        limit = self.size_limit(round_, validators)
        candidates = []
        for decoded in self._pool.select(base_fee):
            candidates.append(decoded)
            if len(candidates) >= limit:
                break
        inputs = await self.inputs.for_new_block(parent)
        if inputs is None:
            return None
        origin = inputs.origin
        env = BlockEnvironment(
            coinbase=self._fee_recipient,
            timestamp=next_block_timestamp(self._clock(), int(parent.timestamp)),
            gas_limit=int(parent.gas_limit),
            extra_data=block_extra_data(builder, origin, inputs.forced_through),
            prev_randao=bytes(32) if origin is None else origin.hash,
            forced=inputs.forced,
            l1_prices=inputs.prices,
        )
        def build_and_encode() -> tuple[BuildResult, bytes, float]:
            started = time.monotonic()
            result = self.chain.engine.build_block(parent, candidates, env)
            elapsed = time.monotonic() - started
            return result, encode_block(result.executed.block), elapsed

        # one worker-thread hop for both: on a busy machine each hop waits for the GIL
        result, payload, elapsed = await asyncio.to_thread(build_and_encode)
        block = result.executed.block
        self.measure(len(candidates), elapsed)
        value = ProposedValue(block.number, bytes(parent.hash), block.hash, builder, payload)
        return value, Executed(result.executed, result.state_writes, result.skipped)
