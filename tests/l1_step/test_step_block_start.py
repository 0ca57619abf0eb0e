"""The on-chain verifier's block start (phase 1) against the Python tracer (docs/fault_proofs.md
4.1): blocks the engine builds are traced, and the router on anvil must give each block-start
step exactly the tracer's post-state (the first transaction start, or block end for an empty
block; the invalid final state for a block that breaks a header rule); on an L1-anchored chain
the forced items are read from a real ForcedInclusionQueue on the same anvil. A tampered
witness is refused with the reference's reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from ordo.execution.state_source import OverlayDatabase
from ordo.faultproof.block_parts import (
    INVALID_OUTPUT,
    KIND_DEPOSIT,
    final_state,
)
from ordo.faultproof.block_tracer import BlockTrace, trace_block
from ordo.faultproof.machine_state import PHASE_BLOCK_END, PHASE_TX_START
from ordo.faultproof.verify import InvalidWitness, verify_step
from tests.faultproof.block_chain import BUILDER, DevChain, rules_of
from tests.l1_contracts.anvil_chain import AnvilChain

from .anchored_chain import (
    Anchored,
    anchored_chain,
    anchored_extra,
    anchored_trace,
    part_step,
)
from .verifier import Verifier, deploy_verifier, on_chain, step_gas

FRESH_COINBASE = bytes.fromhex("ce" * 20)
DEPOSITEE = bytes.fromhex("de" * 20)
QUEUE_FEE = 10**14
GAS_TABLE_MAX = 3_000_000
"""A block start of these short chains is a few KB and two trie reads."""


@dataclass(frozen=True)
class Blocks:
    chain: DevChain
    traces: tuple[BlockTrace, ...]


@pytest.fixture(scope="module")
def blocks() -> Blocks:
    """Blocks 1-5 of a devnet without L1: transfers and a call, a zero-tip block to a fresh
    coinbase, an empty block, then two more (ancestor headers prove their block-hash list)."""
    c = DevChain()
    c.build([c.sign(0, c.address(1), value=5),
             c.sign(1, c.address(2), value=7, data=b"\x01", gas=21_100)])
    c.build([c.sign(2, c.address(3), value=1, tip=0)], coinbase=FRESH_COINBASE)
    c.build([])
    c.build([c.sign(3, c.address(4), value=2)])
    c.build([c.sign(4, c.address(5), value=3)])
    traces = tuple(c.trace(number) for number in range(1, 6))
    for number, trace in zip(range(1, 6), traces, strict=True):
        assert trace.output_root == c.output_root(number)
    return Blocks(c, traces)


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def _check(blocks: Blocks, verifier: Verifier, trace: BlockTrace) -> bytes:
    """The block start of ``trace`` on chain gives the tracer's post-state."""
    post = trace.commitment(1)
    witness = trace.witness(0)
    assert verify_step(trace.first, witness, rules_of(blocks.chain.genesis)) == post
    assert on_chain(verifier, trace.first, witness) == post
    return post


def test_block_start_gives_the_tracers_post_state(blocks: Blocks, verifier: Verifier) -> None:
    for trace in blocks.traces:
        _check(blocks, verifier, trace)
    phases = [trace.steps[1].phase for trace in blocks.traces]
    # the empty block goes straight to block end, the others to their first transaction
    assert phases == [PHASE_TX_START, PHASE_TX_START, PHASE_BLOCK_END, PHASE_TX_START,
                      PHASE_TX_START]


def _posted(c: DevChain, at: int, **changes: object) -> BlockTrace:
    posted = replace(c.batch_block(at), **changes)  # type: ignore[arg-type]
    ancestors = [c.header_rlp(n) for n in range(at - 2, -1, -1)]
    return trace_block(OverlayDatabase(c.store), rules_of(c.genesis), c.header_rlp(at - 1),
                       ancestors, [posted], 0)


@pytest.mark.parametrize("change", ["timestamp", "number", "gas_limit", "extra_data",
                                    "mix_hash"])
def test_a_header_rule_broken_ends_in_the_invalid_final_state(
        blocks: Blocks, verifier: Verifier, change: str) -> None:
    c = blocks.chain
    parent = c.blocks[3].block.header
    options: dict[str, dict[str, object]] = {
        "timestamp": {"timestamp": int(parent.timestamp) - 1},
        "number": {"number": 6},
        "gas_limit": {"gas_limit": int(parent.gas_limit) * 2},
        "extra_data": {"extra_data": BUILDER + b"\x01"},
        "mix_hash": {"mix_hash": b"\x01" * 32},
    }
    trace = _posted(c, 4, **options[change])
    assert len(trace) == 1 and trace.output_root == INVALID_OUTPUT
    assert _check(blocks, verifier, trace) == final_state(INVALID_OUTPUT)


def _word(witness: bytes, at: int) -> int:
    return int.from_bytes(witness[at:at + 32], "big")


def _flip(witness: bytes, at: int) -> bytes:
    return witness[:at] + bytes([witness[at] ^ 1]) + witness[at + 1:]


def _reference_reason(blocks: Blocks, pre: bytes, witness: bytes) -> str:
    with pytest.raises(InvalidWitness) as refused:
        verify_step(pre, witness, rules_of(blocks.chain.genesis))
    return str(refused.value)


