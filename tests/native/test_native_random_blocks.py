"""Seeded random blocks through both engines: many storage slots set, changed and cleared
across blocks (trie branches split and collapse), transfers to new and emptied accounts,
contract creations that self-destruct, reverts and out-of-gas at random gas, in one chain."""

from __future__ import annotations

import random

import pytest
from eth_account import Account

from ordo.core.genesis import dev_private_keys, devnet_genesis
from ordo.core.transaction import DecodedTransaction
from tests.native.corpus import (
    CREATE_FACTORY,
    LOGGER,
    REVERTER,
    SELFDESTRUCT_TO_CALLER,
    STORE_PAIRS,
    Wallet,
)
from tests.native.twin_chain import TwinChain, require_native

BLOCKS = 5
TXS_PER_BLOCK = 24


def _pairs(rng: random.Random) -> bytes:
    data = b""
    for _ in range(rng.randint(1, 8)):
        slot = rng.choice([rng.randrange(48), rng.randrange(2**256)])
        value = rng.choice([0, 0, 1, rng.randrange(2**256)])
        data += slot.to_bytes(32, "big") + value.to_bytes(32, "big")
    return data


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_blocks_agree(seed: int) -> None:
    require_native()
    rng = random.Random(seed)
    genesis = devnet_genesis()
    chain = TwinChain(genesis)
    wallets = [Wallet(key, genesis.chain_id) for key in dev_private_keys(10)]
    deployer = wallets[0]
    contracts = {}
    setup = []
    for name, code in (("store", STORE_PAIRS), ("creator", CREATE_FACTORY),
                       ("logger", LOGGER), ("reverter", REVERTER)):
        tx, address = deployer.deploy(code)
        contracts[name] = address
        setup.append(tx)
    chain.block(setup)
    strangers = [Wallet(Account.create().key, genesis.chain_id) for _ in range(4)]
    for _ in range(BLOCKS):
        txs: list[DecodedTransaction] = []
        for _ in range(TXS_PER_BLOCK):
            wallet = rng.choice(wallets[1:])
            kind = rng.randrange(6)
            if kind == 0:
                target = rng.choice([w.address for w in wallets + strangers])
                txs.append(wallet.sign(to=target, value=rng.choice([0, 1, 10**15])))
            elif kind == 1:
                txs.append(wallet.sign(to=contracts["store"], data=_pairs(rng),
                                       gas=rng.choice([60_000, 300_000])))
            elif kind == 2:
                txs.append(wallet.sign(to=contracts["creator"], data=SELFDESTRUCT_TO_CALLER,
                                       value=rng.choice([0, 5]), gas=120_000))
            elif kind == 3:
                txs.append(wallet.sign(to=contracts["logger"], data=rng.randbytes(40),
                                       value=rng.choice([0, 3]), gas=rng.choice([25_000, 90_000])))
            elif kind == 4:
                txs.append(wallet.sign(to=contracts["reverter"], gas=30_000))
            else:
                stranger = rng.choice(strangers)
                if stranger.nonce == 0 and rng.random() < 0.5:
                    txs.append(wallet.sign(to=stranger.address, value=10**16))
                else:  # often refused: no funds yet, or already emptied
                    txs.append(stranger.sign(to=wallet.address, value=10**15, advance=False))
        chain.block(txs, watch=contracts.values())
    assert chain.transactions > BLOCKS * TXS_PER_BLOCK // 2
