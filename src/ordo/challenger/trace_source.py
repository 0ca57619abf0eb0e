"""Where the challenger gets the honest trace of a batch: output roots from an L2 source (the
node's own chain, a node's RPC, or a chain derived from L1 alone), the step half from a
``StepTrace`` factory (``ChainSteps``, ``RpcSteps``; ``MissingStepTrace`` when there is nothing
to trace from). With ``verify_outputs`` a batch is judged only after its step source traced
every block of it and found the source's output roots.

A batch whose blocks the L2 source does not hold yet is not judged (``None``): a node that is
behind neither opens a game nor answers one on a guess.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from ordo.challenger.honest_trace import (
    BatchTrace,
    MissingStepTrace,
    StepTrace,
    StepTraceUnavailable,
)
from ordo.challenger.l1_game import LandedBatch
from ordo.core.output_root import OutputRoot
from ordo.settlement.l2_readers import L2Unavailable

log = logging.getLogger(__name__)

StepTraceFactory = Callable[[LandedBatch], StepTrace]


class OutputSource(Protocol):
    """``RpcL2Reader`` and ``StoreL2Reader`` are ones; raises L2Unavailable for a block the
    source does not hold."""

    where: str

    async def output_at(self, number: int) -> OutputRoot: ...


class TraceSource(Protocol):
    async def batch_trace(self, batch: LandedBatch, max_step_depth: int) -> BatchTrace | None:
        ...


def missing_steps(batch: LandedBatch) -> StepTrace:
    return MissingStepTrace(batch.index, batch.first_block)


class L2TraceSource:
    """Honest traces from an L2 output source, kept per batch header (landed blocks are
    final on L2, so their output roots never change)."""

    def __init__(self, outputs: OutputSource, steps: StepTraceFactory = missing_steps,
                 verify_outputs: bool = False) -> None:
        self.outputs = outputs
        self.steps = steps
        self.verify_outputs = verify_outputs
        """Judge a batch only once its step source has checked every output root of it by
        execution (``RpcSteps.verify_outputs``): for an output source not trusted."""
        self._cache: dict[bytes, BatchTrace] = {}

    def retain(self, header_hashes: set[bytes]) -> None:
        """Forget the traces of every other batch (the service keeps the batches it may still
        play: a wrong one in its window, the ones with open games)."""
        self._cache = {key: trace for key, trace in self._cache.items()
                       if key in header_hashes}

    async def batch_trace(self, batch: LandedBatch, max_step_depth: int) -> BatchTrace | None:
        cached = self._cache.get(batch.header_hash)
        if cached is not None:
            return cached
        numbers = range(batch.first_block - 1, batch.last_block + 1)
        try:
            roots = await asyncio.gather(*(self.outputs.output_at(number) for number in numbers))
        except L2Unavailable as error:
            log.info("batch %d (L2 blocks %d..%d) not judged yet: %s", batch.index,
                     batch.first_block, batch.last_block, error)
            return None
        trace = BatchTrace(batch.index, batch.first_block, roots[0].root, batch.inputs_root,
                           tuple(output.root for output in roots[1:]), max_step_depth,
                           self.steps(batch))
        if self.verify_outputs and not await _outputs_checked(trace.steps, batch):
            return None
        self._cache[batch.header_hash] = trace
        return trace


async def _outputs_checked(steps: StepTrace, batch: LandedBatch) -> bool:
    """Trace the whole batch (loads on the event loop, traces in a worker thread); False, said
    in the log, while an output root cannot be checked."""
    load = getattr(steps, "load", None)
    verify = getattr(steps, "verify_outputs", None)
    if load is None or verify is None:
        raise StepTraceUnavailable(f"{type(steps).__name__} cannot check output roots by "
                                   "execution")
    await load()
    try:
        await asyncio.to_thread(verify)
    except StepTraceUnavailable as error:
        log.warning("batch %d (L2 blocks %d..%d) not judged yet: its output roots are not "
                    "checked by execution: %s", batch.index, batch.first_block,
                    batch.last_block, error)
        return False
    return True
