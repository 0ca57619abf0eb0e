"""The on-chain verifier's block end (phase 5) and final state (phase 6) against the Python
tracer (docs/fault_proofs.md 4.4, 4.5): blocks the engine builds are traced, and the router on
anvil must give each block-end step exactly the tracer's post-state (the final state of the
engine's output root), the final state must step to itself, and a tampered witness or pre-state
must be refused with a reason. The phases not verified on chain yet must revert, never
accept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_abi import decode, encode
from eth_hash.auto import keccak

from ordo.faultproof.block_parts import final_state
from ordo.faultproof.block_tracer import BlockStep, BlockTrace
from ordo.faultproof.block_witness import encode_done
from ordo.faultproof.machine_state import (
    PHASE_BLOCK_END,
    PHASE_BLOCK_START,
    PHASE_TX_END,
    PHASE_TX_START,
)
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import DevChain, rules_of
from tests.l1_contracts.anvil_chain import AnvilChain

from .verifier import Verifier, deploy_verifier, on_chain, step_gas

FRESH_COINBASE = bytes.fromhex("ce" * 20)
TOTALS_REFUSED = "StepVerifier: totals is not the preimage of the context's totals_hash"
GAS_TABLE_MAX = 2_000_000
"""A block-end step is a few KB of calldata and two trie walks: far below an L1 block."""


@dataclass(frozen=True)
class Blocks:
    chain: DevChain
    traces: tuple[BlockTrace, ...]


@pytest.fixture(scope="module")
def blocks() -> Blocks:
    """Block 1: a transfer and a call paying the default coinbase; block 2: a zero-tip transfer
    to a fresh coinbase (absent at block end: inserted as the empty account); block 3: empty."""
    c = DevChain()
    c.build([c.sign(0, c.address(1), value=5),
             c.sign(1, c.address(2), value=7, data=b"\x01", gas=21_100)])
    c.build([c.sign(2, c.address(3), value=1, tip=0)], coinbase=FRESH_COINBASE)
    c.build([])
    traces = tuple(c.trace(number) for number in (1, 2, 3))
    for number, trace in zip((1, 2, 3), traces, strict=True):
        assert trace.output_root == c.output_root(number)
    return Blocks(c, traces)


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def _block_end(trace: BlockTrace) -> BlockStep:
    (step,) = [s for s in trace.steps if s.phase == PHASE_BLOCK_END]
    return step


def test_block_end_gives_the_tracers_final_state(blocks: Blocks, verifier: Verifier) -> None:
    for trace in blocks.traces:
        step = _block_end(trace)
        assert step.post == final_state(trace.output_root)
        assert verify_step(step.pre, step.witness, rules_of(blocks.chain.genesis)) == step.post
        assert on_chain(verifier, step.pre, step.witness) == step.post


def test_the_final_state_steps_to_itself(blocks: Blocks, verifier: Verifier) -> None:
    trace = blocks.traces[0]
    witness = trace.witness(len(trace))
    assert witness == encode_done(trace.output_root)
    assert on_chain(verifier, trace.final, witness) == trace.final
    assert on_chain(verifier, trace.final, encode_done(bytes(32))) == \
        "StepVerifier: the witness is not the final state's preimage"
    assert on_chain(verifier, trace.steps[-1].pre, witness) == \
        "StepVerifier: the witness is not the final state's preimage"


def _proofs_at(witness: bytes) -> int:
    return int.from_bytes(witness[25 * 32:26 * 32], "big")


def _word_of(witness: bytes, at: int) -> int:
    return int.from_bytes(witness[at:at + 32], "big")


def _flip(witness: bytes, at: int) -> bytes:
    return witness[:at] + bytes([witness[at] ^ 1]) + witness[at + 1:]


def test_a_tampered_block_end_is_refused(blocks: Blocks, verifier: Verifier) -> None:
    """Each item of the witness moved by one bit: the verifier names it (or, for the trie
    proofs, Mpt's reason); it never returns a commitment."""
    step = _block_end(blocks.traces[1])
    pre, witness = step.pre, step.witness
    p = _proofs_at(witness)
    inputs = p + _word_of(witness, p)
    extra = p + _word_of(witness, p + 32)
    coinbase = p + _word_of(witness, p + 160)
    passer = p + _word_of(witness, p + 192)
    totals = p + _word_of(witness, p + 224)
    bloom = totals + _word_of(witness, totals + 64)
    cases = {
        32 + 31: "StepVerifier: the witness is not the pre-state's preimage",  # number
        16 * 32 + 5: "StepVerifier: the witness is not the pre-state's preimage",  # state root
        inputs + 32 + 7: "StepVerifier: block_inputs is not the block's inputs",
        extra + 32: "StepVerifier: extra_data is not the block's",
        p + 64 + 3: "StepVerifier: parent is not the preimage of the parent output root",
        p + 128: "StepVerifier: parent is not the preimage of the parent output root",
        bloom + 32 + 100: TOTALS_REFUSED,
        totals + 5: TOTALS_REFUSED,
    }
    for at, reason in cases.items():
        assert on_chain(verifier, pre, _flip(witness, at)) == reason, at
    for trie in (coinbase, passer):
        proof = trie + _word_of(witness, trie)
        assert on_chain(verifier, pre, _flip(witness, proof + 32 + 40)) == \
            "Mpt: first proof node does not hash to the root"
    # an extra node where nothing is deleted
    padded = witness + bytes(64)
    extra_slot = coinbase + _word_of(witness, coinbase + 32)
    moved = padded[:extra_slot] + (32).to_bytes(32, "big") + padded[extra_slot + 32:]
    assert on_chain(verifier, pre, moved) == \
        "StepVerifier: an extra node for a proof that deletes nothing"


def test_block_end_with_forced_items_left_is_refused(blocks: Blocks,
                                                     verifier: Verifier) -> None:
    """forced_next < forced_end at block end (the pre-state made to say so, the witness's
    totals matching it): refused, as the reference refuses it."""
    step = _block_end(blocks.traces[2])
    witness = step.witness
    p = _proofs_at(witness)
    totals = p + _word_of(witness, p + 224)
    bloom = totals + _word_of(witness, totals + 64)
    tampered = witness[:totals + 128] + (1).to_bytes(32, "big") + witness[totals + 160:]
    receipts, transactions = tampered[totals:totals + 32], tampered[totals + 32:totals + 64]
    bloom_bytes = tampered[bloom + 32:bloom + 32 + 256]
    new_totals = keccak(receipts + transactions + bloom_bytes + (0).to_bytes(32, "big")
                        + (1).to_bytes(32, "big"))
    tampered = tampered[:16 * 32 + 8 * 32] + new_totals + tampered[16 * 32 + 9 * 32:]
    head = decode(["uint256", "bytes32[10]", "bytes32[5]", "bytes32[9]"], tampered[:25 * 32])
    pre = keccak(encode(["uint256", "bytes32", "bytes32", "bytes32", "bytes32"], [
        5, keccak(b"".join(head[1])), keccak(b"".join(head[2])), keccak(b"".join(head[3])),
        bytes(32)]))
    assert on_chain(verifier, pre, tampered) == \
        "StepVerifier: block end with forced items left"


def test_a_wrong_claimed_post_differs(blocks: Blocks, verifier: Verifier) -> None:
    """Two blocks' block ends give two different final states; neither is the other's."""
    a, b = (_block_end(t) for t in blocks.traces[:2])
    assert on_chain(verifier, a.pre, a.witness) != b.post
    assert on_chain(verifier, b.pre, b.witness) != a.post


def test_the_block_phases_are_decided_an_unknown_one_reverts(blocks: Blocks,
                                                             verifier: Verifier) -> None:
    trace = blocks.traces[0]
    seen = set()
    for index, step in enumerate(trace.steps):
        if step.phase in (PHASE_BLOCK_START, PHASE_TX_START, PHASE_TX_END):
            # decided by StepBlockStart, StepTxOwn and StepTxEnd (test_step_block_start.py,
            # test_step_tx_start.py, test_step_tx_end.py)
            seen.add(step.phase)
            assert on_chain(verifier, step.pre, trace.witness(index)) == step.post
    assert seen == {PHASE_BLOCK_START, PHASE_TX_START, PHASE_TX_END}
    assert on_chain(verifier, trace.first, (7).to_bytes(32, "big")) == \
        "StepVerifier: a phase-7 step: not verifiable yet"
    assert verifier.router.functions.decides_every_step().call() is False


def test_block_end_gas(blocks: Blocks, verifier: Verifier) -> None:
    """The largest block-end step of these blocks (docs/fault_proofs.md 3.7's table)."""
    gas = max(step_gas(verifier, s.pre, s.witness)
              for s in (_block_end(t) for t in blocks.traces))
    trace = blocks.traces[0]
    done = step_gas(verifier, trace.final, trace.witness(len(trace)))
    print(f"block end: {gas} gas; final state: {done} gas")
    assert gas < GAS_TABLE_MAX and done < 100_000
