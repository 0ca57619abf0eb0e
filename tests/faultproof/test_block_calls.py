"""Blocks of contract-to-contract calls through the step machine (docs/fault_proofs.md 3.8),
against the engine: an ERC-20 style token called by a forwarder contract (CALL with the
token's event, STATICCALL of a balance, a transfer whose overdraft reverts in the child and is
caught, one that reverts the whole transaction, value passed on to a fresh account). The block
traces to exactly the engine's output root and every step re-verifies from its witness alone."""

from __future__ import annotations

from dataclasses import replace

import pytest
import rlp
from eth_abi import encode
from eth_hash.auto import keccak

from ordo.faultproof.machine_state import PHASE_EVM, Frame
from ordo.faultproof.step import InvalidWitness
from ordo.faultproof.verify import verify_step
from ordo.faultproof.witness_codec import decode_witness, encode_witness
from tests.faultproof.block_chain import DevChain, init_code, rules_of
from tests.faultproof.test_vyper_contracts import calldata


@pytest.fixture(scope="module")
def chain() -> DevChain:
    c = DevChain()
    token = c.contract_address(0, 0)
    forwarder = c.contract_address(1, 0)
    factory = c.contract_address(6, 0)
    c.build([
        c.sign(0, None, data=init_code("Token") + encode(["uint256"], [10**6]), gas=1_000_000),
        c.sign(1, None, data=init_code("Forwarder"), gas=1_000_000),
        c.sign(6, None, data=init_code("Factory"), gas=1_000_000),
    ])
    receiver = bytes.fromhex("5e" * 20)
    fresh = bytes.fromhex("5f" * 20)
    transfer = calldata("transfer(address,uint256)", ["address", "uint256"], [forwarder, 5000])
    forward = calldata("forward(address,address,uint256)", ["address", "address", "uint256"],
                    [token, receiver, 70])
    try_forward = calldata("try_forward(address,address,uint256)",
                        ["address", "address", "uint256"], [token, receiver, 10**9])
    overdraft = calldata("forward(address,address,uint256)", ["address", "address", "uint256"],
                      [token, receiver, 10**9])
    pay = calldata("pay(address)", ["address"], [fresh])
    c.build([
        c.sign(0, token, data=transfer, gas=200_000),
        c.sign(2, forwarder, data=forward, gas=300_000),
        c.sign(3, forwarder, data=try_forward, gas=300_000),
        c.sign(4, forwarder, data=overdraft, gas=300_000),
        c.sign(5, forwarder, data=pay, gas=200_000, value=12345),
    ])
    make = calldata("make(address)", ["address"], [token])
    make2 = calldata("make2(address,bytes32)", ["address", "bytes32"], [token, b"\x05" * 32])
    proxy = keccak(rlp.encode([factory, 1]))[12:]
    through_proxy = calldata("transfer(address,uint256)", ["address", "uint256"],
                             [receiver, 0])
    c.build([
        c.sign(6, factory, data=make, gas=300_000),
        c.sign(7, factory, data=make2, gas=300_000),
        c.sign(8, factory, data=make2, gas=300_000),  # the same salt: a collision, reverted
        c.sign(9, proxy, data=through_proxy, gas=300_000),
    ])
    return c


def test_contract_calls_trace_to_the_engine_root(chain: DevChain) -> None:
    statuses = [bytes(r.state_root) for r in chain.blocks[2].receipts]
    assert statuses == [b"\x01", b"\x01", b"\x01", b"", b"\x01"]
    trace = chain.trace(2)
    assert trace.output_root == chain.output_root(2)
    rules = rules_of(chain.genesis)
    depths = set()
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1), index
    for step in trace.steps:
        if step.phase == PHASE_EVM:
            frame = decode_witness(step.witness)[0].frame
            assert isinstance(frame, Frame)
            depths.add(frame.depth)
    assert depths == {0, 1}


def test_contract_creations_trace_to_the_engine_root(chain: DevChain) -> None:
    statuses = [bytes(r.state_root) for r in chain.blocks[3].receipts]
    assert statuses == [b"\x01", b"\x01", b"", b"\x01"]
    trace = chain.trace(3)
    assert trace.output_root == chain.output_root(3)
    rules = rules_of(chain.genesis)
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1), index
    opcodes = {decode_witness(s.witness)[1].code.cell[decode_witness(s.witness)[0].frame.pc % 32]
               for s in trace.steps if s.phase == PHASE_EVM}
    assert {0xF0, 0xF5, 0xF4} <= opcodes


def test_a_tampered_return_is_refused(chain: DevChain) -> None:
    trace = chain.trace(2)
    returns = 0
    for step in trace.steps:
        if step.phase != PHASE_EVM:
            continue
        state, proofs = decode_witness(step.witness)
        if state.frame.depth == 0 or (proofs.parent.depth == 0 and not proofs.parent.gas):
            continue
        returns += 1
        tampered = replace(proofs, parent=replace(proofs.parent, pc=proofs.parent.pc + 1))
        with pytest.raises(InvalidWitness, match="parent frame"):
            verify_step(step.pre, encode_witness(state, tampered))
    assert returns >= 4
