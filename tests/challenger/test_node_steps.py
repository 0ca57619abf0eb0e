"""The step half from the node's own store: ChainSteps traces the blocks of a landed batch with
the whole-block tracer, over blocks the project's engine built, and the honest trace the
challenger plays from agrees with the tracer's commitments, witnesses and the engine's output
roots; what cannot be traced is a StepTraceUnavailable the solver reports."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth.abc import BlockHeaderAPI

from ordo.challenger.honest_trace import BatchTrace, StepTraceUnavailable, final_state
from ordo.challenger.l1_game import LandedBatch
from ordo.challenger.node_steps import ChainSteps, batch_block, chain_rules
from ordo.challenger.positions import SPLIT_DEPTH
from ordo.challenger.solver import respond
from ordo.core.block import Block
from ordo.execution.state_source import KeyValueReader, OverlayDatabase
from ordo.faultproof.batch_inputs import inputs_root
from ordo.faultproof.block_tracer import BlockTrace, trace_block
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import DevChain, rules_of

from .game_sim import HONEST, OPPONENT, SimGame, rules_for, wrong


@dataclass
class DevChainStore:
    """tests/faultproof's DevChain as the node's ChainStore is read."""

    chain: DevChain

    def get_block_by_number(self, number: int) -> Block | None:
        blocks = self.chain.blocks
        return blocks[number].block if number < len(blocks) else None

    def get_header_by_number(self, number: int) -> BlockHeaderAPI | None:
        block = self.get_block_by_number(number)
        return None if block is None else block.header

    def state_reader(self) -> KeyValueReader:
        return self.chain.store


def dev_chain_with_batch() -> tuple[DevChain, LandedBatch]:
    chain = DevChain()
    for _ in range(3):
        chain.build([chain.sign(0, chain.address(1), value=5), chain.sign(2, chain.address(3))])
    blocks = [batch_block(chain.blocks[n].block) for n in (1, 2, 3)]
    batch = LandedBatch(0, b"\x01" * 32, chain.output_root(3), inputs_root(blocks), 0, 1, 3, 0)
    return chain, batch


def reference_trace(chain: DevChain, number: int, first: int, last: int) -> BlockTrace:
    """The tracer run as tests/faultproof runs it, on the whole batch ``first..last``."""
    batch = [chain.batch_block(n) for n in range(first, last + 1)]
    ancestors = [chain.header_rlp(n) for n in range(number - 2, -1, -1)]
    return trace_block(OverlayDatabase(chain.store), rules_of(chain.genesis),
                       chain.header_rlp(number - 1), ancestors, batch, number - first)


def test_the_batch_trace_is_the_tracers_and_ends_in_the_engines_output_roots() -> None:
    chain, batch = dev_chain_with_batch()
    assert [batch_block(chain.blocks[n].block) for n in (1, 2, 3)] == \
        [chain.batch_block(n) for n in (1, 2, 3)], "the batcher's encoding of each block"
    steps = ChainSteps(DevChainStore(chain), chain.genesis, batch)
    steps.prepare([0, 2, 7])  # 7 is past the batch: nothing to trace
    outputs = tuple(chain.output_root(n) for n in (1, 2, 3))
    trace = BatchTrace(0, 1, chain.output_root(0), batch.inputs_root, outputs, 6, steps)
    for block in range(3):
        reference = reference_trace(chain, 1 + block, 1, 3)
        assert len(reference) < 64, "the block fits the game's 2^6 steps"
        assert trace.state(block, 0) == reference.commitment(0)
        for step in range(1, len(reference) + 2):
            assert trace.state(block, step) == reference.commitment(step)
            assert trace.witness(block, step) == reference.witness(step)
        assert trace.state(block, 64) == reference.final == final_state(outputs[block])
    assert trace.state(5, 3) == final_state(outputs[-1]), "past the batch: the last final"
    assert trace.witness(5, 3) == trace.witness(2, 63), "the final state steps to itself"


def test_a_block_the_store_lacks_or_other_blocks_are_refused_precisely() -> None:
    chain, batch = dev_chain_with_batch()
    longer = LandedBatch(0, b"\x01" * 32, b"\x02" * 32, batch.inputs_root, 0, 1, 5, 0)
    with pytest.raises(StepTraceUnavailable, match="block 4 is not in this node's store"):
        ChainSteps(DevChainStore(chain), chain.genesis, longer).state(0, 1)
    other = LandedBatch(0, b"\x01" * 32, b"\x02" * 32, b"\x03" * 32, 0, 1, 3, 0)
    steps = ChainSteps(DevChainStore(chain), chain.genesis, other)
    for _ in range(2):  # refused once, then the same answer from memory
        with pytest.raises(StepTraceUnavailable, match="not the blocks the batch carries"):
            steps.witness(1, 0)


@pytest.mark.parametrize("right_root", [False, True], ids=["wrong root", "right root"])
def test_a_whole_game_on_real_blocks_ends_in_a_step_the_python_verifier_accepts(
        right_root: bool) -> None:
    """The honest player bisects engine-built blocks down to one step with ChainSteps and
    wins with a step that ordo.faultproof.verify_step (every phase) accepts."""
    chain, batch = dev_chain_with_batch()
    outputs = tuple(chain.output_root(n) for n in (1, 2, 3))
    steps = ChainSteps(DevChainStore(chain), chain.genesis, batch)
    trace = BatchTrace(0, 1, chain.output_root(0), batch.inputs_root, outputs, 6, steps)
    rules = rules_for(6)
    sim = SimGame(trace, rules, trace.root if right_root else wrong(trace.root),
                  verifier=lambda pre, witness: verify_step(pre, witness,
                                                            chain_rules(chain.genesis)))
    if right_root:
        sim.move(0, wrong(trace.value(2, rules.max_game_depth)), True, OPPONENT)
    for _ in range(2 * rules.max_game_depth):
        actions = respond(sim.view(), trace, rules, sim.now).actions
        for action in actions:
            sim.apply(action)
        answered = {c.parent_index for c in sim.claims[1:] if c.claimant == OPPONENT}
        fresh = [c for c in sim.claims if c.claimant == HONEST and c.index not in answered
                 and c.depth < rules.max_game_depth]
        for claim in fresh:  # the opponent attacks every new honest claim with a wrong value
            position = 2 * claim.position
            value = wrong(trace.value(position, rules.max_game_depth))
            if claim.depth + 1 == SPLIT_DEPTH + 1 and value == final_state(claim.value):
                value = wrong(value)
            sim.move(claim.index, value, True, OPPONENT)
        if not actions and not fresh:
            break
    stepped = [c for c in sim.claims if c.countered_by == HONEST]
    assert max(c.depth for c in sim.claims) == rules.max_game_depth
    if right_root:
        assert stepped, "the opponent's leaves are stepped on, verified by verify_step"
    assert sim.root_countered() is (not right_root)
