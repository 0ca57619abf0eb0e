"""Transactions sent straight to a precompile (docs/fault_proofs.md 4.2), against the engine:
no frame runs; the start step moves the value, runs the precompile and goes to the transaction
end with its outcome. Successes with and without value, an input the precompile refuses, and
one with too little gas; every trace ends in the engine's output root and every step
re-verifies."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from ordo.faultproof.machine_state import PHASE_EVM
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import DevChain, rules_of


def _precompile(number: int) -> bytes:
    return number.to_bytes(20, "big")


@pytest.fixture(scope="module")
def chain() -> DevChain:
    c = DevChain()
    c.build([
        c.sign(0, _precompile(4), data=b"identity " * 5, gas=30_000),
        c.sign(1, _precompile(2), value=1, data=b"hash me", gas=30_000),
        c.sign(2, _precompile(1), data=bytes(128), gas=30_000),
        c.sign(3, _precompile(8), data=b"", gas=100_000),
        c.sign(4, _precompile(6), data=b"\x01" * 128, gas=100_000),
        c.sign(5, _precompile(5), value=3, data=bytes(96), gas=21_000 + 96 * 10),
        c.sign(6, _precompile(8), value=2, data=b"", gas=21_100),
    ])
    return c


def test_transactions_to_precompiles(chain: DevChain) -> None:
    statuses = [bytes(r.state_root) for r in chain.blocks[1].receipts]
    assert statuses[:4] == [b"\x01"] * 4
    assert statuses[4] == b""  # bn254 addition refuses points off the curve
    assert statuses[5] == b"\x01"  # modexp, with value
    assert statuses[6] == b""  # the pairing out of gas: the value goes back
    trace = chain.trace(1)
    assert trace.output_root == chain.output_root(1)
    assert keccak(trace.header) == bytes(chain.blocks[1].block.header.hash)
    assert not any(s.phase == PHASE_EVM for s in trace.steps)
    rules = rules_of(chain.genesis)
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1), index
