"""The L1 data fee and the fee vault on the py-evm engine (docs/state_transition.md 6.4)."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from ordo.core.genesis import DEV_ACCOUNT_BALANCE, devnet_genesis
from ordo.core.l1_fee import FEE_VAULT_ADDRESS, NO_PRICES, L1FeeRules, L1Prices
from ordo.core.transaction import DecodedTransaction
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.errors import InvalidBlock
from ordo.execution.state_source import MemoryKeyValueStore
from tests.execution.execution_chain import COINBASE, LocalChain, address_of, sign

TIP = 2 * 10**9
GWEI = 10**9
RULES = L1FeeRules()
POOR_KEY = bytes.fromhex("11" * 32)


def formula(raw: bytes, prices: L1Prices) -> int:
    """The rule as docs/state_transition.md 6.4 writes it, byte by byte."""
    l1_gas = sum(4 if byte == 0 else 16 for byte in raw)
    return l1_gas * (16 * 800_000 * prices.base_fee + 4_500_000 * prices.blob_base_fee) \
        // 16_000_000


def build(chain: LocalChain, txs: list[DecodedTransaction], prices: L1Prices):  # type: ignore[no-untyped-def]
    env = BlockEnvironment(coinbase=COINBASE, timestamp=chain.head.timestamp + 1,
                           gas_limit=chain.head.gas_limit, l1_prices=prices)
    result = chain.engine.build_block(chain.head, txs, env)
    chain.store.apply(result.state_writes)
    chain.headers.append(result.executed.block.header)
    return result


@pytest.mark.parametrize("prices", [L1Prices(1 * GWEI, 1), L1Prices(100 * GWEI, 40 * GWEI)])
def test_small_and_calldata_heavy_transactions_pay_the_formula(keys: list[bytes],
                                                               prices: L1Prices) -> None:
    chain = LocalChain(devnet_genesis(l1_fee=RULES))
    chain_id = chain.genesis.chain_id
    base_fee = chain.next_base_fee()
    small = sign(keys[0], chain_id, nonce=0, maxFeePerGas=2 * base_fee + TIP,
                 maxPriorityFeePerGas=TIP, to=address_of(keys[1]), value=5)
    heavy = sign(keys[2], chain_id, nonce=0, maxFeePerGas=2 * base_fee + TIP,
                 maxPriorityFeePerGas=TIP, to=address_of(keys[3]), gas=200_000,
                 data=bytes(range(1, 256)) * 8 + bytes(500))
    result = build(chain, [small, heavy], prices)
    assert result.skipped == ()
    header = result.executed.block.header
    assert bytes(header.parent_beacon_block_root) == prices.word()
    engine = chain.engine
    receipts = result.executed.receipts
    gas = [receipts[0].gas_used, receipts[1].gas_used - receipts[0].gas_used]
    fees = [formula(small.raw, prices), formula(heavy.raw, prices)]
    assert fees[1] > 20 * fees[0] > 0
    assert engine.get_balance(header, address_of(keys[0])) == \
        DEV_ACCOUNT_BALANCE - 5 - gas[0] * (base_fee + TIP) - fees[0]
    assert engine.get_balance(header, address_of(keys[2])) == \
        DEV_ACCOUNT_BALANCE - gas[1] * (base_fee + TIP) - fees[1]
    assert engine.get_balance(header, COINBASE) == sum(gas) * TIP
    assert engine.get_balance(header, FEE_VAULT_ADDRESS) == sum(gas) * base_fee + sum(fees)

    # Re-execution on another node reproduces every balance and the header.
    other = PyEvmEngine(chain.genesis, chain.store)
    executed, _writes = other.execute_block(chain.headers[-2], result.executed.block)
    assert executed.block.header.hash == header.hash


def test_a_sender_who_cannot_pay_the_l1_fee_is_skipped_naming_it(keys: list[bytes]) -> None:
    chain = LocalChain(devnet_genesis(l1_fee=RULES))
    chain_id = chain.genesis.chain_id
    prices = L1Prices(100 * GWEI, 40 * GWEI)
    base_fee = chain.next_base_fee()
    poor = address_of(POOR_KEY)
    max_fee = 2 * base_fee
    data = b"\x01" * 1_000
    # The poor sender's transaction: 21,000 + 16,000 calldata gas.
    tx = sign(POOR_KEY, chain_id, nonce=0, maxFeePerGas=max_fee, maxPriorityFeePerGas=0,
              to=address_of(keys[1]), gas=37_000, data=data)
    gas_cost = 37_000 * max_fee
    fund = sign(keys[0], chain_id, nonce=0, maxFeePerGas=max_fee, maxPriorityFeePerGas=0,
                to=poor, value=gas_cost + formula(tx.raw, prices) - 1)
    result = build(chain, [fund, tx], prices)
    assert len(result.executed.block.transactions) == 1
    ((skipped_hash, reason),) = result.skipped
    assert skipped_hash == tx.hash
    assert f"L1 data fee {formula(tx.raw, prices)} wei" in reason
    assert reason.startswith("insufficient funds for gas * price + value + l1 fee")


def test_a_chain_without_the_l1_fee_keeps_the_word_zero(keys: list[bytes]) -> None:
    chain = LocalChain(devnet_genesis())
    env = BlockEnvironment(coinbase=COINBASE, timestamp=1, gas_limit=chain.head.gas_limit,
                           l1_prices=L1Prices(1, 1))
    with pytest.raises(ValueError, match="no L1 data fee"):
        chain.engine.build_block(chain.head, [], env)
    # A header carrying L1 prices on such a chain is refused on re-execution.
    env = dataclasses.replace(env, l1_prices=NO_PRICES)
    valid = chain.engine.build_block(chain.head, [], env).executed.block
    forged = dataclasses.replace(valid, header=valid.header.copy(
        parent_beacon_block_root=L1Prices(1, 1).word()))
    plain = PyEvmEngine(chain.genesis, MemoryKeyValueStore())
    plain.genesis_block()
    with pytest.raises(InvalidBlock, match="no L1 data fee"):
        plain.execute_block(chain.head, forged)


def test_the_native_engine_agrees_with_the_fee_on(keys: list[bytes],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """revm (native/) charges and credits the same: both engines build the same block, skip the
    same sender with the same message, and each re-executes the other's block."""
    from ordo.execution.native_engine import NativeEngine

    genesis = devnet_genesis(l1_fee=RULES)
    prices = L1Prices(30 * GWEI, 3 * GWEI)
    reference = LocalChain(genesis)
    native = LocalChain(genesis)
    native.engine = NativeEngine(genesis, native.store)
    base_fee = reference.next_base_fee()
    txs = [sign(keys[i], genesis.chain_id, nonce=0, maxFeePerGas=2 * base_fee + TIP,
                maxPriorityFeePerGas=TIP, to=address_of(keys[i + 1]), value=i + 1,
                gas=60_000, data=bytes(i * 100) + b"\x07" * 50) for i in range(3)]
    poor = sign(POOR_KEY, genesis.chain_id, nonce=0, maxFeePerGas=base_fee,
                maxPriorityFeePerGas=0, to=address_of(keys[1]), gas=30_000, data=b"\x01" * 500)
    fund = sign(keys[5], genesis.chain_id, nonce=0, maxFeePerGas=base_fee, maxPriorityFeePerGas=0,
                to=address_of(POOR_KEY), value=30_000 * base_fee + formula(poor.raw, prices) - 1)
    with caplog.at_level(logging.INFO, logger="ordo.execution.native_engine"):
        results = [build(chain, [*txs, fund, poor], prices) for chain in (reference, native)]
    assert "runs on py-evm" not in caplog.text, "the native engine ran the block itself"
    built = [result.executed.block for result in results]
    assert built[0].header.hash == built[1].header.hash
    assert results[0].skipped == results[1].skipped
    assert "L1 data fee" in results[1].skipped[0][1]
    assert native.engine.get_balance(built[1].header, FEE_VAULT_ADDRESS) > 0
    parent = reference.headers[-2]
    assert native.engine.execute_block(parent, built[0])[0].block.header.hash == \
        built[0].header.hash


