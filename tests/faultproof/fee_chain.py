"""A chain with the L1 data fee built by the py-evm engine (state_transition.md 6.4), shared by
the Python step machine's tests (test_block_l1_fee.py) and the on-chain verifier's
(tests/l1_step/test_step_l1_fee.py): three blocks at two L1 price levels and at zero prices."""

from __future__ import annotations

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.core.genesis import devnet_genesis
from ordo.core.l1_fee import NO_PRICES, L1FeeRules, L1Prices
from ordo.core.transaction import decode_transaction
from ordo.execution.engine import BlockEnvironment
from tests.faultproof.block_chain import MAX_FEE, DevChain, ledger_init_code
from tests.faultproof.test_vyper_contracts import calldata

GWEI = 10**9
FEE_RULES = L1FeeRules()
CHEAP = L1Prices(1 * GWEI, 1)
DEAR = L1Prices(100 * GWEI, 40 * GWEI)
POOR = Account.from_key(bytes.fromhex("11" * 32))
POOR_FUNDS = 21_000 * MAX_FEE + 10**13
"""Covers gas at the fee cap and the L1 fee at CHEAP prices, not the L1 fee at DEAR ones."""
HEAVY_DATA = bytes(range(1, 256)) * 8 + bytes(500)


def fee_chain() -> DevChain:
    """Block 1 at CHEAP prices: a small transfer, a calldata-heavy one, the Vyper ledger's
    creation, the poor account funded. Block 2 at DEAR prices: the same kinds, a ledger call,
    and the poor account's transfer, which the builder skips for the L1 fee. Block 3 at zero
    prices (the inputs keep eight words; the vault still gets the base fee)."""
    c = DevChain(genesis=devnet_genesis(l1_fee=FEE_RULES))
    poor = bytes.fromhex(POOR.address[2:])
    c.build([c.sign(0, c.address(1), value=5),
             c.sign(1, c.address(2), data=HEAVY_DATA, gas=200_000),
             c.sign(2, None, data=ledger_init_code(), gas=2_000_000),
             c.sign(3, poor, value=POOR_FUNDS)], l1_prices=CHEAP)
    ledger = c.contract_address(2, 0)
    skipped = Account.sign_transaction(
        {"chainId": c.genesis.chain_id, "nonce": 0, "gas": 21_000, "value": 0,
         "to": to_checksum_address(c.address(4)), "maxFeePerGas": MAX_FEE,
         "maxPriorityFeePerGas": 10**9, "type": 2, "data": "0x"}, POOR.key)
    txs = [c.sign(4, c.address(5), value=7),
           c.sign(5, c.address(6), data=HEAVY_DATA, gas=200_000),
           c.sign(6, ledger, data=calldata("deposit(uint256)", ["uint256"], [5]), gas=200_000),
           decode_transaction(bytes(skipped.raw_transaction))]
    parent = c.blocks[-1].block.header
    env = BlockEnvironment(coinbase=c.blocks[1].block.header.coinbase,
                           timestamp=int(parent.timestamp) + 2,
                           gas_limit=int(parent.gas_limit),
                           extra_data=bytes(c.blocks[1].block.header.extra_data),
                           l1_prices=DEAR)
    result = c.engine.build_block(parent, txs, env)
    assert len(result.skipped) == 1 and "l1 fee" in str(result.skipped[0])
    c.store.apply(result.state_writes)
    c.blocks.append(result.executed)
    c.build([c.sign(7, c.address(8), value=9)], l1_prices=NO_PRICES)
    return c
