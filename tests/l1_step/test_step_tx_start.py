"""The on-chain verifier's transaction start (phase 2) against the Python tracer
(docs/fault_proofs.md 4.2), every kind decided on chain: the forced-queue deposits (the item
read from a real ForcedInclusionQueue on anvil, the recipient credited, the cursor advanced), a
forced or own transaction's start (StepTxOwn with StepTxDecode: decoded, checked, refused to the
invalid final state or a no-op, else bought, warmed, and its frame, creation or precompile run
opened in the same step), a started transaction's warm-key sub-steps (an access list past 32
keys), its EIP-7702 authorizations and the call frame, creation or precompile run it then
opens (StepTxFrame, StepTxCreate, StepTxPrecompile)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_utils import to_checksum_address

from ordo.core.genesis import GenesisAccount, devnet_genesis
from ordo.execution.state_source import OverlayDatabase
from ordo.faultproof.block_parts import INVALID_OUTPUT
from ordo.faultproof.block_tracer import BlockStep, BlockTrace, trace_block
from ordo.faultproof.block_witness import decode_block_step, encode_block_step
from ordo.faultproof.machine_state import PHASE_EVM, PHASE_TX_END, PHASE_TX_START
from ordo.faultproof.verify import InvalidWitness, verify_step
from ordo.faultproof.witness import TrieProof
from tests.faultproof.block_chain import DevChain, ledger_init_code, rules_of
from tests.faultproof.test_block_7702 import delegating_chain
from tests.faultproof.test_block_parts import long_access_list_chain
from tests.l1_contracts.anvil_chain import AnvilChain

from .anchored_chain import Anchored, anchored_chain, anchored_trace, part_step
from .verifier import Verifier, deploy_verifier, on_chain, step_gas

GAS_TABLE_MAX = 2_000_000


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


@pytest.fixture(scope="module")
def anchored(chain: AnvilChain, verifier: Verifier) -> Anchored:
    return anchored_chain(chain, verifier)


@pytest.fixture(scope="module")
def trace(anchored: Anchored) -> BlockTrace:
    t = anchored_trace(anchored)
    assert t.output_root == anchored.chain.output_root(1)
    return t


def _items(trace: BlockTrace) -> list[tuple[int, BlockStep]]:
    """The four forced-item steps of block 1 (after block start), in queue order."""
    steps = [(i, s) for i, s in enumerate(trace.steps) if s.phase == PHASE_TX_START]
    return steps[:4]


def _reference(anchored: Anchored, pre: bytes, witness: bytes) -> bytes:
    return verify_step(pre, witness, rules_of(anchored.chain.genesis), anchored.queue)


def test_forced_deposits_give_the_tracers_post_state(anchored: Anchored,
                                                     trace: BlockTrace) -> None:
    """Items 0 (a new account) and 3 (a dev account) are deposits."""
    items = _items(trace)
    for position in (0, 3):
        index, step = items[position]
        witness = trace.witness(index)
        assert _reference(anchored, step.pre, witness) == step.post
        assert part_step(anchored.tx_start, step.pre, witness) == step.post


def test_every_start_of_the_anchored_block_gives_the_tracers_post_state(
        anchored: Anchored, trace: BlockTrace) -> None:
    """The forced transactions (item 1 valid: it starts and its frame opens in the step; item 2
    refused: a no-op) and the block's own transaction after the items (StepTxOwn, forwarded
    by StepTxStart), each as the reference gives it."""
    starts = [(i, s) for i, s in enumerate(trace.steps) if s.phase == PHASE_TX_START]
    assert len(starts) == 5
    for index, step in starts:
        witness = trace.witness(index)
        assert _reference(anchored, step.pre, witness) == step.post
        assert part_step(anchored.tx_start, step.pre, witness) == step.post, index


def _flip(witness: bytes, at: int) -> bytes:
    return witness[:at] + bytes([witness[at] ^ 1]) + witness[at + 1:]


def _word(witness: bytes, at: int) -> int:
    return int.from_bytes(witness[at:at + 32], "big")


def _reason(anchored: Anchored, pre: bytes, witness: bytes) -> str:
    with pytest.raises(InvalidWitness) as refused:
        _reference(anchored, pre, witness)
    return str(refused.value)


def test_a_tampered_deposit_is_refused(anchored: Anchored, trace: BlockTrace) -> None:
    index, step = _items(trace)[3]
    pre, witness = step.pre, trace.witness(index)
    p = _word(witness, 28 * 32)
    inputs = p + _word(witness, p)
    totals = p + _word(witness, p + 41 * 32)
    deposit = p + _word(witness, p + 43 * 32)
    proof = deposit + _word(witness, deposit)
    cases = {
        16 * 32 + 3: "the witness is not the pre-state's preimage",
        totals + 7: "totals is not the preimage of the context's totals_hash",
        inputs + 32 + 9: "block_inputs is not the block's inputs",
    }
    for at, reason in cases.items():
        tampered = _flip(witness, at)
        if at >= p:
            assert _reason(anchored, pre, tampered) == reason, at
        assert part_step(anchored.tx_start, pre, tampered) == f"StepVerifier: {reason}", at
    assert part_step(anchored.tx_start, pre, _flip(witness, proof + 32 + 40)) == \
        "Mpt: first proof node does not hash to the root"
    # a field a deposit does not read, made non-zero: refused by both
    state, proofs = decode_block_step(witness)
    for name in ("raw_tx", "sender", "forced_tx"):
        value: object = b"\x01" if name != "sender" else TrieProof(b"\xc0")
        stuffed = encode_block_step(state, proofs.__class__(**{**proofs.__dict__, name: value}))
        reason = f"the step does not read {name}, but it is not zero"
        assert _reason(anchored, pre, stuffed) == reason
        assert part_step(anchored.tx_start, pre, stuffed) == f"StepVerifier: {reason}"


def test_deposit_gas(anchored: Anchored, trace: BlockTrace, verifier: Verifier) -> None:
    gas = 0
    for position in (0, 3):
        index, step = _items(trace)[position]
        gas = max(gas, int(anchored.tx_start.functions.step(step.pre, trace.witness(index))
                           .estimate_gas({"gas": 29_000_000})))
    print(f"forced deposit: {gas} gas")
    assert gas < GAS_TABLE_MAX


@pytest.fixture(scope="module")
def long_list() -> tuple[DevChain, BlockTrace]:
    """33 addresses with two keys each (99 keys, tests/faultproof/test_block_parts.py): the
    start warms 35 keys, three sub-steps the other 67, then the frame opens."""
    c = long_access_list_chain()
    t = c.trace(1)
    assert t.output_root == c.output_root(1)
    return c, t


def _starts(t: BlockTrace) -> list[tuple[int, BlockStep]]:
    return [(i, s) for i, s in enumerate(t.steps) if s.phase == PHASE_TX_START]


def test_warm_key_sub_steps_give_the_tracers_post_state(
        long_list: tuple[DevChain, BlockTrace], verifier: Verifier) -> None:
    c, t = long_list
    starts = _starts(t)
    assert len(starts) == 5
    rules = rules_of(c.genesis)
    for index, step in starts[1:4]:  # keys 35-66, 67-98, 99-101
        witness = t.witness(index)
        assert verify_step(step.pre, witness, rules) == step.post
        assert on_chain(verifier, step.pre, witness) == step.post
    index, step = starts[4]  # the frame opens after the keys: StepTxFrame
    witness = t.witness(index)
    assert verify_step(step.pre, witness, rules) == step.post
    assert on_chain(verifier, step.pre, witness) == step.post
    print(f"frame opening after warm keys: {step_gas(verifier, step.pre, witness)} gas")


def test_a_tampered_warm_key_sub_step_is_refused(
        long_list: tuple[DevChain, BlockTrace], verifier: Verifier) -> None:
    c, t = long_list
    index, step = _starts(t)[2]
    witness = t.witness(index)
    state, proofs = decode_block_step(witness)
    rules = rules_of(c.genesis)
    more = encode_block_step(state, replace(proofs, accessed=(*proofs.accessed,
                                                              proofs.accessed[0])))
    reason = "the witness has more accessed-set proofs than the step reads"
    with pytest.raises(InvalidWitness, match=reason):
        verify_step(step.pre, more, rules)
    assert on_chain(verifier, step.pre, more) == f"StepVerifier: {reason}"
    fewer = encode_block_step(state, replace(proofs, accessed=proofs.accessed[:-1]))
    reason = "the witness has too few accessed-set proofs"
    with pytest.raises(InvalidWitness, match=reason):
        verify_step(step.pre, fewer, rules)
    assert on_chain(verifier, step.pre, fewer) == f"StepVerifier: {reason}"
    swapped = encode_block_step(state, replace(proofs, accessed=(
        proofs.accessed[1], proofs.accessed[0], *proofs.accessed[2:])))
    assert str(on_chain(verifier, step.pre, swapped)).startswith("Mpt: ")
    stuffed = encode_block_step(state, replace(proofs, sender_code=b"\x01"))
    reason = "the step does not read sender_code, but it is not zero"
    with pytest.raises(InvalidWitness, match=reason):
        verify_step(step.pre, stuffed, rules)
    assert on_chain(verifier, step.pre, stuffed) == f"StepVerifier: {reason}"
    gas = max(step_gas(verifier, s.pre, t.witness(i)) for i, s in _starts(t)[1:4])
    print(f"warm-key sub-step: {gas} gas")


@pytest.fixture(scope="module")
def delegating() -> tuple[DevChain, BlockTrace]:
    """tests/faultproof/test_block_7702.py's block: a type-4 transaction with five
    authorizations (an existing authority, a new one for any chain, the sender itself, a
    stale nonce, another chain), then the frame."""
    c = delegating_chain()
    t = c.trace(1)
    assert t.output_root == c.output_root(1)
    return c, t


def test_authorizations_give_the_tracers_post_state(
        delegating: tuple[DevChain, BlockTrace], verifier: Verifier) -> None:
    c, t = delegating
    starts = _starts(t)
    assert len(starts) == 7
    rules = rules_of(c.genesis)
    for index, step in starts[1:6]:
        witness = t.witness(index)
        assert verify_step(step.pre, witness, rules) == step.post
        assert on_chain(verifier, step.pre, witness) == step.post, index
    index, step = starts[6]  # past the last authorization the frame opens: StepTxFrame
    assert on_chain(verifier, step.pre, t.witness(index)) == step.post
    gas = max(step_gas(verifier, s.pre, t.witness(i)) for i, s in starts[1:6])
    print(f"authorization: {gas} gas")


def _tracer_posts(verifier: Verifier, t: BlockTrace, rules: Any,
                  steps: list[tuple[int, BlockStep]]) -> int:
    """Each step gives the tracer's post in the reference and on anvil; the most gas."""
    gas = 0
    for index, step in steps:
        witness = t.witness(index)
        assert verify_step(step.pre, witness, rules) == step.post
        assert on_chain(verifier, step.pre, witness) == step.post, index
        gas = max(gas, step_gas(verifier, step.pre, witness))
    return gas


