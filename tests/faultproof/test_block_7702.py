"""EIP-7702 through the step machine (docs/fault_proofs.md 4.2), against the engine: a type-4
transaction's authorizations are one sub-step each (valid ones for an existing and a new
authority, the sender itself, one for any chain, one with a stale nonce, one for another
chain), its call runs the delegate's code at the authority; a later ordinary transaction calls a
delegated account; a later authorization to the zero address clears a delegation. Every trace
ends in the engine's output root and every step re-verifies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from ordo.core.genesis import GenesisAccount, devnet_genesis
from ordo.faultproof.machine_state import PHASE_EVM, PHASE_TX_START
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import DevChain, rules_of

DELEGATE = bytes.fromhex("de1e" * 10)
DELEGATE_CODE = bytes.fromhex("3360005530600155" "00")
"""sstore(0, caller); sstore(1, address); stop: run at an authority, it writes there."""
NEW_AUTHORITY_KEY = "0x" + "42" * 32


def _auth(chain: DevChain, key: Any, nonce: int, chain_id: int | None = None,
          address: bytes = DELEGATE) -> Any:
    return Account.sign_authorization(
        {"chainId": chain.genesis.chain_id if chain_id is None else chain_id,
         "address": address, "nonce": nonce}, key)


def delegating_chain() -> DevChain:
    """Block 1: a type-4 transaction with five authorizations calling a freshly delegated
    account; block 2: an ordinary call to it; block 3: a delegation cleared (also the on-chain
    verifier's corpus, tests/l1_step/test_step_tx_start.py)."""
    genesis = devnet_genesis()
    c = DevChain(genesis=replace(genesis, alloc={**genesis.alloc,
                                                 DELEGATE: GenesisAccount(code=DELEGATE_CODE)}))
    authorizations = [
        _auth(c, c.keys[1], 0),                       # an existing account: refunded
        _auth(c, NEW_AUTHORITY_KEY, 0, chain_id=0),   # a new account, for any chain
        _auth(c, c.keys[0], 1),                       # the sender, after its own nonce
        _auth(c, c.keys[3], 7),                       # a stale nonce: warmed, skipped
        _auth(c, c.keys[4], 0, chain_id=5),           # another chain: skipped
    ]
    c.build([c.sign(0, c.address(1), data=b"\x01\x02", gas=300_000, tx_type=4,
                    authorizationList=authorizations)])
    c.build([c.sign(2, c.address(1), value=3, gas=100_000)])
    c.build([c.sign(5, c.address(6), gas=100_000, tx_type=4,
                    authorizationList=[_auth(c, c.keys[1], 1, address=bytes(20))])])
    return c


@pytest.fixture(scope="module")
def chain() -> DevChain:
    return delegating_chain()


def _check(chain: DevChain, number: int) -> None:
    trace = chain.trace(number)
    assert trace.output_root == chain.output_root(number)
    assert keccak(trace.header) == bytes(chain.blocks[number].block.header.hash)
    rules = rules_of(chain.genesis)
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1), index


def test_authorizations_one_sub_step_each(chain: DevChain) -> None:
    header = chain.blocks[1].block.header
    authority = chain.address(1)
    assert chain.engine.get_code(header, authority) == b"\xef\x01\x00" + DELEGATE
    assert chain.engine.get_storage_at(header, authority, 0) == int.from_bytes(
        chain.address(0), "big")
    new = bytes.fromhex(Account.from_key(NEW_AUTHORITY_KEY).address[2:])
    assert chain.engine.get_nonce(header, new) == 1
    _check(chain, 1)
    trace = chain.trace(1)
    starts = [s for s in trace.steps if s.phase == PHASE_TX_START]
    assert len(starts) == 1 + 5 + 1  # checks, five authorizations, the frame
    assert sum(s.phase == PHASE_EVM for s in trace.steps) == 7  # the delegate code


def test_a_call_to_a_delegated_account(chain: DevChain) -> None:
    _check(chain, 2)


def test_a_delegation_cleared(chain: DevChain) -> None:
    assert chain.engine.get_code(chain.blocks[3].block.header, chain.address(1)) == b""
    _check(chain, 3)


def test_flipped_bytes_of_the_authorization_steps_are_refused(chain: DevChain) -> None:
    from ordo.faultproof.step import InvalidWitness

    trace = chain.trace(1)
    rules = rules_of(chain.genesis)
    for step in trace.steps:
        if step.phase != PHASE_TX_START:
            continue
        for position in range(0, len(step.witness), max(1, len(step.witness) // 29)):
            tampered = bytearray(step.witness)
            tampered[position] ^= 0x04
            with pytest.raises(InvalidWitness):
                verify_step(step.pre, bytes(tampered), rules)
