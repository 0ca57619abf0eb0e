"""The honest trace of tests/l1_dispute's toy L2 (the one CountingStepVerifier runs) as the
challenger service reads traces: outputs and, when asked for, the step half too. The service is
the real one; only where the honest values come from is the toy's, because the toy verifier
decides the game's steps."""

from __future__ import annotations

from dataclasses import dataclass

from ordo.challenger.honest_trace import BatchTrace, MissingStepTrace, StepTrace
from ordo.challenger.l1_game import LandedBatch
from tests.l1_dispute.toy_trace import ToyBatch


@dataclass(frozen=True)
class ToySteps:
    batch: ToyBatch

    def state(self, block: int, step: int) -> bytes:
        return self.batch.state(block, step)

    def witness(self, block: int, step: int) -> bytes:
        return self.batch.state_witness(block, step)


class ToyTraceSource:
    """``batches`` maps a batch index to its honest toy batch; ``with_steps`` False plays as
    a node without the whole-block tracer."""

    def __init__(self, batches: dict[int, ToyBatch], with_steps: bool = True) -> None:
        self.batches = batches
        self.with_steps = with_steps
        self.asked: list[int] = []

    async def batch_trace(self, batch: LandedBatch, max_step_depth: int) -> BatchTrace | None:
        self.asked.append(batch.index)
        toy = self.batches.get(batch.index)
        if toy is None:
            return None
        assert toy.count == batch.block_count and toy.max_step_depth == max_step_depth
        steps: StepTrace = ToySteps(toy) if self.with_steps else \
            MissingStepTrace(batch.index, batch.first_block)
        return BatchTrace(batch.index, batch.first_block, toy.start, toy.inputs_root,
                          tuple(toy.outputs()), max_step_depth, steps)