def _both_refuse(verifier: Verifier, pre: bytes, witness: bytes, rules: Any,
                 reason: str) -> None:
    """The reference and the verifier on anvil refuse ``witness`` with the same ``reason``."""
    with pytest.raises(InvalidWitness, match=reason):
        verify_step(pre, witness, rules)
    assert on_chain(verifier, pre, witness) == f"StepVerifier: {reason}"


def _proof_flipped(state: Any, proofs: Any, name: str) -> bytes:
    """The witness with byte 40 of trie field ``name``'s first proof node flipped."""
    trie = getattr(proofs, name)
    proof = trie.proof[:40] + bytes([trie.proof[40] ^ 1]) + trie.proof[41:]
    return encode_block_step(state, replace(proofs, **{name: replace(trie, proof=proof)}))


def test_a_tampered_authorization_is_refused(
        delegating: tuple[DevChain, BlockTrace], verifier: Verifier) -> None:
    c, t = delegating
    index, step = _starts(t)[1]  # the existing authority: warmed, written, refunded
    witness = t.witness(index)
    state, proofs = decode_block_step(witness)
    rules = rules_of(c.genesis)
    code = encode_block_step(state, replace(proofs, authority_code=b"\x01"))
    reason = "authority_code does not hash to the account's code hash"
    with pytest.raises(InvalidWitness, match=reason):
        verify_step(step.pre, code, rules)
    assert on_chain(verifier, step.pre, code) == f"StepVerifier: {reason}"
    more = encode_block_step(state, replace(proofs, accessed=(*proofs.accessed,
                                                              proofs.accessed[0])))
    reason = "the witness has more accessed-set proofs than the step reads"
    assert on_chain(verifier, step.pre, more) == f"StepVerifier: {reason}"
    stuffed = encode_block_step(state, replace(proofs, delegate_code=b"\x01"))
    reason = "the step does not read delegate_code, but it is not zero"
    with pytest.raises(InvalidWitness, match=reason):
        verify_step(step.pre, stuffed, rules)
    assert on_chain(verifier, step.pre, stuffed) == f"StepVerifier: {reason}"
    assert on_chain(verifier, step.pre, _proof_flipped(state, proofs, "authority")) == \
        "Mpt: first proof node does not hash to the root"


