"""execute_block: what a validator does with a block proposed by someone else."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordo.core.block import Block
from ordo.core.genesis import Genesis
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.errors import InvalidBlock
from ordo.execution.state_source import MemoryKeyValueStore
from tests.execution.execution_chain import LocalChain, address_of, sign

GWEI = 10**9


@pytest.fixture
def proposal(genesis: Genesis, keys: list[bytes]) -> tuple[LocalChain, Block]:
    producer = LocalChain(genesis)
    price = producer.next_base_fee() + GWEI
    txs = [sign(key, genesis.chain_id, nonce=0, gasPrice=price, to=address_of(keys[9]), value=7)
           for key in keys[:3]]
    return producer, producer.build(txs).executed.block


def validator(genesis: Genesis) -> tuple[PyEvmEngine, MemoryKeyValueStore]:
    store = MemoryKeyValueStore()
    engine = PyEvmEngine(genesis, store)
    store.apply(engine.genesis_block()[1])
    return engine, store


def test_accepts_built_block_and_gives_same_receipts(
    genesis: Genesis, proposal: tuple[LocalChain, Block], keys: list[bytes]
) -> None:
    producer, block = proposal
    engine, store = validator(genesis)
    executed, writes = engine.execute_block(producer.headers[0], block)
    assert executed.block is block
    assert [r.gas_used for r in executed.receipts] == [21_000, 42_000, 63_000]
    store.apply(writes)
    recipient = address_of(keys[9])
    assert engine.get_balance(block.header, recipient) == (
        producer.engine.get_balance(block.header, recipient)
    )
    # the validator writes exactly the state the producer wrote for this block
    assert writes and all(producer.store.get(key) == value for key, value in writes.items())
    assert engine.get_nonce(block.header, block.senders[0]) == 1


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("state_root", b"\x12" * 32, "state_root mismatch"),
        ("receipt_root", b"\x12" * 32, "receipt_root mismatch"),
        ("gas_used", 1, "gas_used mismatch"),
        ("bloom", 1, "bloom mismatch"),
        ("base_fee_per_gas", 123, "base_fee_per_gas mismatch"),
        ("transaction_root", b"\x12" * 32, "transaction_root mismatch"),
        ("parent_hash", b"\x12" * 32, "parent_hash mismatch"),
        ("block_number", 5, "block_number mismatch"),
        ("requests_hash", b"\x12" * 32, "requests_hash mismatch"),
        ("extra_data", b"x" * 33, "extra data is 33 bytes"),
    ],
)
def test_rejects_tampered_header(
    genesis: Genesis,
    proposal: tuple[LocalChain, Block],
    field: str,
    value: object,
    reason: str,
) -> None:
    producer, block = proposal
    tampered = replace(block, header=block.header.copy(**{field: value}))
    engine, _ = validator(genesis)
    with pytest.raises(InvalidBlock, match=reason):
        engine.execute_block(producer.headers[0], tampered)


def test_rejects_wrong_sender_and_missing_transaction(
    genesis: Genesis, proposal: tuple[LocalChain, Block]
) -> None:
    producer, block = proposal
    engine, _ = validator(genesis)
    forged = replace(block, senders=(block.senders[1], *block.senders[1:]))
    with pytest.raises(InvalidBlock, match="does not match signature"):
        engine.execute_block(producer.headers[0], forged)
    dropped = replace(block, transactions=block.transactions[1:], senders=block.senders[1:])
    with pytest.raises(InvalidBlock, match="transaction_root mismatch"):
        engine.execute_block(producer.headers[0], dropped)
    uneven = replace(block, senders=block.senders[1:])
    with pytest.raises(InvalidBlock, match="3 transactions but 2 senders"):
        engine.execute_block(producer.headers[0], uneven)


def test_rejects_invalid_transaction_even_with_consistent_roots(
    genesis: Genesis, keys: list[bytes]
) -> None:
    """A proposer that includes a transaction with a nonce gap is caught by re-execution."""
    producer = LocalChain(genesis)
    bad = sign(keys[0], genesis.chain_id, nonce=3, gasPrice=producer.next_base_fee() + GWEI,
               to=address_of(keys[1]))
    empty = producer.build(()).executed.block
    from ordo.execution.block_assembly import transactions_root

    smuggled = Block(
        header=empty.header.copy(transaction_root=transactions_root([bad.tx])),
        transactions=(bad.tx,),
        senders=(bad.sender,),
    )
    engine, _ = validator(genesis)
    with pytest.raises(InvalidBlock, match=r"transaction 0 \(0x[0-9a-f]{64}\): nonce too high"):
        engine.execute_block(producer.headers[0], smuggled)


def test_timestamps_may_repeat_but_not_decrease(genesis: Genesis) -> None:
    producer = LocalChain(genesis)
    first = producer.build((), timestamp=100).executed.block
    second = producer.build((), timestamp=100).executed.block
    engine, store = validator(genesis)
    _executed, writes = engine.execute_block(producer.headers[0], first)
    store.apply(writes)
    engine.execute_block(first.header, second)  # equal timestamps are fine

    going_back = replace(second, header=second.header.copy(timestamp=99))
    with pytest.raises(InvalidBlock, match="timestamp 99 is before parent timestamp 100"):
        engine.execute_block(first.header, going_back)
    env = BlockEnvironment(coinbase=b"\x01" * 20, timestamp=99, gas_limit=first.header.gas_limit)
    with pytest.raises(ValueError, match="before parent timestamp"):
        producer.engine.build_block(first.header, (), env)


def test_gas_limit_may_only_drift_slowly(genesis: Genesis) -> None:
    chain = LocalChain(genesis)
    limit = chain.head.gas_limit
    chain.build((), gas_limit=limit + limit // 1024 - 1)
    with pytest.raises(ValueError, match="moves more than 1/1024"):
        chain.build((), gas_limit=limit * 2)