def test_the_gas_price_oracle_answers_as_op_s(keys: list[bytes]) -> None:
    """The GasPriceOracle predeploy (compiled by the pinned Vyper, shipped as hex) reads the
    prices and scalars block start wrote: getL1Fee of an unsigned transaction plus OP's 68
    signature bytes is the engine's formula on those bytes."""
    from eth_abi import decode, encode

    from ordo.core.call import CallRequest
    from ordo.core.predeploys import GAS_PRICE_ORACLE_ADDRESS, gas_price_oracle_code
    from ordo.l1.compiler import compile_contract
    from tests.execution.execution_chain import selector

    assert gas_price_oracle_code() == compile_contract("GasPriceOracle").runtime_bytecode
    chain = LocalChain(devnet_genesis(l1_fee=RULES))
    prices = L1Prices(12 * GWEI, 7 * GWEI)
    build(chain, [], prices)
    head = chain.head

    def call(signature: str, types: list[str] = (), values: list[object] = ()) -> int:  # type: ignore[assignment]
        data = selector(signature) + encode(list(types), list(values))
        out = chain.engine.call(head, CallRequest(to=GAS_PRICE_ORACLE_ADDRESS, data=data))
        return int(decode(["uint256"], out)[0])

    assert call("l1BaseFee()") == prices.base_fee
    assert call("blobBaseFee()") == prices.blob_base_fee
    assert (call("baseFeeScalar()"), call("blobBaseFeeScalar()")) == (800_000, 4_500_000)
    assert call("decimals()") == 6
    unsigned = bytes(range(256)) * 3 + bytes(100)
    with_signature = unsigned + b"\xff" * 68
    assert call("getL1GasUsed(bytes)", ["bytes"], [unsigned]) == \
        sum(4 if b == 0 else 16 for b in with_signature)
    assert call("getL1Fee(bytes)", ["bytes"], [unsigned]) == formula(with_signature, prices)
    with pytest.raises(ValueError, match="GasPriceOracle"):
        dataclasses.replace(chain.genesis, alloc={})