def test_a_tampered_frame_opening_is_refused(
        long_list: tuple[DevChain, BlockTrace], delegating: tuple[DevChain, BlockTrace],
        verifier: Verifier) -> None:
    """StepTxFrame refuses what the reference refuses, with its reasons: a callee or delegate
    code that is not the account's, an extra accessed-set proof, a field it does not read; a
    callee proof flipped is the Mpt service's refusal."""
    gas = 0
    for (c, t), position in ((long_list, 4), (delegating, 6)):
        index, step = _starts(t)[position]
        witness = t.witness(index)
        state, proofs = decode_block_step(witness)
        rules = rules_of(c.genesis)
        gas = max(gas, step_gas(verifier, step.pre, witness))
        name = "callee_code" if position == 4 else "delegate_code"
        cases = {
            f"{name} does not hash to the account's code hash":
                replace(proofs, **{name: getattr(proofs, name) + b"\x00"}),
            "the step does not read sender_code, but it is not zero":
                replace(proofs, sender_code=b"\x01"),
        }
        if position == 6:
            cases["the witness has more accessed-set proofs than the step reads"] = replace(
                proofs, accessed=(*proofs.accessed, proofs.accessed[0]))
        for reason, tampered in cases.items():
            _both_refuse(verifier, step.pre, encode_block_step(state, tampered), rules, reason)
        assert on_chain(verifier, step.pre, _proof_flipped(state, proofs, "callee")) == \
            "Mpt: first proof node does not hash to the root"
    print(f"frame opening: {gas} gas")


