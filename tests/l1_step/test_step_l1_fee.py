"""The on-chain verifier on a chain with the L1 data fee (docs/fault_proofs.md 4.1 3a and 6a,
4.3 4a, 4.4, section 5; state_transition.md 6.4) against the Python tracer: the engine's fee
blocks (tests/faultproof/fee_chain.py: small, calldata-heavy, creation and call transactions at
two L1 price levels and at zero prices) are traced, and every block-start, EVM, transaction-end
and block-end step gives on chain exactly the tracer's post (the transaction starts are
StepTxStart's, not verifiable yet for own transactions; a fee block's deposits and the
sub-steps of its started transactions are decided: build_started_fee_block); the fee items (the
oracle's proofs, the price word, the vault's proof, the scalars and the vault the verifier is
deployed with) cannot be changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from web3.contract import Contract

from ordo.core.forced_item import ForcedDeposit
from ordo.core.genesis import GenesisL1, devnet_genesis
from ordo.execution.state_source import OverlayDatabase
from ordo.faultproof.block_parts import INVALID_OUTPUT, ChainRules, ListQueue, final_state
from ordo.faultproof.block_tracer import BlockTrace, trace_block
from ordo.faultproof.block_witness import (
    decode_block_start,
    decode_block_step,
    encode_block_start,
    encode_block_step,
)
from ordo.faultproof.machine_state import (
    PHASE_BLOCK_END,
    PHASE_BLOCK_START,
    PHASE_EVM,
    PHASE_TX_END,
    PHASE_TX_START,
    Pending,
)
from ordo.faultproof.step import InvalidWitness
from ordo.faultproof.verify import verify_step
from ordo.faultproof.witness import NO_TRIE
from ordo.l1.compiler import compile_contract
from tests.faultproof.block_chain import DevChain, rules_of
from tests.faultproof.fee_chain import (
    CHEAP,
    DEAR,
    FEE_RULES,
    HEAVY_DATA,
    build_started_fee_block,
    fee_chain,
    started_fee_genesis,
)
from tests.l1_contracts.anvil_chain import AnvilChain

from .anchored_chain import DEPOSITEE, QUEUE_FEE, _enqueue, _item, anchored_extra, part_step
from .routes import TX_END
from .test_step_tx_end import largest_end
from .verifier import STEP_ABI, Verifier, deploy_verifier, on_chain, step_gas

EIP170_LIMIT = 24_576
DECIDED = (PHASE_BLOCK_START, PHASE_EVM, PHASE_TX_END, PHASE_BLOCK_END)
NOT_YET = "StepVerifier: a transaction's start on a chain with the L1 data fee: not verifiable yet"


@dataclass(frozen=True)
class Fees:
    chain: DevChain
    rules: ChainRules
    traces: tuple[BlockTrace, ...]


@pytest.fixture(scope="module")
def fees() -> Fees:
    c = fee_chain()
    traces = tuple(c.trace(number) for number in (1, 2, 3))
    for number, trace in zip((1, 2, 3), traces, strict=True):
        assert trace.output_root == c.output_root(number)
    return Fees(c, rules_of(c.genesis), traces)


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain, fees: Fees) -> Iterator[Verifier]:
    yield deploy_verifier(chain, fees.rules)


def _reason(rules: ChainRules, pre: bytes, witness: bytes) -> str:
    with pytest.raises(InvalidWitness) as refused:
        verify_step(pre, witness, rules)
    return str(refused.value)


def test_every_fee_block_step_gives_the_tracers_post(fees: Fees, verifier: Verifier) -> None:
    """Blocks at CHEAP, DEAR and zero L1 prices: block start (the fee word and the oracle's
    writes), every instruction, every transaction end (the vault credited), block end (the
    fee word in the header, so the engine's output root); a transaction's start on a fee
    chain is not verifiable on chain yet (StepTxOwn has no L1 fee) and reverts as such."""
    decided = {phase: 0 for phase in DECIDED}
    for trace in fees.traces:
        for index, step in enumerate(trace.steps):
            answer = on_chain(verifier, step.pre, step.witness)
            if step.phase == PHASE_TX_START:
                assert answer == NOT_YET, index
                continue
            assert answer == step.post, (index, step.phase, answer)
            decided[step.phase] += 1
        assert trace.steps[-1].post == final_state(trace.output_root)
    assert decided[PHASE_BLOCK_START] == 3 and decided[PHASE_BLOCK_END] == 3
    assert decided[PHASE_TX_END] == 4 + 3 + 1


def test_the_worst_gas_of_the_fee_steps(fees: Fees, verifier: Verifier) -> None:
    """eth_estimateGas (calldata included) of every fee-touched step; printed for the docs."""
    worst: dict[int, int] = {}
    for trace in fees.traces:
        for step in trace.steps:
            if step.phase in (PHASE_BLOCK_START, PHASE_TX_END, PHASE_BLOCK_END):
                gas = step_gas(verifier, step.pre, step.witness)
                worst[step.phase] = max(worst.get(step.phase, 0), gas)
    print("worst gas by phase", worst)
    assert worst[PHASE_BLOCK_START] < 2_000_000
    assert worst[PHASE_TX_END] < 6_000_000
    assert worst[PHASE_BLOCK_END] < 2_000_000


def _first(trace: BlockTrace, phase: int) -> int:
    return next(i for i, s in enumerate(trace.steps) if s.phase == phase)


def test_tampered_oracle_proofs_are_refused(fees: Fees, verifier: Verifier) -> None:
    """The oracle's account proof replaced by another account's, a slot's proof by another
    slot's, a proof dropped: the reference refuses each, the verifier with Mpt's reason."""
    trace = fees.traces[1]
    first, start = decode_block_start(trace.witness(0), l1_fee=True)
    for changed in (replace(start, oracle_account=start.beacon_roots_account),
                    replace(start, oracle_slot_1=start.oracle_slot_0),
                    replace(start, oracle_slot_2=NO_TRIE)):
        witness = encode_block_start(first, changed)
        reason = _reason(fees.rules, trace.first, witness)
        answer = on_chain(verifier, trace.first, witness)
        assert isinstance(answer, str) and answer.startswith("Mpt: "), (reason, answer)


def _flip(witness: bytes, at: int) -> bytes:
    return witness[:at] + bytes([witness[at] ^ 1]) + witness[at + 1:]


def _inputs_at(witness: bytes, proofs_at: int, slot: int) -> int:
    proofs = int.from_bytes(witness[proofs_at:proofs_at + 32], "big")
    return proofs + int.from_bytes(witness[proofs + slot:proofs + slot + 32], "big")


def test_a_changed_price_word_is_refused(fees: Fees, verifier: Verifier) -> None:
    """A bit of the ninth inputs word moved in block start (against inputs_root), transaction
    end and block end (against the block's inputs_hash): the reference's reason each time."""
    trace = fees.traces[1]
    cases = [(0, 4 * 32, 5 * 32, "block_inputs is not leaf k of inputs_root"),
             (_first(trace, PHASE_TX_END), 30 * 32, 0, "block_inputs is not the block's inputs"),
             (_first(trace, PHASE_BLOCK_END), 25 * 32, 0,
              "block_inputs is not the block's inputs")]
    for index, proofs_at, slot, reason in cases:
        witness = trace.witness(index)
        inputs = _inputs_at(witness, proofs_at, slot)
        assert int.from_bytes(witness[inputs:inputs + 32], "big") == 288
        tampered = _flip(witness, inputs + 32 + 256 + 20)
        pre = trace.commitment(index)
        assert _reason(fees.rules, pre, tampered) == reason
        assert on_chain(verifier, pre, tampered) == f"StepVerifier: {reason}"


def test_a_tampered_vault_proof_is_refused(fees: Fees, verifier: Verifier) -> None:
    for trace in fees.traces:
        end = _first(trace, PHASE_TX_END)
        state, proofs = decode_block_step(trace.witness(end), l1_fee=True)
        for changed in (replace(proofs, vault=proofs.coinbase), replace(proofs, vault=NO_TRIE)):
            witness = encode_block_step(state, changed)
            _reason(fees.rules, trace.commitment(end), witness)
            answer = on_chain(verifier, trace.commitment(end), witness)
            assert isinstance(answer, str) and answer.startswith("Mpt: "), answer


def _deploy(chain: AnvilChain, name: str, *args: Any) -> Contract:
    compiled = compile_contract(name)
    return chain.deploy_code(compiled.abi + STEP_ABI, compiled.bytecode, *args)


def _block_start(chain: AnvilChain, verifier: Verifier, rules: ChainRules,
                 queue: str | bytes = bytes(20)) -> Contract:
    """StepBlockStart (and StepOracle on a fee chain) deployed for ``rules`` and ``queue``."""
    mpt = verifier.mpt.address
    fee = rules.l1_fee_rules
    oracle = bytes(20) if fee is None else _deploy(
        chain, "step/StepOracle", mpt, fee.base_fee_scalar, fee.blob_base_fee_scalar).address
    return _deploy(chain, "step/StepBlockStart", mpt, queue, rules.chain_id,
                   rules.base_fee_floor, rules.elasticity_multiplier,
                   rules.base_fee_max_change_denominator, rules.anchored, rules.l1_fee, oracle)


def test_other_scalars_give_another_post_or_are_refused(chain: AnvilChain, fees: Fees,
                                                        verifier: Verifier) -> None:
    """The scalars are the deployment's constants: another blob scalar writes another slot 2
    (another post, as the reference's); another base scalar makes slot 2's proof stand against
    another storage root (refused, as by the reference)."""
    trace = fees.traces[1]
    later = replace(fees.rules, l1_fee_rules=replace(FEE_RULES, blob_base_fee_scalar=1))
    post = verify_step(trace.first, trace.witness(0), later)
    assert post != trace.commitment(1)
    assert part_step(_block_start(chain, verifier, later), trace.first, trace.witness(0)) == post
    earlier = replace(fees.rules, l1_fee_rules=replace(FEE_RULES, base_fee_scalar=1))
    _reason(earlier, trace.first, trace.witness(0))
    answer = part_step(_block_start(chain, verifier, earlier), trace.first, trace.witness(0))
    assert isinstance(answer, str) and answer.startswith("Mpt: "), answer


def test_another_vault_is_refused(chain: AnvilChain, fees: Fees, verifier: Verifier) -> None:
    trace = fees.traces[1]
    end = _first(trace, PHASE_TX_END)
    moved = replace(FEE_RULES, vault=bytes.fromhex("77" * 20))
    _reason(replace(fees.rules, l1_fee_rules=moved), trace.commitment(end), trace.witness(end))
    mpt = verifier.mpt.address
    state_part = _deploy(chain, "step/StepTxEndState", mpt, True, moved.base_fee_scalar,
                         moved.blob_base_fee_scalar, moved.vault)
    tx_end = _deploy(chain, "step/StepTxEnd", verifier.parts[TX_END].functions.index_trie().call(),
                     state_part.address)
    answer = part_step(tx_end, trace.commitment(end), trace.witness(end))
    assert isinstance(answer, str) and answer.startswith("Mpt: "), answer


def test_an_invalid_fee_block_carries_no_oracle_proof(chain: AnvilChain, fees: Fees,
                                                      verifier: Verifier) -> None:
    """A fee block posted before its parent's timestamp ends in the invalid final state on
    chain too; with an oracle proof added (a field it does not read) it is refused with the
    reference's reason."""
    c = fees.chain
    posted = replace(c.batch_block(2), timestamp=int(c.blocks[1].block.header.timestamp) - 1)
    trace = trace_block(OverlayDatabase(c.store), fees.rules, c.header_rlp(1), [c.header_rlp(0)],
                        [posted], 0)
    assert len(trace) == 1 and trace.output_root == INVALID_OUTPUT
    assert on_chain(verifier, trace.first, trace.witness(0)) == final_state(INVALID_OUTPUT)
    _, valid = decode_block_start(fees.traces[1].witness(0), l1_fee=True)
    first, proofs = decode_block_start(trace.witness(0), l1_fee=True)
    for name in ("oracle_account", "oracle_slot_0", "oracle_slot_2"):
        stuffed = encode_block_start(first, replace(proofs, **{name: getattr(valid, name)}))
        reason = f"the step does not read {name}, but it is not zero"
        assert _reason(fees.rules, trace.first, stuffed) == reason
        assert on_chain(verifier, trace.first, stuffed) == f"StepVerifier: {reason}"


def test_a_fee_word_on_a_chain_without_the_fee(chain: AnvilChain, verifier: Verifier) -> None:
    """state_transition.md 6.4 rule 1: on a chain without l1Fee a block whose inputs carry a
    fee word goes to the invalid final state, on chain as in the reference."""
    c = DevChain()
    c.build([c.sign(0, c.address(1), value=1)])
    block = replace(c.batch_block(1), l1_fee_word=CHEAP.word())
    rules = rules_of(c.genesis)
    trace = trace_block(OverlayDatabase(c.store), rules, c.header_rlp(0), [], [block], 0)
    assert trace.output_root == INVALID_OUTPUT
    part = _block_start(chain, verifier, rules)
    assert part_step(part, trace.first, trace.witness(0)) == final_state(INVALID_OUTPUT)
    honest = c.trace(1)
    assert part_step(part, honest.first, honest.witness(0)) == honest.commitment(1)


def test_the_fee_parts_fit_the_code_size_limit() -> None:
    for name in ("step/StepBlockStart", "step/StepOracle", "step/StepTxEndState",
                 "step/StepTxEnd", "step/StepBlockEnd", "step/StepTxStart", "step/StepTxPending",
                 "step/StepTxAuthorize", "step/StepTxFrame", "step/StepTxCreate",
                 "step/StepTxPrecompile", "step/StepTxOwn"):
        size = len(compile_contract(name).runtime_bytecode)
        assert 0 < size < EIP170_LIMIT, (name, size)


def test_a_fee_chain_without_its_rules_is_not_deployed(chain: AnvilChain, fees: Fees) -> None:
    """The verifier charges the chain's scalars and vault: without them it is not deployed."""
    with pytest.raises(ValueError, match="needs its l1Fee rules"):
        deploy_verifier(chain, replace(fees.rules, l1_fee_rules=None))


def test_an_anchored_fee_chain_names_one_word_per_origin(chain: AnvilChain,
                                                         verifier: Verifier) -> None:
    """4.1 step 3a on an L1-anchored fee chain, its (empty) ForcedInclusionQueue on anvil: a
    block at a new origin, a second block at the same origin with the same word, one at a new
    origin with new prices give the tracer's post at every block start, transaction end and
    block end; the same origin named with another word (the parent header's field 19 read on
    chain) ends in the invalid final state, on chain as in the reference."""
    queue = chain.deploy("ForcedInclusionQueue", 100, 10**14, chain.accounts[0].address)
    genesis_l1 = GenesisL1(chain_id=31337, locking_pool=bytes.fromhex("11" * 20),
                           origin_number=10, origin_hash=bytes.fromhex("0a" * 32),
                           forced_queue=bytes.fromhex(queue.address[2:]))
    c = DevChain(genesis=devnet_genesis(l1=genesis_l1, l1_fee=FEE_RULES))
    origin_12, origin_13 = bytes.fromhex("0c" * 32), bytes.fromhex("0d" * 32)
    c.build([c.sign(0, c.address(1), value=5)], extra_data=anchored_extra(12, 0),
            mix_hash=origin_12, l1_prices=CHEAP)
    c.build([c.sign(1, c.address(2), value=5)], extra_data=anchored_extra(12, 0),
            mix_hash=origin_12, l1_prices=CHEAP)
    c.build([c.sign(2, c.address(3), data=HEAVY_DATA, gas=200_000)],
            extra_data=anchored_extra(13, 0), mix_hash=origin_13, l1_prices=DEAR)
    rules = rules_of(c.genesis)
    assert rules.anchored and rules.l1_fee_rules == FEE_RULES
    part = _block_start(chain, verifier, rules, queue.address)
    empty = ListQueue(())
    for number in (1, 2, 3):
        trace = c.trace(number, queue=empty)
        assert trace.output_root == c.output_root(number)
        for index, step in enumerate(trace.steps):
            if step.phase == PHASE_BLOCK_START:
                assert part_step(part, step.pre, step.witness) == step.post, number
            elif step.phase in (PHASE_TX_END, PHASE_BLOCK_END):
                assert on_chain(verifier, step.pre, step.witness) == step.post, (number, index)
    two_words = replace(c.batch_block(2), l1_fee_word=DEAR.word())
    trace = trace_block(OverlayDatabase(c.store), rules, c.header_rlp(1), [c.header_rlp(0)],
                        [two_words], 0, empty)
    assert trace.output_root == INVALID_OUTPUT and len(trace) == 1
    assert verify_step(trace.first, trace.witness(0), rules, empty) == trace.final
    assert part_step(part, trace.first, trace.witness(0)) == trace.final


def test_the_largest_transaction_end_on_a_fee_chain(verifier: Verifier) -> None:
    """The worst case of the proposed bounds (test_step_tx_end's, tests/faultproof/
    test_block_parts.py) on a fee chain at DEAR prices: the third of three 49,000-byte
    transactions logging 48 times 1,024 bytes, whose end also counts the L1 fee over its
    49 KB and credits the vault. On chain it gives the tracer's post, within an L1 block."""
    step = largest_end(devnet_genesis(l1_fee=FEE_RULES), l1_prices=DEAR)
    assert on_chain(verifier, step.pre, step.witness) == step.post
    gas = step_gas(verifier, step.pre, step.witness)
    print(f"largest transaction end on a fee chain: {len(step.witness)} bytes, {gas} gas")
    assert gas < 29_000_000


@dataclass(frozen=True)
class Started:
    chain: DevChain
    queue: ListQueue
    verifier: Verifier
    trace: BlockTrace


@pytest.fixture(scope="module")
def started(chain: AnvilChain) -> Started:
    """An anchored fee chain whose block 1, at DEAR prices, takes two deposits from a real
    ForcedInclusionQueue on anvil, then build_started_fee_block's transactions; its verifier
    deployed with that queue."""
    queue = chain.deploy("ForcedInclusionQueue", 100, QUEUE_FEE, chain.accounts[0].address)
    queue_address = bytes.fromhex(queue.address[2:])
    genesis_l1 = GenesisL1(chain_id=31337, locking_pool=bytes.fromhex("11" * 20),
                           origin_number=1, origin_hash=bytes.fromhex("0a" * 32),
                           forced_queue=queue_address)
    c = DevChain(genesis=started_fee_genesis(genesis_l1))
    _enqueue(chain, queue, "deposit", DEPOSITEE, QUEUE_FEE + 5 * 10**18)
    _enqueue(chain, queue, "deposit", c.address(6), QUEUE_FEE + 7)
    records = tuple(_item(queue, i) for i in range(2))
    items = (ForcedDeposit(0, DEPOSITEE, 5 * 10**18, records[0].enqueued_block),
             ForcedDeposit(1, c.address(6), 7, records[1].enqueued_block))
    build_started_fee_block(c, DEAR, items, anchored_extra(records[1].enqueued_block, 2),
                            bytes.fromhex("0c" * 32))
    listed = ListQueue(records)
    trace = c.trace(1, queue=listed)
    assert trace.output_root == c.output_root(1)
    return Started(c, listed, deploy_verifier(chain, rules_of(c.genesis), queue_address), trace)


def _kinds(s: Started) -> dict[str, list[int]]:
    """The phase-2 steps of the block by kind: a deposit (a forced item, not a transaction), a
    start (StepTxOwn's) or a sub-step of a started transaction (a Pending part)."""
    kinds: dict[str, list[int]] = {"deposit": [], "start": [], "started": []}
    for index, step in enumerate(s.trace.steps):
        if step.phase != PHASE_TX_START:
            continue
        state, _ = decode_block_step(step.witness, l1_fee=True)
        if isinstance(state.frame, Pending):
            kinds["started"].append(index)
        elif not kinds["start"] and index <= 2:
            kinds["deposit"].append(index)  # the block's prelude: the two queue items
        else:
            kinds["start"].append(index)
    return kinds


def test_fee_block_deposits_and_started_sub_steps_give_the_tracers_post(
        started: Started) -> None:
    """At non-zero L1 prices (288-byte block inputs): both deposits and every sub-step of the
    started transactions (a warm-key sub-step each for the call, the creation and the sha256
    run, then the frame, StepTxCreate's frame and StepTxPrecompile's run opened; two
    authorizations, then the delegated frame) give the tracer's post on anvil, as do the block
    start, every instruction, transaction end and block end; only the four starts (StepTxOwn
    on a fee chain) revert as not verifiable yet."""
    s = started
    rules = rules_of(s.chain.genesis)
    kinds = _kinds(s)
    assert [len(kinds[k]) for k in ("deposit", "start", "started")] == [2, 4, 9], kinds
    decided = 0
    gas: dict[str, list[int]] = {"deposit": [], "started": []}
    for index, step in enumerate(s.trace.steps):
        if index == 0:
            inputs = _inputs_at(s.trace.witness(1), 28 * 32, 0)
            assert int.from_bytes(s.trace.witness(1)[inputs:inputs + 32], "big") == 288
        answer = on_chain(s.verifier, step.pre, step.witness)
        if index in kinds["start"]:
            assert answer == NOT_YET, index
            continue
        assert verify_step(step.pre, step.witness, rules, s.queue) == step.post
        assert answer == step.post, (index, step.phase, answer)
        decided += 1
        for kind in ("deposit", "started"):
            if index in kinds[kind]:
                gas[kind].append(step_gas(s.verifier, step.pre, step.witness))
    assert decided == len(s.trace.steps) - 4
    opened = [s.trace.steps[i + 1].phase for i in kinds["started"]
              if s.trace.steps[i + 1].phase != PHASE_TX_START]
    assert len(opened) == 4  # the frame, the creation, the sha256 run, the delegated frame
    print("fee block gas through the router: deposits, started sub-steps in order", gas)
    assert max(gas["deposit"] + gas["started"]) < 15_000_000


def test_fee_block_deposits_and_sub_steps_refuse_a_moved_fee_bit(started: Started) -> None:
    """A bit of the ninth block-inputs word moved in a deposit and in every started sub-step:
    refused as by the reference, against the block's inputs_hash."""
    s = started
    rules = rules_of(s.chain.genesis)
    kinds = _kinds(s)
    reason = "block_inputs is not the block's inputs"
    for index in kinds["deposit"] + kinds["started"]:
        witness = s.trace.witness(index)
        inputs = _inputs_at(witness, 28 * 32, 0)
        assert int.from_bytes(witness[inputs:inputs + 32], "big") == 288
        tampered = _flip(witness, inputs + 32 + 256 + 20)
        pre = s.trace.commitment(index)
        with pytest.raises(InvalidWitness, match=reason):
            verify_step(pre, tampered, rules, s.queue)
        assert on_chain(s.verifier, pre, tampered) == f"StepVerifier: {reason}", index