def test_a_tampered_block_start_is_refused(blocks: Blocks, verifier: Verifier) -> None:
    """Each item moved by one bit: refused on chain with the reference's reason (the trie
    proofs with Mpt's)."""
    trace = blocks.traces[4]  # block 5: three ancestor headers
    pre, witness = trace.first, trace.witness(0)
    p = _word(witness, 4 * 32)
    header = p + _word(witness, p + 96)
    ancestors = p + _word(witness, p + 128)
    first_ancestor = ancestors + 32 + _word(witness, ancestors + 32)
    inputs = p + _word(witness, p + 160)
    extra = p + _word(witness, p + 6 * 32 + 32 * 32)
    cases = {
        32 + 3: "the witness is not the first state's preimage",
        p + 5: "parent is not the preimage of the parent output root",
        p + 64 + 9: "parent is not the preimage of the parent output root",
        header + 32 + 40: "parent_header is not the parent block's",
        inputs + 32 + 31: "block_inputs is not leaf k of inputs_root",
        p + 6 * 32 + 7: "block_inputs is not leaf k of inputs_root",
        extra + 32 + 2: "extra_data is not the block's",
        first_ancestor + 32 + 100: "an ancestor header is not the listed block's",
    }
    for at, reason in cases.items():
        tampered = _flip(witness, at)
        if at != 32 + 3:  # the reference decodes the pre-state from the witness too
            assert _reference_reason(blocks, pre, tampered) == reason, at
        assert on_chain(verifier, pre, tampered) == f"StepVerifier: {reason}", at
    for slot in (7 * 32 + 32 * 32, 8 * 32 + 32 * 32):  # the EIP-4788 / EIP-2935 accounts
        trie = p + _word(witness, p + slot)
        proof = trie + _word(witness, trie)
        assert on_chain(verifier, pre, _flip(witness, proof + 32 + 40)) == \
            "Mpt: first proof node does not hash to the root"


def test_an_invalid_block_carries_nothing_it_did_not_read(blocks: Blocks,
                                                          verifier: Verifier) -> None:
    """The invalid block's witness with an ancestor header added: the reference refuses the
    unread field, and so does the verifier."""
    c = blocks.chain
    trace = _posted(c, 4, timestamp=int(c.blocks[3].block.header.timestamp) - 1)
    from ordo.faultproof.block_witness import decode_block_start, encode_block_start
    first, proofs = decode_block_start(trace.witness(0))
    stuffed = encode_block_start(first, replace(proofs, ancestors=(c.header_rlp(1),)))
    assert _reference_reason(blocks, trace.first, stuffed) == \
        "the step does not read ancestors, but it is not zero"
    assert on_chain(verifier, trace.first, stuffed) == \
        "StepVerifier: the step does not read ancestors, but it is not zero"


EIP_7825_CAP = 2**24
"""The per-transaction gas cap L1 may adopt: the worst block start must fit under it."""


def test_the_longest_block_hash_list(verifier: Verifier) -> None:
    """Block 259: 256 hashes, 254 ancestor headers in the witness (182 KB), the worst
    block-start step: the tracer's post on chain, under EIP-7825's cap."""
    c = DevChain()
    for _ in range(258):
        c.build([])
    c.build([c.sign(0, c.address(1), value=5)])
    trace = c.trace(259)
    witness = trace.witness(0)
    assert len(witness) > 180_000
    assert verify_step(trace.first, witness, rules_of(c.genesis)) == trace.commitment(1)
    assert on_chain(verifier, trace.first, witness) == trace.commitment(1)
    gas = step_gas(verifier, trace.first, witness)
    print(f"block start with 254 ancestors: {gas} gas, {len(witness)} bytes")
    assert gas < EIP_7825_CAP


def test_block_start_gas(blocks: Blocks, verifier: Verifier) -> None:
    gas = max(step_gas(verifier, t.first, t.witness(0)) for t in blocks.traces)
    print(f"block start: {gas} gas")
    assert gas < GAS_TABLE_MAX


# ---------------------------------------------------------------------------------------------
# An L1-anchored chain: the forced items from a real queue
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anchored(chain: AnvilChain, verifier: Verifier) -> Anchored:
    return anchored_chain(chain, verifier)


def test_forced_items_are_read_from_the_l1_queue(anchored: Anchored) -> None:
    trace = anchored_trace(anchored)
    assert trace.output_root == anchored.chain.output_root(1)
    assert anchored.queue.item(0).kind == KIND_DEPOSIT
    rules = rules_of(anchored.chain.genesis)
    post = verify_step(trace.first, trace.witness(0), rules, anchored.queue)
    assert post == trace.commitment(1)
    assert part_step(anchored.block_start, trace.first, trace.witness(0)) == post


@pytest.mark.parametrize("forced_through", [3, 5])
def test_a_wrong_forced_through_is_the_invalid_final_state(anchored: Anchored,
                                                           forced_through: int) -> None:
    """3 leaves item 3 (enqueued at the origin) behind; 5 takes item 4, enqueued after it:
    the queue on L1 says so."""
    trace = anchored_trace(anchored, extra_data=anchored_extra(anchored.origin, forced_through))
    assert len(trace) == 1 and trace.output_root == INVALID_OUTPUT
    assert part_step(anchored.block_start, trace.first, trace.witness(0)) == \
        final_state(INVALID_OUTPUT)


def test_an_anchored_block_in_the_wrong_layout_is_the_invalid_final_state(
        anchored: Anchored) -> None:
    trace = anchored_trace(anchored, extra_data=BUILDER)
    assert trace.output_root == INVALID_OUTPUT
    assert part_step(anchored.block_start, trace.first, trace.witness(0)) == \
        final_state(INVALID_OUTPUT)


def test_the_part_refuses_other_phases(anchored: Anchored, blocks: Blocks) -> None:
    trace = blocks.traces[0]
    assert part_step(anchored.block_start, trace.commitment(1), trace.witness(1)) == \
        "StepVerifier: phase routed to the wrong part"