def _entries(count: int) -> list[dict[str, object]]:
    return [{"address": "0x" + bytes([i + 1]).rjust(20, b"\xbb").hex(), "storageKeys": []}
            for i in range(count)]


def test_frames_with_code_value_and_calldata(verifier: Verifier) -> None:
    """Started transactions (36 access-list addresses: one warm-key sub-step) whose frames
    StepTxFrame opens: a type-1 call with value and calldata to a contract (Ledger, created
    earlier in the block: its code and bitmap roots), a type-2 transfer with calldata to an
    absent account (the recipient created by the credit)."""
    c = DevChain()
    ledger = c.contract_address(0, 0)
    data = bytes(4) + b"\x01\x02" + bytes(30)
    gas = 21_000 + 36 * 2_400 + 100_000
    c.build([c.sign(0, None, data=ledger_init_code(), gas=3_000_000),
             c.sign(1, ledger, value=3, data=data, gas=gas, tx_type=1,
                    accessList=_entries(36)),
             c.sign(2, b"\xcc" * 20, value=7, data=data, gas=gas, accessList=_entries(36))])
    t = c.trace(1)
    assert t.output_root == c.output_root(1)
    rules = rules_of(c.genesis)
    frames = [(i, s) for i, s in enumerate(t.steps) if s.phase == PHASE_TX_START
              and i + 1 < len(t.steps) and t.steps[i + 1].phase == PHASE_EVM]
    opened = 0
    for index, step in frames:
        state, proofs = decode_block_step(t.witness(index))
        if not state.frame or not proofs.tx_siblings or state.phase != PHASE_TX_START:
            continue
        witness = t.witness(index)
        assert verify_step(step.pre, witness, rules) == step.post
        if proofs.raw_tx[0] in (1, 2) and proofs.sender_value.proof:
            assert on_chain(verifier, step.pre, witness) == step.post, index
            print(f"frame opening with value: {step_gas(verifier, step.pre, witness)} gas")
            opened += 1
    assert opened == 2


