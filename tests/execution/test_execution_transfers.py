from __future__ import annotations

from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.blocks import PragueBlock

from ordo.core.genesis import DEV_ACCOUNT_BALANCE, Genesis
from ordo.execution.engine import PyEvmEngine
from ordo.execution.state_source import MemoryKeyValueStore
from tests.execution.execution_chain import COINBASE, LocalChain, address_of, sign

ETH = 10**18
TIP = 2 * 10**9


def three_kinds(keys: list[bytes], chain_id: int, base_fee: int) -> list:
    """A legacy, an EIP-2930 and an EIP-1559 transfer from three different senders."""
    a, b, c = (address_of(k) for k in keys[:3])
    return [
        sign(keys[0], chain_id, nonce=0, gasPrice=base_fee + TIP, to=b, value=1 * ETH),
        sign(keys[1], chain_id, nonce=0, gasPrice=base_fee + TIP, to=c, value=2 * ETH,
             accessList=[]),
        sign(keys[2], chain_id, nonce=0, maxFeePerGas=2 * base_fee + TIP, maxPriorityFeePerGas=TIP,
             to=a, value=3 * ETH),
    ]


def test_block_of_three_transaction_types(chain: LocalChain, keys: list[bytes]) -> None:
    base_fee = chain.next_base_fee()
    txs = three_kinds(keys, chain.genesis.chain_id, base_fee)
    result = chain.build(txs)
    block = result.executed.block
    header = block.header
    assert result.skipped == ()
    assert [tx.type_id for tx in block.transactions] == [None, 1, 2]
    assert block.senders == tuple(address_of(k) for k in keys[:3])
    assert header.block_number == 1 and header.gas_used == 3 * 21_000
    assert header.base_fee_per_gas == base_fee

    receipts = result.executed.receipts
    assert [r.gas_used for r in receipts] == [21_000, 42_000, 63_000]  # cumulative
    assert all(r.state_root == b"\x01" for r in receipts)  # EIP-658 success
    assert [getattr(r, "type_id", None) for r in receipts] == [None, 1, 2]

    engine = chain.engine
    a, b, c = (address_of(k) for k in keys[:3])
    fee = 21_000 * (base_fee + TIP)
    assert engine.get_balance(header, a) == DEV_ACCOUNT_BALANCE - 1 * ETH - fee + 3 * ETH
    assert engine.get_balance(header, b) == DEV_ACCOUNT_BALANCE - 2 * ETH - fee + 1 * ETH
    assert engine.get_balance(header, c) == DEV_ACCOUNT_BALANCE - 3 * ETH - fee + 2 * ETH
    assert [engine.get_nonce(header, x) for x in (a, b, c)] == [1, 1, 1]
    assert engine.get_balance(header, COINBASE) == 3 * 21_000 * TIP

    # The base fee is burned: the accounts involved lost exactly base_fee * gas_used.
    before = 3 * DEV_ACCOUNT_BALANCE
    after = sum(engine.get_balance(header, x) for x in (a, b, c, COINBASE))
    assert before - after == base_fee * header.gas_used

    # State at the parent is unchanged (reads are per header).
    assert engine.get_balance(chain.headers[0], a) == DEV_ACCOUNT_BALANCE


def test_py_evm_accepts_the_block_unchanged(
    chain: LocalChain, keys: list[bytes], genesis: Genesis
) -> None:
    """py-evm's own import re-executes the block and raises unless every header field
    (state root, receipts root, bloom, gas used, base fee, ...) matches."""
    genesis_writes = dict(chain.store._entries)
    txs = three_kinds(keys, genesis.chain_id, chain.next_base_fee())
    built = chain.build(txs).executed.block

    db = AtomicDB()
    for key, value in genesis_writes.items():
        db[key] = value
    chain_class = MiningChain.configure(
        vm_configuration=((0, PragueVM),), chain_id=genesis.chain_id
    )
    reference = chain_class.from_genesis_header(db, chain.headers[0])
    imported = reference.import_block(
        PragueBlock(header=built.header, transactions=list(built.transactions), uncles=[],
                    withdrawals=[])
    ).imported_block
    assert imported.header == built.header
    assert imported.hash == built.hash


def test_second_engine_replay_gives_same_hashes(genesis: Genesis, keys: list[bytes]) -> None:
    producer = LocalChain(genesis)
    blocks = []
    for round_number in range(3):
        base_fee = producer.next_base_fee()
        txs = [
            sign(key, genesis.chain_id, nonce=round_number, gasPrice=base_fee + TIP,
                 to=address_of(keys[(index + 1) % 5]), value=index + 1)
            for index, key in enumerate(keys[:5])
        ]
        blocks.append(producer.build(txs).executed.block)

    store = MemoryKeyValueStore()
    validator = PyEvmEngine(genesis, store)
    parent_executed, writes = validator.genesis_block()
    store.apply(writes)
    parent = parent_executed.block.header
    for block in blocks:
        executed, writes = validator.execute_block(parent, block)
        store.apply(writes)
        assert [r.gas_used for r in executed.receipts] == [21_000 * (i + 1) for i in range(5)]
        parent = block.header
    assert validator.get_nonce(parent, address_of(keys[0])) == 3


def test_empty_block_and_same_timestamp(chain: LocalChain) -> None:
    first = chain.build((), timestamp=10).executed.block
    second = chain.build((), timestamp=10).executed.block
    assert first.header.timestamp == second.header.timestamp == 10
    assert second.header.parent_hash == first.hash
    assert first.hash != second.hash
    assert second.header.gas_used == 0 and second.transactions == ()
