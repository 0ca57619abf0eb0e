"""Each admission error, with geth's exact wording."""

from __future__ import annotations

import dataclasses

import pytest

from ordo.core.errors import RejectedTransaction
from ordo.core.l1_fee import L1FeeRules, L1Prices, l1_fee
from ordo.core.transaction import DecodedTransaction
from ordo.mempool import AdmissionRejected, Mempool, MempoolConfig
from tests.mempool.mempool_transactions import (
    GWEI,
    RULES,
    Accounts,
    address,
    checksum,
    dynamic,
    legacy,
)


def rejection(pool: Mempool, tx: DecodedTransaction, accounts: Accounts) -> AdmissionRejected:
    with pytest.raises(AdmissionRejected) as caught:
        pool.add(tx, accounts)
    assert isinstance(caught.value, RejectedTransaction)
    assert caught.value.code == -32000
    assert tx.hash not in pool
    return caught.value


def test_valid_transaction_is_admitted_as_executable(pool: Mempool, accounts: Accounts) -> None:
    tx = dynamic(0, 0)
    admitted = pool.add(tx, accounts)
    assert admitted.hash == tx.hash and admitted.executable and admitted.removed == ()
    assert pool.get(tx.hash) == tx and tx.hash in pool and len(pool) == 1
    assert pool.counters == {"admitted": 1}


def test_already_known(pool: Mempool, accounts: Accounts) -> None:
    pool.add(dynamic(0, 0), accounts)
    with pytest.raises(AdmissionRejected) as caught:
        pool.add(dynamic(0, 0), accounts)
    assert caught.value.message == "already known" and caught.value.kind == "already_known"
    assert pool.counters["rejected_already_known"] == 1 and len(pool) == 1


def test_wrong_chain_id(pool: Mempool, accounts: Accounts) -> None:
    assert rejection(pool, dynamic(0, 0, chain_id=1), accounts).message == \
        "invalid chain id for signer"
    assert rejection(pool, legacy(0, 0, chain_id=1), accounts).message == \
        "invalid chain id for signer"


def test_unprotected_legacy_transaction(pool: Mempool, accounts: Accounts) -> None:
    error = rejection(pool, legacy(0, 0, chain_id=None), accounts)
    assert error.message == "only replay-protected (EIP-155) transactions allowed over RPC"


def test_protected_legacy_transaction_is_admitted(pool: Mempool, accounts: Accounts) -> None:
    assert pool.add(legacy(0, 0), accounts).executable


def test_nonce_too_low(pool: Mempool, accounts: Accounts) -> None:
    accounts.nonces[address(0)] = 5
    error = rejection(pool, dynamic(0, 3), accounts)
    assert error.message == f"nonce too low: address {checksum(0)}, tx: 3 state: 5"
    assert error.kind == "nonce_too_low"


def test_nonce_too_far_ahead(pool: Mempool, accounts: Accounts) -> None:
    accounts.nonces[address(0)] = 2
    assert not pool.add(dynamic(0, 65), accounts).executable  # 63 ahead: the last allowed
    error = rejection(pool, dynamic(0, 66), accounts)
    assert error.message == f"nonce too high: address {checksum(0)}, tx: 66 state: 2, max gap: 64"


def test_configurable_nonce_gap(accounts: Accounts) -> None:
    pool = Mempool(RULES, MempoolConfig(max_nonce_gap=2))
    pool.add(dynamic(0, 1), accounts)
    assert rejection(pool, dynamic(0, 2), accounts).kind == "nonce_too_high"


def test_insufficient_funds(pool: Mempool, accounts: Accounts) -> None:
    tx = dynamic(0, 0, fee_cap=2 * GWEI, gas=21_000, value=1)
    want = 21_000 * 2 * GWEI + 1
    accounts.balances[address(0)] = want - 1
    error = rejection(pool, tx, accounts)
    assert error.message == (f"insufficient funds for gas * price + value: address {checksum(0)} "
                             f"have {want - 1} want {want}")
    accounts.balances[address(0)] = want
    pool.add(tx, accounts)