STEP_GAS_MARGIN = 15_000_000
"""What the worst step of a kind may cost: EIP-7825 caps one L1 transaction at 2^24 =
16,777,216 gas, and a step that cannot fit in one is a step nobody can prove."""


def test_frame_opening_gas_at_the_limits(verifier: Verifier) -> None:
    """The worst frame opening measured: a callee of 24,576 bytes (STOP, then PUSH1s:
    StepCode's dearest code, a PUSH walked every two bytes) called with 24,576 bytes of
    calldata (non-zero), after a warm-key sub-step; the frame gives the tracer's post, within
    STEP_GAS_MARGIN."""
    size = 24_576
    target = b"\xdd" * 20
    genesis = devnet_genesis()
    c = DevChain(genesis=replace(genesis, alloc={
        **genesis.alloc, target: GenesisAccount(code=b"\x00" + b"\x60" * (size - 1))}))
    c.build([c.sign(1, target, data=b"\x5b" * size, gas=1_500_000, accessList=_entries(36))])
    t = c.trace(1)
    assert t.output_root == c.output_root(1)
    index, step = next((i, s) for i, s in enumerate(t.steps) if s.phase == PHASE_TX_START
                       and t.steps[i + 1].phase == PHASE_EVM
                       and decode_block_step(t.witness(i))[0].frame is not None)
    witness = t.witness(index)
    assert verify_step(step.pre, witness, rules_of(c.genesis)) == step.post
    assert on_chain(verifier, step.pre, witness) == step.post
    gas = step_gas(verifier, step.pre, witness)
    print(f"frame opening, 24,576-byte code and calldata: {gas} gas")
    assert gas <= STEP_GAS_MARGIN


def test_creation_and_precompile_gas_at_the_limits(verifier: Verifier) -> None:
    """The worst started creation's frame and precompile run measured: 24,576 bytes of PUSH1
    as init code with value (StepCode's dearest code) and as sha256's input, after a warm-key
    sub-step; each gives the tracer's post within STEP_GAS_MARGIN."""
    data = b"\x60" * 24_576
    for to, value in ((None, 5), ((2).to_bytes(20, "big"), 0)):
        c = DevChain()
        c.build([c.sign(1, to, value=value, data=data, gas=2_000_000, accessList=_entries(36))])
        t = c.trace(1)
        assert t.output_root == c.output_root(1)
        index, step = next((i, s) for i, s in enumerate(t.steps) if s.phase == PHASE_TX_START
                           and t.steps[i + 1].phase != PHASE_TX_START)  # past the sub-step
        assert t.steps[index + 1].phase == (PHASE_EVM if to is None else PHASE_TX_END)
        witness = t.witness(index)
        assert on_chain(verifier, step.pre, witness) == step.post
        gas = step_gas(verifier, step.pre, witness)
        print(f"{'creation' if to is None else 'sha256'} of 24,576 bytes: {gas} gas")
        assert gas <= STEP_GAS_MARGIN


def test_started_creations(verifier: Verifier) -> None:
    """Started creations (36 access-list addresses: one warm-key sub-step) whose frames
    StepTxCreate opens: the Ledger's init code with value (the new account at nonce 1, the
    value moved, the created set), and one whose address already has a nonce (the collision:
    phase 4, nothing changed); a tampered callee proof and a stuffed field are refused."""
    collide = DevChain().contract_address(2, 0)
    genesis = devnet_genesis()
    c = DevChain(genesis=replace(genesis, alloc={**genesis.alloc,
                                                 collide: GenesisAccount(nonce=1)}))
    c.build([c.sign(1, None, value=5, data=ledger_init_code(), gas=3_000_000,
                    accessList=_entries(36)),
             c.sign(2, None, data=ledger_init_code(), gas=3_000_000, accessList=_entries(36))])
    t = c.trace(1)
    assert t.output_root == c.output_root(1)
    rules = rules_of(c.genesis)
    opened = [(i, s) for i, s in enumerate(t.steps) if s.phase == PHASE_TX_START
              and t.steps[i + 1].phase != PHASE_TX_START
              and decode_block_step(t.witness(i))[0].frame is not None]
    assert [t.steps[i + 1].phase for i, _ in opened] == [PHASE_EVM, PHASE_TX_END]
    gas = _tracer_posts(verifier, t, rules, opened)
    for index, step in opened:
        state, proofs = decode_block_step(t.witness(index))
        _both_refuse(verifier, step.pre, encode_block_step(
            state, replace(proofs, callee_code=b"\x01")), rules,
            "the step does not read callee_code, but it is not zero")
        assert on_chain(verifier, step.pre, _proof_flipped(state, proofs, "callee")) == \
            "Mpt: first proof node does not hash to the root"
    print(f"started creation's frame: {gas} gas")


