"""Creation transactions through the step machine (docs/fault_proofs.md 4.2, 4.3), against
the engine: a creation with value whose init code returns a one-byte code, init code that
reverts, code the deposit refuses (EIP-3541's 0xef, too little gas for 200 a byte), and an
address that collides with an account that has a nonce. Every trace ends in the engine's
output root and every step re-verifies."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_hash.auto import keccak

from ordo.core.genesis import GenesisAccount, devnet_genesis
from ordo.faultproof.machine_state import PHASE_EVM
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import DevChain, rules_of

RETURNS_STOP = bytes.fromhex("60016000f3")
"""return(0, 1): the code is one zero byte (STOP)."""
REVERTS = bytes.fromhex("60006000fd")
RETURNS_EF = bytes.fromhex("60ef60005360016000f3")
"""mstore8(0, 0xef); return(0, 1): refused by EIP-3541."""
RETURNS_1000 = bytes.fromhex("6103e86000f3")
"""return(0, 1000): 200,000 gas of deposit."""


@pytest.fixture(scope="module")
def chain() -> DevChain:
    genesis = devnet_genesis()
    probe = DevChain()
    taken = probe.contract_address(5, 0)  # signer 5's first creation lands on an account
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
    return c


def test_creations_against_the_engine(chain: DevChain) -> None:
    statuses = [bytes(r.state_root) for r in chain.blocks[1].receipts]
    assert statuses == [b"\x01", b"", b"", b"", b"\x01", b""]
    header = chain.blocks[1].block.header
    assert chain.engine.get_code(header, chain.contract_address(0, 0)) == b"\x00"
    assert chain.engine.get_balance(header, chain.contract_address(0, 0)) == 5
    assert chain.engine.get_code(header, chain.contract_address(4, 0)) == bytes(1000)
    assert chain.engine.get_code(header, chain.contract_address(2, 0)) == b""
    trace = chain.trace(1)
    assert trace.output_root == chain.output_root(1)
    assert keccak(trace.header) == bytes(header.hash)
    rules = rules_of(chain.genesis)
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1), index
    assert sum(s.phase == PHASE_EVM for s in trace.steps) > 5 * 3


def test_flipped_bytes_of_creation_ends_are_refused(chain: DevChain) -> None:
    from ordo.faultproof.machine_state import PHASE_TX_END
    from ordo.faultproof.step import InvalidWitness

    trace = chain.trace(1)
    rules = rules_of(chain.genesis)
    for step in trace.steps:
        if step.phase != PHASE_TX_END:
            continue
        for position in range(0, len(step.witness), max(1, len(step.witness) // 19)):
            tampered = bytearray(step.witness)
            tampered[position] ^= 0x10
            with pytest.raises(InvalidWitness):
                verify_step(step.pre, bytes(tampered), rules)
