"""The on-chain verifier's transaction end (phase 4, docs/fault_proofs.md 4.3) against the
Python tracer: every transaction-end step of blocks the engine builds (calls to the Vyper ledger
with an event, a revert with a reason, an out-of-gas call, a legacy transaction's checked
arithmetic revert, a type-1 transfer with an access list, a calldata-heavy transfer charged the
EIP-7623 floor, a zero-tip coinbase cleared by EIP-161, a zero-value call to an empty account
that is deleted) gives on chain exactly the tracer's post-state; tampered witnesses are refused
with reasons; creations' code deposits and their failures as the tracer has them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_hash.auto import keccak

from ordo.core.genesis import Genesis, GenesisAccount, devnet_genesis
from ordo.faultproof.block_tracer import BlockStep
from ordo.faultproof.machine_state import PHASE_TX_END
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import DevChain, ledger_init_code, rules_of
from tests.faultproof.test_vyper_contracts import calldata
from tests.l1_contracts.anvil_chain import AnvilChain

from .verifier import Verifier, deploy_verifier, on_chain, step_gas

FRESH_COINBASE = bytes.fromhex("ce" * 20)
CONTEXT_AT = 16 * 32
PROOFS_PTR = 30 * 32


@dataclass(frozen=True)
class Ends:
    chain: DevChain
    steps: tuple[BlockStep, ...]
    creation: BlockStep


@pytest.fixture(scope="module")
def ends() -> Ends:
    c = DevChain()
    c.build([c.sign(0, None, data=ledger_init_code(), gas=2_000_000)])
    ledger = c.contract_address(0, 0)
    deposit = calldata("deposit(uint256)", ["uint256"], [5])
    c.build([
        c.sign(1, ledger, data=deposit, gas=200_000),
        c.sign(2, ledger, data=calldata("deposit(uint256)", ["uint256"], [0]), gas=200_000),
        c.sign(3, ledger, data=deposit, gas=21_600),
        c.sign(4, ledger, data=calldata("withdraw(uint256)", ["uint256"], [9]), gas=200_000,
               tx_type=0),
        c.sign(5, c.address(6), value=7, tx_type=1, gas=25_300, accessList=[
            {"address": "0x" + ledger.hex(), "storageKeys": ["0x" + "00" * 31 + "01"]}]),
        c.sign(6, c.address(7), data=b"\x01" * 1000, gas=61_000),
    ])
    c.build([c.sign(8, c.address(9), value=1, tip=0)], coinbase=FRESH_COINBASE)
    c.build([c.sign(9, c.address(1), value=1, tip=0),
             c.sign(8, FRESH_COINBASE, value=0, tip=0)], coinbase=FRESH_COINBASE)
    steps: list[BlockStep] = []
    for number in (2, 3, 4):
        trace = c.trace(number)
        assert trace.output_root == c.output_root(number)
        steps.extend(s for s in trace.steps if s.phase == PHASE_TX_END)
    creation = [s for s in c.trace(1).steps if s.phase == PHASE_TX_END]
    return Ends(c, tuple(steps), creation[0])


@pytest.fixture(scope="module")
def verifier(chain: AnvilChain) -> Iterator[Verifier]:
    yield deploy_verifier(chain)


def test_every_transaction_end_gives_the_tracers_post(ends: Ends, verifier: Verifier) -> None:
    rules = rules_of(ends.chain.genesis)
    assert len(ends.steps) == 9
    for step in ends.steps:
        assert verify_step(step.pre, step.witness, rules) == step.post
        assert on_chain(verifier, step.pre, step.witness) == step.post


RETURNS_STOP = bytes.fromhex("60016000f3")
"""return(0, 1): the code is one zero byte (STOP)."""
REVERTS = bytes.fromhex("60006000fd")
RETURNS_EF = bytes.fromhex("60ef60005360016000f3")
"""mstore8(0, 0xef); return(0, 1): refused by EIP-3541."""
RETURNS_1000 = bytes.fromhex("6103e86000f3")
"""return(0, 1000): 200,000 gas of deposit."""


@pytest.fixture(scope="module")
def creation_ends() -> tuple[BlockStep, ...]:
    """The creations of tests/faultproof/test_block_create.py: a one-byte code with value, a
    reverting init code, 0xef code, a deposit out of gas, a 1,000-byte deposit, a collision."""
    genesis = devnet_genesis()
    taken = DevChain().contract_address(5, 0)
    c = DevChain(genesis=replace(genesis, alloc={**genesis.alloc,
                                                 taken: GenesisAccount(nonce=1)}))
    c.build([
        c.sign(0, None, value=5, data=RETURNS_STOP, gas=100_000),
        c.sign(1, None, data=REVERTS, gas=100_000),
        c.sign(2, None, data=RETURNS_EF, gas=100_000),
        c.sign(3, None, data=RETURNS_1000, gas=150_000),
        c.sign(4, None, data=RETURNS_1000, gas=300_000),
        c.sign(5, None, data=RETURNS_STOP, gas=100_000),
    ])
    trace = c.trace(1)
    assert trace.output_root == c.output_root(1)
    return tuple(s for s in trace.steps if s.phase == PHASE_TX_END)


def test_creation_ends_give_the_tracers_post(ends: Ends, creation_ends: tuple[BlockStep, ...],
                                            verifier: Verifier) -> None:
    """Code deposits (one byte, 1,000 bytes, the Vyper ledger), and the failures: 0xef code,
    a deposit out of gas (the context rolled back to the entry snapshot), a reverted init
    code, a collision."""
    assert len(creation_ends) == 6
    for step in (*creation_ends, ends.creation):
        assert on_chain(verifier, step.pre, step.witness) == step.post
    # a deposit that fails: its snapshot is the rollback's only source
    failed = creation_ends[2]
    witness = failed.witness
    p = _word(witness, PROOFS_PTR)
    assert on_chain(verifier, failed.pre, _flip(witness, p + 1344 + 7)) == \
        "StepVerifier: snapshot is not the preimage of the frame's entry snapshot"
    output = p + _word(witness, p + 1312)
    assert on_chain(verifier, failed.pre, _flip(witness, output + 32)) == \
        "StepVerifier: output is not the frame's return data"


def _word(witness: bytes, at: int) -> int:
    return int.from_bytes(witness[at:at + 32], "big")


def _flip(witness: bytes, at: int) -> bytes:
    return witness[:at] + bytes([witness[at] ^ 1]) + witness[at + 1:]


def test_a_tampered_transaction_end_is_refused(ends: Ends, verifier: Verifier) -> None:
    step = ends.steps[0]  # the ledger's deposit: one log
    pre, witness = step.pre, step.witness
    p = _word(witness, PROOFS_PTR)
    raw = p + _word(witness, p + 32)
    logs = p + _word(witness, p + 1088)
    first_log = logs + 32 + _word(witness, logs + 32)
    log_data = first_log + _word(witness, first_log + 64)
    totals = p + _word(witness, p + 1216)
    receipt_proof = p + _word(witness, p + 1248)
    cases = {
        25 * 32 + 40: "StepVerifier: the witness is not the pre-state's preimage",
        raw + 32 + 10: "StepVerifier: raw_tx is not the block's transaction at this index",
        p + 64 + 3: "StepVerifier: raw_tx is not the block's transaction at this index",
        log_data + 32 + 3: "StepVerifier: logs are not the transaction's logs",
        first_log + 31: "StepVerifier: logs are not the transaction's logs",
        totals + 4: "StepVerifier: totals is not the preimage of the context's totals_hash",
    }
    for at, reason in cases.items():
        assert on_chain(verifier, pre, _flip(witness, at)) == reason, at
    sender = p + _word(witness, p + 1120)
    sender_proof = sender + _word(witness, sender)
    assert on_chain(verifier, pre, _flip(witness, sender_proof + 32 + 40)) == \
        "Mpt: first proof node does not hash to the root"
    if _word(witness, receipt_proof) > 0:
        node = receipt_proof + _word(witness, receipt_proof + 32) + 32
        assert on_chain(verifier, pre, _flip(witness, node + 32 + 5)) == \
            "StepVerifier: the proof is not exactly the key's path, root first"


def test_a_pre_state_off_in_cumulative_gas_gives_another_post(ends: Ends,
                                                              verifier: Verifier) -> None:
    """The pre-state recommitted with one more unit of the block's gas used: the witness still
    proves (nothing else reads that word), the receipt and so the post-state differ from the
    tracer's: a claimed post can only be the one the witness's pre-state gives."""
    step = ends.steps[1]
    witness = step.witness
    at = CONTEXT_AT + 7 * 32
    tampered = witness[:at] + (_word(witness, at) + 1).to_bytes(32, "big") + witness[at + 32:]
    head = decode(["uint256", "bytes32[10]", "bytes32[5]", "bytes32[9]", "bytes32[5]"],
                  tampered[:30 * 32])
    pre = keccak(encode(["uint256", "bytes32", "bytes32", "bytes32", "bytes32"], [
        4, *(keccak(b"".join(part)) for part in head[1:])]))
    answer = on_chain(verifier, pre, tampered)
    assert isinstance(answer, bytes) and answer != step.post
    assert answer == verify_step(pre, tampered, rules_of(ends.chain.genesis))


def test_transaction_end_gas(ends: Ends, creation_ends: tuple[BlockStep, ...],
                             verifier: Verifier) -> None:
    """The largest transaction-end step of these blocks (docs/fault_proofs.md 3.7's table)."""
    gas = max(step_gas(verifier, s.pre, s.witness)
              for s in (*ends.steps, *creation_ends, ends.creation))
    print(f"transaction end: {gas} gas")
    assert gas < 5_000_000


def test_the_services_fit_the_code_size_limit() -> None:
    """StepTxEnd's two helpers (the parts are checked in test_step_parts)."""
    from ordo.l1.compiler import compile_contract

    for name in ("step/StepTxEndState", "step/StepIndexTrie"):
        assert 0 < len(compile_contract(name).runtime_bytecode) < 24_576, name


def largest_end(genesis: Genesis, **build: Any) -> BlockStep:
    """The worst case of the proposed bounds (tests/faultproof/test_block_parts.py) on
    ``genesis`` (``build``: DevChain.build's options): the end of the third of three
    49,000-byte transactions that each log 48 times 1,024 bytes, which inserts a 57 KB receipt
    and itself beside the second's leaves (a witness over 200 KB)."""
    from tests.faultproof.test_block_parts import LOGGER, _logger_code

    c = DevChain(genesis=replace(genesis, alloc={
        **genesis.alloc, LOGGER: GenesisAccount(code=_logger_code(48))}))
    c.build([c.sign(i, LOGGER, data=b"\x07" * 49_000, gas=2_000_000) for i in range(3)],
            **build)
    trace = c.trace(1)
    assert trace.output_root == c.output_root(1)
    step = [s for s in trace.steps if s.phase == PHASE_TX_END][2]
    assert len(step.witness) > 200_000
    return step


def test_the_largest_transaction_end_on_chain(verifier: Verifier) -> None:
    """The worst case of the proposed bounds (largest_end): on chain it gives the tracer's
    post-state, within an L1 block's gas."""
    step = largest_end(devnet_genesis())
    assert on_chain(verifier, step.pre, step.witness) == step.post
    gas = step_gas(verifier, step.pre, step.witness)
    print(f"largest transaction end: {len(step.witness)} bytes, {gas} gas")
    assert gas < 29_000_000