def test_started_precompile_runs(verifier: Verifier) -> None:
    """Started transactions (36 access-list addresses: one warm-key sub-step) sent to a
    precompile, run by StepTxPrecompile through StepPrecompile: sha256 with value (the transfer
    kept), identity, and sha256 with too little gas (the run fails: all gas, the transfer rolled
    back); each gives the tracer's phase-4 post."""
    c = DevChain()
    data = b"\x01\x02" + bytes(62)
    base = 21_000 + 36 * 2_400 + 2 * 16 + 62 * 4
    c.build([c.sign(1, (2).to_bytes(20, "big"), value=9, data=data, gas=base + 5_000,
                    accessList=_entries(36)),
             c.sign(2, (4).to_bytes(20, "big"), data=data, gas=base + 5_000,
                    accessList=_entries(36)),
             c.sign(3, (2).to_bytes(20, "big"), value=9, data=data, gas=base + 50,
                    accessList=_entries(36))])
    t = c.trace(1)
    assert t.output_root == c.output_root(1)
    rules = rules_of(c.genesis)
    runs = [(i, s) for i, s in enumerate(t.steps) if s.phase == PHASE_TX_START
            and t.steps[i + 1].phase == PHASE_TX_END]
    assert len(runs) == 3
    gas = _tracer_posts(verifier, t, rules, runs)
    state, proofs = decode_block_step(t.witness(runs[0][0]))
    _both_refuse(verifier, runs[0][1].pre, encode_block_step(
        state, replace(proofs, callee_code=b"\x01")), rules,
        "callee_code does not hash to the account's code hash")
    print(f"started precompile run: {gas} gas")


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _every_start(verifier: Verifier, t: BlockTrace, rules: Any) -> int:
    """Every phase-2 step of ``t`` gives the tracer's post in the reference and on anvil
    (StepTxOwn for the starts, the started parts after them); the most gas."""
    return _tracer_posts(verifier, t, rules, _starts(t))


@pytest.fixture(scope="module")
def own_block() -> tuple[DevChain, BlockTrace]:
    """Block 1 of starts that open in their own step: a legacy (EIP-155) transfer, a type-2
    transfer with value to a new account, the Ledger's creation (StepTxCreate), a type-1 call
    with calldata and a small access list to the Ledger (StepTxFrame), identity with value and
    an out-of-gas sha256 (StepTxPrecompile), and a call with 36 access-list addresses (its
    start goes on in a warm-key sub-step)."""
    c = DevChain()
    ledger = c.contract_address(0, 0)
    data = bytes(4) + b"\x01\x02" + bytes(30)
    c.build([c.sign(0, None, data=ledger_init_code(), gas=3_000_000),
             c.sign(1, c.address(2), value=5, tx_type=0),
             c.sign(2, b"\xcc" * 20, value=7),
             c.sign(3, ledger, value=3, data=data, gas=200_000, tx_type=1,
                    accessList=[{"address": "0x" + ledger.hex(),
                                 "storageKeys": ["0x" + "00" * 31 + "01"]},
                                {"address": "0x" + "ab" * 20, "storageKeys": []}]),
             c.sign(4, (4).to_bytes(20, "big"), value=9, data=data, gas=30_000),
             c.sign(5, (2).to_bytes(20, "big"), data=data, gas=21_700),
             c.sign(6, ledger, data=data, gas=21_000 + 36 * 2_400 + 100_000,
                    accessList=_entries(36))])
    t = c.trace(1)
    assert t.output_root == c.output_root(1)
    c.build([])  # block 2, posted with other transactions below (_posted)
    return c, t


