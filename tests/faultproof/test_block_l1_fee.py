"""The L1 data fee in the step machine (docs/fault_proofs.md 4.1-4.3, section 5;
state_transition.md 6.4): blocks the py-evm engine builds on a chain with ``l1Fee`` (small and
calldata-heavy transactions, a creation and a contract call at two L1 price levels and at zero
prices, a sender skipped for the L1 fee) are traced to exactly the engine's output root and
header, every step re-verifies from its witness alone, and the fee-related witness items (the
oracle's proofs, the vault's proof, the fee word in the block inputs) cannot be changed."""

from __future__ import annotations

from dataclasses import replace

import pytest
import rlp
from eth_hash.auto import keccak

from ordo.core.genesis import devnet_genesis
from ordo.core.l1_fee import FEE_VAULT_ADDRESS, l1_fee
from ordo.execution.state_source import OverlayDatabase
from ordo.faultproof.batch_inputs import BLOCK_INPUTS_BYTES, block_inputs_encoding
from ordo.faultproof.block_parts import (
    INVALID_OUTPUT,
    BlockPartError,
    decode_block_inputs,
)
from ordo.faultproof.block_tracer import BlockTrace, trace_block
from ordo.faultproof.block_witness import (
    FeeBlockStartProofs,
    FeeTxEndProofs,
    decode_block_start,
    decode_block_step,
    encode_block_start,
    encode_block_step,
)
from ordo.faultproof.machine_state import PHASE_BLOCK_START, PHASE_TX_END
from ordo.faultproof.step import InvalidWitness, UnsupportedStep
from ordo.faultproof.verify import verify_step
from ordo.faultproof.witness import NO_TRIE
from tests.faultproof.block_chain import DevChain, flipped_bytes_refused, rules_of
from tests.faultproof.fee_chain import CHEAP, DEAR, FEE_RULES, HEAVY_DATA, fee_chain


@pytest.fixture(scope="module")
def chain() -> DevChain:
    return fee_chain()


def _check(chain: DevChain, trace: BlockTrace, number: int) -> None:
    header = chain.blocks[number].block.header
    assert trace.output_root == chain.output_root(number)
    assert trace.header == rlp.encode(header)
    assert keccak(trace.header) == bytes(header.hash)
    rules = rules_of(chain.genesis)
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1), index


@pytest.mark.parametrize("number", [1, 2, 3])
def test_fee_blocks_trace_to_the_engines_output_root(chain: DevChain, number: int) -> None:
    trace = chain.trace(number)
    _check(chain, trace, number)
    phases = [step.phase for step in trace.steps]
    assert phases.count(PHASE_TX_END) == len(chain.blocks[number].block.transactions)


def test_the_fee_is_charged_and_the_vault_credited(chain: DevChain) -> None:
    """The engine's figures the traces reproduced: the heavy transaction pays far more than
    the small one, and the vault gains the base fee of the charged gas plus the L1 fees."""
    engine = chain.engine
    block = chain.blocks[2].block
    raws = [tx.encode() for tx in block.transactions]
    fees = [l1_fee(raw, DEAR, FEE_RULES) for raw in raws]
    assert fees[1] > 20 * fees[0] > 0
    receipts = chain.blocks[2].receipts
    gas = [receipts[0].gas_used] + [receipts[i].gas_used - receipts[i - 1].gas_used
                                    for i in range(1, len(receipts))]
    base_fee = int(block.header.base_fee_per_gas)
    before = engine.get_balance(chain.blocks[1].block.header, FEE_VAULT_ADDRESS)
    after = engine.get_balance(block.header, FEE_VAULT_ADDRESS)
    assert after - before == sum(g * base_fee for g in gas) + sum(fees)
    assert len(block_inputs_encoding(chain.batch_block(2))) == BLOCK_INPUTS_BYTES + 32
    assert len(block_inputs_encoding(chain.batch_block(3))) == BLOCK_INPUTS_BYTES


def test_the_witnesses_have_the_fee_items(chain: DevChain) -> None:
    trace = chain.trace(2)
    _, start = decode_block_start(trace.witness(0), l1_fee=True)
    assert isinstance(start, FeeBlockStartProofs)
    assert start.oracle_account.proof and start.oracle_slot_0.proof and \
        start.oracle_slot_2.proof
    ends = [step for step in trace.steps if step.phase == PHASE_TX_END]
    for end in ends:
        _, proofs = decode_block_step(end.witness, l1_fee=True)
        assert isinstance(proofs, FeeTxEndProofs) and proofs.vault.proof


