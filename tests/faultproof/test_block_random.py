"""Seeded random blocks against the engine (docs/fault_proofs.md 4): transfers to new, empty,
coinbase and precompile addresses, Vyper ledger calls with random amounts and gas (some run out),
legacy, 2930 and 1559 transactions with random tips and access lists, small creations; every
block's trace ends in the engine's output root and every step re-verifies."""

from __future__ import annotations

import random

import pytest

from ordo.core.transaction import DecodedTransaction
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import COINBASE, DevChain, ledger_init_code, rules_of
from tests.faultproof.test_vyper_contracts import calldata

SIGNERS = 10


def _transaction(rng: random.Random, chain: DevChain, ledger: bytes) -> DecodedTransaction:
    signer = rng.randrange(SIGNERS)
    kind = rng.choice(["transfer", "deposit", "withdraw", "create", "precompile"])
    tx_type = rng.choice([0, 1, 2, 2])
    extra = {}
    if tx_type == 2:
        extra["tip"] = rng.choice([0, 1, 10**9])
    if tx_type and rng.random() < 0.3:
        extra["accessList"] = [{"address": "0x" + ledger.hex(),
                                "storageKeys": ["0x" + bytes([rng.randrange(4)]).rjust(32, b"\0")
                                                .hex()]}]
    base = 21_000 + (2_400 + 1_900 if "accessList" in extra else 0)
    if kind == "transfer":
        to = rng.choice([chain.address(rng.randrange(SIGNERS)), bytes([rng.randrange(256)]) * 20,
                         COINBASE, ledger])
        gas = base + (60_000 if to == ledger else 0)
        return chain.sign(signer, to, value=rng.choice([0, 1, 10**15]), gas=gas,
                          tx_type=tx_type, **extra)
    if kind in ("deposit", "withdraw"):
        signature = f"{kind}(uint256)"
        data = calldata(signature, ["uint256"], [rng.randrange(4)])
        gas = base + rng.choice([800, 30_000, 120_000])
        return chain.sign(signer, ledger, data=data, gas=gas, tx_type=tx_type, **extra)
    if kind == "create":
        code = bytes.fromhex(rng.choice(["60016000f3", "60006000fd", "600a6000f3"]))
        return chain.sign(signer, None, data=code, gas=base + 60_000, tx_type=tx_type,
                          value=rng.choice([0, 7]), **extra)
    target = rng.choice([2, 3, 4]).to_bytes(20, "big")
    return chain.sign(signer, target, data=rng.randbytes(rng.randrange(70)), gas=base + 3_000,
                      tx_type=tx_type, **extra)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_blocks(seed: int) -> None:
    rng = random.Random(seed)
    chain = DevChain()
    chain.build([chain.sign(0, None, data=ledger_init_code(), gas=2_000_000)])
    ledger = chain.contract_address(0, 0)
    rules = rules_of(chain.genesis)
    for number in range(2, 5):
        chain.build([_transaction(rng, chain, ledger) for _ in range(rng.randrange(4, 12))],
                    coinbase=rng.choice([COINBASE, bytes(20), chain.address(3)]))
        trace = chain.trace(number)
        assert trace.output_root == chain.output_root(number), number
        for index in range(len(trace)):
            assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
                trace.commitment(index + 1), (number, index)