def test_own_starts_give_the_tracers_post_state(own_block: tuple[DevChain, BlockTrace],
                                               delegating: tuple[DevChain, BlockTrace],
                                               verifier: Verifier) -> None:
    """Every transaction start of the block above and of the EIP-7702 blocks (a type-4
    start, a call to a delegated account: the delegate's proof after the start's keys, a
    delegation cleared) gives the tracer's post on anvil."""
    c, t = own_block
    gas = _every_start(verifier, t, rules_of(c.genesis))
    d, _ = delegating
    for number in (1, 2, 3):
        trace = d.trace(number)
        assert trace.output_root == d.output_root(number)
        gas = max(gas, _every_start(verifier, trace, rules_of(d.genesis)))
    print(f"own transaction start: {gas} gas")


def _posted(c: DevChain, raw: bytes) -> BlockTrace:
    """Block 2 of ``c`` as a batch would post it with the one transaction ``raw``."""
    posted = replace(c.batch_block(2), transactions=(raw,))
    return trace_block(OverlayDatabase(c.store), rules_of(c.genesis), c.header_rlp(1),
                       [c.header_rlp(0)], [posted], 0)


def _resigned(raw: bytes, change: Any) -> bytes:
    """A typed transaction with its decoded fields changed by ``change`` (no new signature)."""
    items = rlp.decode(raw[1:])
    return raw[:1] + rlp.encode(change(items))


def _high_s(items: list[Any]) -> list[Any]:
    s = int.from_bytes(items[-1], "big")
    parity = int.from_bytes(items[-3], "big")
    return [*items[:-3], b"" if parity else b"\x01", items[-2],
            (SECP256K1_N - s).to_bytes(32, "big").lstrip(b"\x00")]


def _other_r(items: list[Any]) -> list[Any]:
    r = int.from_bytes(items[-2], "big")
    return [*items[:-2], (r ^ 1).to_bytes(32, "big").lstrip(b"\x00"), items[-1]]


def _no_chain_id(c: DevChain) -> bytes:
    """A legacy transaction signed before EIP-155 (v 27 or 28): no chain id to check."""
    signed = Account.sign_transaction({"nonce": 0, "gasPrice": 10**10, "gas": 21_000,
                                       "to": to_checksum_address(b"\xcd" * 20), "value": 1,
                                       "data": b""},
                                      c.keys[7])
    return bytes(signed.raw_transaction)


def test_excluded_transactions_end_in_the_invalid_final_state(
        own_block: tuple[DevChain, BlockTrace], verifier: Verifier) -> None:
    """A block posted with a transaction the engine would exclude: the start step goes to the
    invalid final state on anvil as in the reference, for each rule (not decoding, a high-s
    signature, a wrong signature, a wrong nonce, too little balance, another chain, gas below
    the intrinsic and the floor, a gas limit over the block's); a pre-EIP-155 legacy
    transaction is included."""
    c, _ = own_block
    plain = c.sign(8, c.address(2), value=1, nonce=0).raw
    cases = {
        "not a transaction": b"\x02\xc0",
        "high s": _resigned(plain, _high_s),
        "wrong signature": _resigned(plain, _other_r),
        "nonce too high": c.sign(8, c.address(2), value=1, nonce=5).raw,
        "no funds": c.sign(8, c.address(2), value=10**30, nonce=0).raw,
        "wrong chain": c.sign(8, c.address(2), value=1, nonce=0, chainId=5).raw,
        "intrinsic": c.sign(8, c.address(2), data=b"\x01" * 40, gas=21_000, nonce=0).raw,
        "block gas": c.sign(8, c.address(2), gas=10**9, nonce=0).raw,
    }
    rules = rules_of(c.genesis)
    for name, raw in cases.items():
        t = _posted(c, raw)
        assert t.output_root == INVALID_OUTPUT, name
        (index, step), = _starts(t)
        witness = t.witness(index)
        assert verify_step(step.pre, witness, rules) == step.post, name
        assert on_chain(verifier, step.pre, witness) == step.post, name
    t = _posted(c, _no_chain_id(c))
    assert t.output_root != INVALID_OUTPUT
    _every_start(verifier, t, rules)