def test_intrinsic_gas_too_low(pool: Mempool, accounts: Accounts) -> None:
    error = rejection(pool, dynamic(0, 0, gas=20_999), accounts)
    assert error.message == "intrinsic gas too low: gas 20999, minimum needed 21000"
    # 4 non-zero bytes of calldata cost 16 gas each.
    error = rejection(pool, dynamic(0, 0, gas=21_000, data=b"\x01\x02\x03\x04"), accounts)
    assert error.message == "intrinsic gas too low: gas 21000, minimum needed 21064"


def test_floor_data_gas(pool: Mempool, accounts: Accounts) -> None:
    # 100 non-zero bytes: intrinsic 22,600 but the EIP-7623 floor is 21,000 + 10 * 400.
    error = rejection(pool, dynamic(0, 0, gas=24_000, data=b"\x01" * 100), accounts)
    assert error.message == ("insufficient gas for floor data gas cost: gas 24000, "
                             "minimum needed 25000")


def test_exceeds_block_gas_limit(pool: Mempool, accounts: Accounts) -> None:
    error = rejection(pool, dynamic(0, 0, gas=30_000_001), accounts)
    assert error.message == "exceeds block gas limit"


def test_fee_cap_below_base_fee_floor(pool: Mempool, accounts: Accounts) -> None:
    error = rejection(pool, dynamic(0, 0, fee_cap=9_999_999, tip=1), accounts)
    assert error.message == (f"max fee per gas less than block base fee: address {checksum(0)}, "
                             f"maxFeePerGas: 9999999, baseFee: 10000000")
    error = rejection(pool, legacy(0, 0, gas_price=9_999_999), accounts)
    assert error.kind == "fee_cap_too_low"


def test_fee_cap_between_floor_and_base_fee_is_admitted_and_waits(
        pool: Mempool, accounts: Accounts) -> None:
    tx = dynamic(0, 0, fee_cap=10_000_000, tip=1)
    assert pool.add(tx, accounts).executable
    assert list(pool.select(base_fee=GWEI)) == []
    assert list(pool.select(base_fee=10_000_000)) == [tx]


def test_tip_above_fee_cap(pool: Mempool, accounts: Accounts) -> None:
    error = rejection(pool, dynamic(0, 0, fee_cap=GWEI, tip=GWEI + 1), accounts)
    assert error.message == (f"max priority fee per gas higher than max fee per gas: address "
                             f"{checksum(0)}, maxPriorityFeePerGas: {GWEI + 1}, "
                             f"maxFeePerGas: {GWEI}")


def test_oversized_data(pool: Mempool, accounts: Accounts) -> None:
    tx = dynamic(0, 0, gas=10_000_000, data=b"\x00" * (128 * 1024))
    error = rejection(pool, tx, accounts)
    assert error.message == f"oversized data: transaction size {len(tx.raw)}, limit 131072"
    assert len(tx.raw) > 131072


def test_initcode_size_limit(pool: Mempool, accounts: Accounts) -> None:
    tx = dynamic(0, 0, gas=10_000_000, data=b"\x00" * 49_153, to=None)
    error = rejection(pool, tx, accounts)
    assert error.message == "max initcode size exceeded: code size 49153, limit 49152"


def test_replacement_needs_ten_percent_on_both_fee_fields(
        pool: Mempool, accounts: Accounts) -> None:
    original = dynamic(0, 0, fee_cap=100 * GWEI, tip=10 * GWEI)
    pool.add(original, accounts)
    for fee_cap, tip in [(109 * GWEI, 11 * GWEI), (110 * GWEI, 10_900_000_000),
                         (109 * GWEI, 10_900_000_000)]:
        error = rejection(pool, dynamic(0, 0, fee_cap=fee_cap, tip=tip), accounts)
        assert error.message == "replacement transaction underpriced"
    assert original.hash in pool
    replacement = dynamic(0, 0, fee_cap=110 * GWEI, tip=11 * GWEI)
    admitted = pool.add(replacement, accounts)
    assert admitted.removed == ((original.hash,
                                 f"replaced by transaction 0x{replacement.hash.hex()}"),)
    assert original.hash not in pool and replacement.hash in pool and len(pool) == 1
    assert pool.counters["replaced"] == 1