def test_every_flipped_byte_of_a_fee_blocks_witnesses_is_refused(chain: DevChain) -> None:
    assert flipped_bytes_refused(chain.trace(2), rules_of(chain.genesis), 31) > 150


def test_the_fee_proofs_cannot_be_swapped_or_dropped(chain: DevChain) -> None:
    """The oracle's and the vault's proofs, replaced by another account's or zeroed, are
    refused: each is a proof against the root the previous write left, for its own key."""
    trace = chain.trace(2)
    rules = rules_of(chain.genesis)
    first, start = decode_block_start(trace.witness(0), l1_fee=True)
    for changed in (replace(start, oracle_account=start.beacon_roots_account),
                    replace(start, oracle_slot_1=start.oracle_slot_0),
                    replace(start, oracle_slot_2=NO_TRIE)):
        with pytest.raises(InvalidWitness):
            verify_step(trace.first, encode_block_start(first, changed), rules)
    end = next(i for i, s in enumerate(trace.steps) if s.phase == PHASE_TX_END)
    state, proofs = decode_block_step(trace.witness(end), l1_fee=True)
    for changed in (replace(proofs, vault=proofs.coinbase), replace(proofs, vault=NO_TRIE)):
        with pytest.raises(InvalidWitness):
            verify_step(trace.commitment(end), encode_block_step(state, changed), rules)


def test_other_fee_rules_or_none_do_not_verify_the_trace(chain: DevChain) -> None:
    """The scalars and the vault are the verifier's constants: other ones give another
    post-state; without them a fee witness does not decode (its types are longer), and the
    engine's chain rules without ``l1_fee_rules`` stay unprovable at block start."""
    trace = chain.trace(2)
    rules = rules_of(chain.genesis)
    last = replace(rules, l1_fee_rules=replace(FEE_RULES, blob_base_fee_scalar=1))
    assert verify_step(trace.first, trace.witness(0), last) != trace.commitment(1)
    earlier = replace(rules, l1_fee_rules=replace(FEE_RULES, base_fee_scalar=1))
    with pytest.raises(InvalidWitness):  # slot 2's proof is against another storage root
        verify_step(trace.first, trace.witness(0), earlier)
    end = next(i for i, s in enumerate(trace.steps) if s.phase == PHASE_TX_END)
    moved = replace(rules, l1_fee_rules=replace(FEE_RULES, vault=bytes.fromhex("77" * 20)))
    with pytest.raises(InvalidWitness):  # the vault proof is for another key
        verify_step(trace.commitment(end), trace.witness(end), moved)
    for without in (None, replace(rules, l1_fee=False, l1_fee_rules=None)):
        with pytest.raises(InvalidWitness):
            verify_step(trace.commitment(end), trace.witness(end), without)
    for index in (0, end):
        with pytest.raises(UnsupportedStep, match="l1Fee rules"):
            verify_step(trace.commitment(index), trace.witness(index),
                        replace(rules, l1_fee_rules=None))


def test_a_fee_word_on_a_chain_without_the_fee_ends_in_the_invalid_output() -> None:
    """state_transition.md 6.4 rule 1: a block of a chain without ``l1Fee`` whose inputs carry
    an L1 fee word breaks an [E] rule; block start goes to the invalid final state."""
    c = DevChain()
    c.build([c.sign(0, c.address(1), value=1)])
    block = replace(c.batch_block(1), l1_fee_word=CHEAP.word())
    trace = trace_block(OverlayDatabase(c.store), rules_of(c.genesis), c.header_rlp(0), [],
                        [block], 0)
    assert trace.output_root == INVALID_OUTPUT and len(trace) == 1
    assert trace.steps[0].phase == PHASE_BLOCK_START
    assert verify_step(trace.first, trace.witness(0), rules_of(c.genesis)) == trace.final


def test_block_inputs_with_a_zero_ninth_word_are_refused(chain: DevChain) -> None:
    data = block_inputs_encoding(chain.batch_block(3))
    assert decode_block_inputs(data).l1_fee_word == bytes(32)
    with pytest.raises(BlockPartError, match="ninth word"):
        decode_block_inputs(data + bytes(32))
    assert decode_block_inputs(block_inputs_encoding(chain.batch_block(2))).l1_fee_word == \
        DEAR.word()