def test_a_tampered_own_start_is_refused(own_block: tuple[DevChain, BlockTrace],
                                        verifier: Verifier) -> None:
    """The type-2 transfer's start: a flipped raw transaction, sibling, sender proof, an
    extra accessed-set proof, a sender code not the account's and a stuffed field are refused
    with the reference's reasons (a proof with StepMpt's)."""
    c, t = own_block
    rules = rules_of(c.genesis)
    index, step = _starts(t)[2]
    witness = t.witness(index)
    state, proofs = decode_block_step(witness)
    raw = proofs.raw_tx
    cases = {
        "raw_tx is not the block's transaction at this index":
            replace(proofs, raw_tx=raw[:9] + bytes([raw[9] ^ 1]) + raw[10:]),
        "sender_code does not hash to the account's code hash":
            replace(proofs, sender_code=b"\x01"),
        "the witness has more accessed-set proofs than the step reads":
            replace(proofs, accessed=(*proofs.accessed, proofs.accessed[0])),
        "the step does not read forced_tx, but it is not zero":
            replace(proofs, forced_tx=b"\x01"),
        "the step does not read deposit, but it is not zero":
            replace(proofs, deposit=TrieProof(b"\xc0")),
    }
    for reason, tampered in cases.items():
        _both_refuse(verifier, step.pre, encode_block_step(state, tampered), rules, reason)
    assert on_chain(verifier, step.pre, _proof_flipped(state, proofs, "sender")) == \
        "Mpt: first proof node does not hash to the root"
    fewer = encode_block_step(state, replace(proofs, accessed=proofs.accessed[:2]))
    _both_refuse(verifier, step.pre, fewer, rules, "the witness has too few accessed-set proofs")


def test_a_tampered_forced_transaction_is_refused(anchored: Anchored,
                                                 trace: BlockTrace) -> None:
    index, step = _items(trace)[1]
    state, proofs = decode_block_step(trace.witness(index))
    tampered = encode_block_step(state, replace(proofs, forced_tx=proofs.forced_tx + b"\x00"))
    reason = "forced_tx is not the queue item's"
    assert _reason(anchored, step.pre, tampered) == reason
    assert part_step(anchored.tx_start, step.pre, tampered) == f"StepVerifier: {reason}"


def test_own_start_gas_at_the_limits(verifier: Verifier) -> None:
    """The dearest own starts measured: a 24,576-byte callee (STOP, then JUMPDESTs) called with
    24,576 bytes of calldata, its frame opened in the start step itself (StepTxOwn, then
    StepTxFrame: StepCode twice); a 48,900-byte transaction (the proposed bound is 49,152)
    with 33 access-list keys, decoded, bought and 35 keys warmed (Pending); the same bytes
    with too little gas (the invalid final state). Each gives the tracer's post."""
    size = 24_576
    target = b"\xdd" * 20
    genesis = devnet_genesis()
    c = DevChain(genesis=replace(genesis, alloc={
        **genesis.alloc, target: GenesisAccount(code=b"\x00" + b"\x5b" * (size - 1))}))
    big = b"\x5b" * 48_000
    c.build([c.sign(1, target, data=b"\x5b" * size, gas=1_500_000),
             c.sign(2, target, data=big, gas=2_500_000, accessList=_entries(33))])
    t = c.trace(1)
    assert t.output_root == c.output_root(1)
    c.build([])
    rules = rules_of(c.genesis)
    gas = {}
    for index, step in _starts(t):
        witness = t.witness(index)
        if decode_block_step(witness)[0].frame is not None:
            continue  # the sub-steps after a start (48,000 bytes of calldata: not on chain yet)
        assert verify_step(step.pre, witness, rules) == step.post
        assert on_chain(verifier, step.pre, witness) == step.post, index
        gas[index] = step_gas(verifier, step.pre, witness)
    excluded = _posted(c, c.sign(3, target, data=big, gas=21_000, nonce=0).raw)
    (index, step), = _starts(excluded)
    assert step.post == excluded.commitment(index + 1)
    assert on_chain(verifier, step.pre, excluded.witness(index)) == step.post
    gas[-1] = step_gas(verifier, step.pre, excluded.witness(index))
    print(f"own start at the limits (step index: gas): {gas}")
    assert max(gas.values()) <= 2**24  # EIP-7825's cap; 15 M, the margin, not met yet (3.7)
