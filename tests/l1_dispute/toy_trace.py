"""The toy L2 that CountingStepVerifier.vy runs, and the position arithmetic of
docs/fault_proofs.md section 6, in Python: what an honest player computes off chain.

A block's output root is keccak(abi(parent, inputs_root, k)); its trace is the first state, two
running states, then the final state keccak(abi(6, output)) repeated to 2^max_step_depth steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak

SPLIT_DEPTH = 10
RUN_STEPS = 2


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def first_state_witness(parent: bytes, inputs_root: bytes, k: int) -> bytes:
    return word(1) + parent + inputs_root + word(k)


def running_witness(parent: bytes, inputs_root: bytes, k: int, ran: int) -> bytes:
    return word(3) + parent + inputs_root + word(k) + word(ran)


def final_witness(output_root: bytes) -> bytes:
    return word(6) + output_root


def block_output(parent: bytes, inputs_root: bytes, k: int) -> bytes:
    return keccak(parent + inputs_root + word(k))


def depth(position: int) -> int:
    return position.bit_length() - 1


def trace_index(position: int, to_depth: int) -> int:
    levels = to_depth - depth(position)
    return ((position << levels) | ((1 << levels) - 1)) - (1 << to_depth)


@dataclass(frozen=True)
class ToyBatch:
    """A batch of ``count`` blocks after ``start`` (the previous batch's output root)."""

    start: bytes
    inputs_root: bytes
    count: int
    max_step_depth: int

    @property
    def max_depth(self) -> int:
        return SPLIT_DEPTH + 1 + self.max_step_depth

    def outputs(self) -> list[bytes]:
        roots: list[bytes] = []
        parent = self.start
        for k in range(self.count):
            parent = block_output(parent, self.inputs_root, k)
            roots.append(parent)
        return roots

    def output_at(self, k: int) -> bytes:
        """Output root after block k; past the last block, the last block's."""
        roots = self.outputs()
        return roots[min(k, self.count - 1)]

    def root(self) -> bytes:
        return self.output_at(self.count - 1)

    def block_start(self, k: int) -> bytes:
        return self.start if k == 0 else self.output_at(k - 1)

    def state_witness(self, k: int, j: int) -> bytes:
        """Preimage of state j (0 = first) of the trace of block position k."""
        parent = self.block_start(k)
        if k >= self.count:
            return final_witness(parent)
        if j == 0:
            return first_state_witness(parent, self.inputs_root, k)
        if j <= RUN_STEPS:
            return running_witness(parent, self.inputs_root, k, j)
        return final_witness(block_output(parent, self.inputs_root, k))

    def state(self, k: int, j: int) -> bytes:
        return keccak(self.state_witness(k, j))

    def block_of(self, position: int) -> int:
        """The batch block a step claim's subgame bisects: the output leaf its subgame root
        attacks, or the one after the leaf it defends; both are (subgame root >> 1)."""
        subgame_root = position >> (depth(position) - SPLIT_DEPTH - 1)
        return (subgame_root >> 1) - (1 << SPLIT_DEPTH)

    def step_index(self, position: int) -> int:
        """The state a step claim commits to (1 .. 2^max_step_depth)."""
        leaves = 1 << self.max_step_depth
        return trace_index(position, self.max_depth) % leaves + 1

    def truth(self, position: int) -> bytes:
        """The honest value of the claim at ``position``."""
        if depth(position) <= SPLIT_DEPTH:
            return self.output_at(trace_index(position, SPLIT_DEPTH))
        return self.state(self.block_of(position), self.step_index(position))
