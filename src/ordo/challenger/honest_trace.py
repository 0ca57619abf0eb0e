"""The honest trace of one batch: what every claim of its game should be.

The output half (depths 0..SPLIT_DEPTH) is the output root after each block of the batch, from
the node's own chain; past the last block the last root repeats (docs/fault_proofs.md 6). The
step half (deeper claims) is the machine-state commitments of one block's step trace (sections
2-4). Its first and final states need no tracer (``keccak(abi(1, parent output, inputs_root,
k))`` and ``keccak(abi(6, output))``), so the step subgame's root is answered from outputs
alone; every state in between and every witness comes from a ``StepTrace``. Until the
whole-block tracer exists, ``MissingStepTrace`` raises ``StepTraceUnavailable`` naming the state
asked for: the service logs it and keeps playing what it can, never a made-up state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from eth_abi import encode
from eth_utils import keccak

from ordo.challenger.positions import (
    SPLIT_DEPTH,
    block_position,
    depth,
    step_index,
    trace_index,
)

PHASE_BLOCK_START = 1
PHASE_DONE = 6


class StepTraceUnavailable(RuntimeError):
    """A step-half state or witness was asked for and no step tracer can give it."""


class StepDataUnavailable(StepTraceUnavailable):
    """Data a block's trace needs could not be had now (an L2 RPC down or slow, or it did not
    hold or would not give a block, header or state node, or gave one that does not check):
    unlike a block the tracer refuses, the block is tried again next round, and nothing is
    played from what was given."""


def first_state(parent_output: bytes, inputs_root: bytes, block: int) -> bytes:
    """State 0 of block ``block``'s trace (docs/fault_proofs.md 4)."""
    return keccak(encode(["uint256", "bytes32", "bytes32", "uint256"],
                         [PHASE_BLOCK_START, parent_output, inputs_root, block]))


def final_state(output_root: bytes) -> bytes:
    """The state a block's trace ends in and repeats to its padded length."""
    return keccak(encode(["uint256", "bytes32"], [PHASE_DONE, output_root]))


class StepTrace(Protocol):
    """The whole-block step tracer, seen from one batch: states 1 .. 2^max_step_depth - 1 of
    the trace of batch block ``block`` (0-based) and the witness of the step from any state
    0 .. 2^max_step_depth (the step verifier's ``witness`` argument)."""

    def state(self, block: int, step: int) -> bytes: ...

    def witness(self, block: int, step: int) -> bytes: ...


@dataclass(frozen=True)
class MissingStepTrace:
    """No whole-block tracer yet (src/ordo/faultproof/ traces one call frame only)."""

    batch_index: int
    first_block: int

    def _refuse(self, what: str, block: int, step: int) -> StepTraceUnavailable:
        return StepTraceUnavailable(
            f"no whole-block step tracer: cannot compute the {what} of step {step} of L2 block "
            f"{self.first_block + block} (block {block} of batch {self.batch_index}); the "
            f"step half of this game cannot be played until src/ordo/faultproof traces whole "
            f"blocks (docs/fault_proofs.md section 4)")

    def state(self, block: int, step: int) -> bytes:
        raise self._refuse("state", block, step)

    def witness(self, block: int, step: int) -> bytes:
        raise self._refuse("witness", block, step)


@dataclass(frozen=True)
class BatchTrace:
    """The honest values of batch ``batch_index``'s game."""

    batch_index: int
    first_block: int
    start_root: bytes
    """The honest output root before the batch (the previous batch's last block)."""
    inputs_root: bytes
    outputs: tuple[bytes, ...]
    """The honest output root after each block of the batch, in order."""
    max_step_depth: int
    steps: StepTrace

    def __post_init__(self) -> None:
        if not self.outputs:
            raise ValueError(f"batch {self.batch_index}: a batch has at least one block")

    @property
    def root(self) -> bytes:
        return self.outputs[-1]

    def output(self, index: int) -> bytes:
        """The output root at trace index ``index`` (block ``index`` of the batch; past the
        last block, the last block's)."""
        return self.outputs[min(index, len(self.outputs) - 1)]

    def parent_output(self, block: int) -> bytes:
        return self.start_root if block == 0 else self.output(block - 1)

    def state(self, block: int, step: int) -> bytes:
        """State ``step`` (0 = first) of the trace of batch block ``block``."""
        last = 1 << self.max_step_depth
        if not 0 <= step <= last:
            raise ValueError(f"step {step} is outside 0..{last}")
        if block >= len(self.outputs):
            # Nothing left to run: the trace is the final state of the last block, repeated.
            return final_state(self.root)
        if step == 0:
            return first_state(self.parent_output(block), self.inputs_root, block)
        if step == last:
            return final_state(self.outputs[block])
        return self.steps.state(block, step)

    def witness(self, block: int, step: int) -> bytes:
        """The witness of the step from state ``step`` of block ``block``; past the last block
        the final state of the last output, which steps to itself."""
        if block >= len(self.outputs):
            return encode(["uint256", "bytes32"], [PHASE_DONE, self.root])
        return self.steps.witness(block, step)

    def value(self, position: int, max_game_depth: int) -> bytes:
        """The honest claim at ``position``."""
        if depth(position) <= SPLIT_DEPTH:
            return self.output(trace_index(position, SPLIT_DEPTH))
        return self.state(block_position(position), step_index(position, max_game_depth))
