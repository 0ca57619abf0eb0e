from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from eth_account import Account

from ordo.core.genesis import Genesis
from ordo.core.transaction import DecodedTransaction
from ordo.execution.engine import SENDER_ALREADY_SKIPPED
from tests.execution.execution_chain import LocalChain, address_of, sign

GWEI = 10**9


def test_nonce_gap_skips_and_blocks_later_nonces(chain: LocalChain, keys: list[bytes]) -> None:
    chain_id, price = chain.genesis.chain_id, chain.next_base_fee() + GWEI
    to = address_of(keys[9])
    gap = sign(keys[0], chain_id, nonce=1, gasPrice=price, to=to)
    after_gap = sign(keys[0], chain_id, nonce=2, gasPrice=price, to=to)
    fine = sign(keys[1], chain_id, nonce=0, gasPrice=price, to=to)
    result = chain.build([gap, after_gap, fine])
    assert result.executed.block.transactions == (fine.tx,)
    reasons = dict(result.skipped)
    assert reasons[gap.hash].startswith("nonce too high: address 0x")
    assert "tx: 1 state: 0" in reasons[gap.hash]
    assert reasons[after_gap.hash] == SENDER_ALREADY_SKIPPED


def test_sender_cascade_applies_even_if_later_nonce_would_fit(
    chain: LocalChain, keys: list[bytes]
) -> None:
    """Once a sender's transaction is skipped, its later ones in the same block are too, even
    one that would be valid by itself (the mempool re-offers them next block)."""
    chain_id, base = chain.genesis.chain_id, chain.next_base_fee()
    to = address_of(keys[9])
    too_cheap = sign(keys[0], chain_id, nonce=0, gasPrice=base - 1, to=to)
    duplicate_nonce = sign(keys[0], chain_id, nonce=0, gasPrice=base + GWEI, to=to, value=5)
    result = chain.build([too_cheap, duplicate_nonce])
    assert result.executed.block.transactions == ()
    reasons = dict(result.skipped)
    assert reasons[too_cheap.hash].startswith("max fee per gas less than block base fee")
    assert reasons[duplicate_nonce.hash] == SENDER_ALREADY_SKIPPED


def test_insufficient_funds(genesis: Genesis, keys: list[bytes]) -> None:
    chain = LocalChain(genesis)
    poor_key = Account.create().key
    price = chain.next_base_fee() + GWEI
    payer = sign(keys[0], genesis.chain_id, nonce=0, gasPrice=price,
                 to=address_of(bytes(poor_key)), value=21_000 * price)  # gas only, no value
    chain.build([payer])
    spender = sign(bytes(poor_key), genesis.chain_id, nonce=0, gasPrice=price,
                   to=address_of(keys[1]), value=1)
    result = chain.build([spender])
    assert result.executed.block.transactions == ()
    ((skipped_hash, reason),) = result.skipped
    assert skipped_hash == spender.hash
    assert reason.startswith("insufficient funds for gas * price + value: address 0x")
    assert f"want {21_000 * price + 1}" in reason


def test_duplicate_transaction_is_nonce_too_low(chain: LocalChain, keys: list[bytes]) -> None:
    tx = sign(keys[0], chain.genesis.chain_id, nonce=0, gasPrice=chain.next_base_fee() + GWEI,
              to=address_of(keys[1]))
    assert chain.build([tx]).skipped == ()
    replay = chain.build([tx])
    assert replay.executed.block.transactions == ()
    assert replay.skipped[0][1].startswith("nonce too low")


def test_wrong_chain_id_and_intrinsic_gas(chain: LocalChain, keys: list[bytes]) -> None:
    price = chain.next_base_fee() + GWEI
    other_chain = sign(keys[0], 1, nonce=0, gasPrice=price, to=address_of(keys[1]))
    starved = sign(keys[1], chain.genesis.chain_id, nonce=0, gasPrice=price,
                   to=address_of(keys[2]), gas=21_000, data=b"\x01" * 10)
    reasons = dict(chain.build([other_chain, starved]).skipped)
    assert reasons[other_chain.hash] == (
        f"invalid chain id for signer: have 1 want {chain.genesis.chain_id}"
    )
    assert reasons[starved.hash] == "intrinsic gas too low: have 21000, want 21160"


def test_gas_limit_reached_then_stop_reading(genesis: Genesis, keys: list[bytes]) -> None:
    """With 50,000 gas: a transfer (21,000 used), one asking 30,000 more than is left (skipped),
    a second transfer (21,000, leaving 8,000), and then the engine stops reading candidates."""
    chain = LocalChain(replace(genesis, gas_limit=50_000))
    price = chain.next_base_fee() + GWEI
    to = address_of(keys[9])
    first = sign(keys[0], genesis.chain_id, nonce=0, gasPrice=price, to=to)
    too_big = sign(keys[1], genesis.chain_id, nonce=0, gasPrice=price, to=to, gas=30_000)
    second = sign(keys[2], genesis.chain_id, nonce=0, gasPrice=price, to=to)
    never_read = sign(keys[3], genesis.chain_id, nonce=0, gasPrice=price, to=to)
    read: list[bytes] = []

    def candidates() -> Iterator[DecodedTransaction]:
        for tx in (first, too_big, second, never_read):
            read.append(tx.hash)
            yield tx

    result = chain.build(candidates())
    assert result.executed.block.transactions == (first.tx, second.tx)
    ((skipped_hash, reason),) = result.skipped
    assert skipped_hash == too_big.hash
    assert reason == "gas limit reached: tx gas 30000, block gas remaining 29000"
    assert result.executed.block.header.gas_used == 42_000
    assert read == [first.hash, too_big.hash, second.hash]