def test_legacy_replacement_needs_ten_percent(pool: Mempool, accounts: Accounts) -> None:
    pool.add(legacy(0, 0, gas_price=100 * GWEI), accounts)
    assert rejection(pool, legacy(0, 0, gas_price=109 * GWEI), accounts).kind == \
        "replacement_underpriced"
    pool.add(legacy(0, 0, gas_price=110 * GWEI), accounts)


def test_rejections_are_counted_by_kind(pool: Mempool, accounts: Accounts) -> None:
    for tx in (dynamic(0, 0, gas=1), dynamic(0, 0, gas=2), dynamic(0, 0, chain_id=5)):
        with pytest.raises(AdmissionRejected):
            pool.add(tx, accounts)
    assert pool.counters == {"rejected_intrinsic_gas": 2, "rejected_invalid_chain_id": 1}


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_per_sender: 0 is not allowed"):
        MempoolConfig(max_per_sender=0)
    with pytest.raises(ValueError, match="price_bump_percent"):
        MempoolConfig(price_bump_percent=-1)


def test_a_sender_who_cannot_pay_the_l1_fee_is_refused_naming_it(accounts: Accounts) -> None:
    """docs/state_transition.md 6.4: enough for the L2 gas is not enough; the message names the
    L1 data fee at the head's L1 prices, and the fee follows the prices the node reports."""
    rules = L1FeeRules()
    pool = Mempool(dataclasses.replace(RULES, l1_fee=rules))
    prices = L1Prices(100 * GWEI, 40 * GWEI)
    pool.set_l1_prices(prices)
    tx = dynamic(0, 0, fee_cap=2 * GWEI, gas=60_000, value=1, data=b"\x05" * 600)
    fee = l1_fee(tx.raw, prices, rules)
    assert fee > 0
    l2_cost = 60_000 * 2 * GWEI + 1
    accounts.balances[address(0)] = l2_cost + fee - 1
    error = rejection(pool, tx, accounts)
    assert error.kind == "insufficient_funds"
    assert error.message == (
        f"insufficient funds for gas * price + value + l1 fee: address {checksum(0)} have "
        f"{l2_cost + fee - 1} want {l2_cost + fee} (L1 data fee {fee} wei)")
    pool.set_l1_prices(L1Prices(10 * GWEI, 40 * GWEI))  # cheaper L1: now it fits
    assert pool.add(tx, accounts).executable


def test_pooled_transactions_are_repriced_when_the_l1_prices_change(accounts: Accounts) -> None:
    """The L1 data fee of a pooled transaction follows the head's prices: dearer L1 drops a
    sender who could pay at admission, with the fee at the new prices in the message."""
    rules = L1FeeRules()
    pool = Mempool(dataclasses.replace(RULES, l1_fee=rules))
    cheap, dear = L1Prices(10 * GWEI, 40 * GWEI), L1Prices(100 * GWEI, 40 * GWEI)
    pool.set_l1_prices(cheap)
    tx = dynamic(0, 0, fee_cap=2 * GWEI, gas=60_000, value=1, data=b"\x05" * 600)
    l2_cost = 60_000 * 2 * GWEI + 1
    balance = l2_cost + l1_fee(tx.raw, cheap, rules)
    accounts.balances[address(0)] = balance
    assert pool.add(tx, accounts).executable
    assert pool.on_block([], accounts) == []
    pool.set_l1_prices(dear)
    dear_fee = l1_fee(tx.raw, dear, rules)
    assert pool.on_block([], accounts, block_number=7) == [(tx.hash, (
        f"insufficient funds for gas * price + value + l1 fee: address {checksum(0)} have "
        f"{balance} want {l2_cost + dear_fee} (L1 data fee {dear_fee} wei)"))]
    assert pool.counters["dropped_insufficient_funds"] == 1