def test_the_challengers_node_steps_trace_a_fee_chain(chain: DevChain) -> None:
    """The challenger's ChainSteps (its rules from the genesis, its batch blocks from the
    store's headers) serve the same states and witnesses as the tracer, and its rules verify
    them."""
    from ordo.challenger.honest_trace import BatchTrace
    from ordo.challenger.l1_game import LandedBatch
    from ordo.challenger.node_steps import ChainSteps, batch_block, chain_rules
    from ordo.faultproof.batch_inputs import inputs_root
    from tests.challenger.test_node_steps import DevChainStore, reference_trace

    blocks = [batch_block(chain.blocks[n].block) for n in (1, 2, 3)]
    assert blocks == [chain.batch_block(n) for n in (1, 2, 3)]
    outputs = tuple(chain.output_root(n) for n in (1, 2, 3))
    batch = LandedBatch(0, b"\x01" * 32, outputs[-1], inputs_root(blocks), 0, 1, 3, 0)
    steps = ChainSteps(DevChainStore(chain), chain.genesis, batch)
    trace = BatchTrace(0, 1, chain.output_root(0), batch.inputs_root, outputs, 10, steps)
    rules = chain_rules(chain.genesis)
    for block in (0, 1, 2):
        reference = reference_trace(chain, 1 + block, 1, 3)
        for step in range(len(reference)):
            assert trace.state(block, step) == reference.commitment(step)
            assert trace.witness(block, step) == reference.witness(step)
            assert verify_step(trace.state(block, step), trace.witness(block, step), rules) == \
                trace.state(block, step + 1)


def test_an_anchored_fee_chain_with_forced_items_and_one_word_per_origin() -> None:
    """On an L1-anchored chain with the fee: a block taking a forced deposit and a forced
    transaction (which pays the L1 fee like any, 6.4 rule 4) before its own, a later block at
    the same origin with the same word, and one at a new origin with new prices trace to the
    engine's output roots, each step verified with the queue; the same origin named with
    another fee word ends in the invalid final state (4.1 step 3a)."""
    from ordo.core.block_extra import encode_anchored_extra
    from ordo.core.forced_item import ForcedDeposit, ForcedTransaction
    from ordo.faultproof.block_parts import ListQueue
    from tests.faultproof.block_chain import BUILDER
    from tests.faultproof.test_block_forced import _genesis_l1, _record

    c = DevChain(genesis=devnet_genesis(l1=_genesis_l1(), l1_fee=FEE_RULES))
    forced = c.sign(3, c.address(4), value=123, data=HEAVY_DATA[:300], gas=40_000)
    items = (ForcedDeposit(0, c.address(6), 7, 11), ForcedTransaction(1, forced.raw, 12))
    queue = ListQueue(tuple(_record(item) for item in items))
    origin_12, origin_13 = bytes.fromhex("0c" * 32), bytes.fromhex("0d" * 32)
    c.build([c.sign(0, c.address(1), value=5)], forced=items,
            extra_data=encode_anchored_extra(BUILDER, 12, 2), mix_hash=origin_12,
            l1_prices=CHEAP)
    c.build([c.sign(1, c.address(2), value=5)], extra_data=encode_anchored_extra(BUILDER, 12, 2),
            mix_hash=origin_12, l1_prices=CHEAP)
    c.build([c.sign(2, c.address(3), data=HEAVY_DATA, gas=200_000)],
            extra_data=encode_anchored_extra(BUILDER, 13, 2), mix_hash=origin_13,
            l1_prices=DEAR)
    assert c.blocks[1].block.transactions[0].encode() == forced.raw
    rules = rules_of(c.genesis)
    raw = {1: forced.raw}
    for number in (1, 2, 3):
        trace = c.trace(number, queue=queue, forced_raw=raw)
        assert trace.output_root == c.output_root(number), number
        assert trace.header == rlp.encode(c.blocks[number].block.header)
        for index in range(len(trace)):
            assert verify_step(trace.commitment(index), trace.witness(index), rules,
                               queue) == trace.commitment(index + 1), (number, index)
    two_words = replace(c.batch_block(2), l1_fee_word=DEAR.word())
    trace = trace_block(OverlayDatabase(c.store), rules, c.header_rlp(1), [c.header_rlp(0)],
                        [two_words], 0, queue, raw)
    assert trace.output_root == INVALID_OUTPUT and len(trace) == 1
    assert verify_step(trace.first, trace.witness(0), rules, queue) == trace.final
