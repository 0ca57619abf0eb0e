"""A chain with the L1 data fee built by the py-evm engine (state_transition.md 6.4), shared by
the Python step machine's tests (test_block_l1_fee.py) and the on-chain verifier's
(tests/l1_step/test_step_l1_fee.py): three blocks at two L1 price levels and at zero prices;
and a fee block of transactions that start in more than one step (build_started_fee_block)."""

from __future__ import annotations

from dataclasses import replace

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.core.forced_item import ForcedItem
from ordo.core.genesis import Genesis, GenesisAccount, GenesisL1, devnet_genesis
from ordo.core.l1_fee import NO_PRICES, L1FeeRules, L1Prices
from ordo.core.transaction import decode_transaction
from ordo.execution.engine import BlockEnvironment
from tests.faultproof.block_chain import BUILDER, MAX_FEE, DevChain, ledger_init_code
from tests.faultproof.test_block_7702 import DELEGATE, DELEGATE_CODE, NEW_AUTHORITY_KEY
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


SHA256 = (2).to_bytes(20, "big")


def long_list(count: int) -> list[dict[str, object]]:
    """``count`` access-list addresses without keys: past 35 warm keys a start leaves the rest
    to warm-key sub-steps."""
    return [{"address": "0x" + bytes([i + 1]).rjust(20, b"\xbb").hex(), "storageKeys": []}
            for i in range(count)]


def started_fee_genesis(l1: GenesisL1 | None = None) -> Genesis:
    """The fee devnet's genesis (``l1``: anchored to it) with DELEGATE's code allocated."""
    genesis = devnet_genesis(l1=l1, l1_fee=FEE_RULES)
    return replace(genesis, alloc={**genesis.alloc, DELEGATE: GenesisAccount(code=DELEGATE_CODE)})


def build_started_fee_block(c: DevChain, prices: L1Prices = DEAR,
                            forced: tuple[ForcedItem, ...] = (), extra_data: bytes = BUILDER,
                            mix_hash: bytes = bytes(32)) -> None:
    """A fee block (``forced`` items first) whose transactions start in more than one step: a
    call, a creation and a sha256 run each with 36 access-list addresses (one warm-key
    sub-step, then the frame, the creation or the precompile run opened after the started
    state), and an EIP-7702 call with two authorizations (one sub-step each) to an account it
    delegates to DELEGATE (the frame runs DELEGATE's code). Senders 2-5; key 1 authorizes."""
    data = b"\x01\x02" + bytes(62)
    sha_gas = 21_000 + 36 * 2_400 + 2 * 16 + 62 * 4 + 5_000
    authorizations = [
        Account.sign_authorization({"chainId": c.genesis.chain_id, "address": DELEGATE,
                                    "nonce": 0}, c.keys[1]),
        Account.sign_authorization({"chainId": 0, "address": DELEGATE, "nonce": 0},
                                   NEW_AUTHORITY_KEY)]
    c.build([c.sign(2, c.address(7), value=5, data=data, gas=200_000, accessList=long_list(36)),
             c.sign(3, None, value=5, data=ledger_init_code(), gas=3_000_000,
                    accessList=long_list(36)),
             c.sign(4, SHA256, value=9, data=data, gas=sha_gas, accessList=long_list(36)),
             c.sign(5, c.address(1), data=data, gas=300_000, tx_type=4,
                    authorizationList=authorizations)],
            forced=forced, extra_data=extra_data, mix_hash=mix_hash, l1_prices=prices)
