from __future__ import annotations

import pytest
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA256, EMPTY_UNCLE_HASH

from ordo.core.genesis import DEV_ACCOUNT_BALANCE, Genesis, GenesisAccount, devnet_genesis
from ordo.execution.engine import PyEvmEngine
from ordo.execution.state_source import MemoryKeyValueStore


def test_genesis_is_deterministic_across_engines() -> None:
    first, first_writes = PyEvmEngine(devnet_genesis(), MemoryKeyValueStore()).genesis_block()
    second, second_writes = PyEvmEngine(devnet_genesis(), MemoryKeyValueStore()).genesis_block()
    assert first.block.hash == second.block.hash
    assert first_writes == second_writes
    assert first.block.transactions == () and first.receipts == ()


def test_genesis_header_has_post_merge_prague_fields() -> None:
    genesis = devnet_genesis(timestamp=1_700_000_000)
    executed, _ = PyEvmEngine(genesis, MemoryKeyValueStore()).genesis_block()
    header = executed.block.header
    assert header.block_number == 0
    assert header.timestamp == 1_700_000_000
    assert header.gas_limit == genesis.gas_limit
    assert header.base_fee_per_gas == genesis.fee_rules.initial_base_fee
    assert header.difficulty == 0 and header.nonce == b"\x00" * 8
    assert header.uncles_hash == EMPTY_UNCLE_HASH
    assert header.withdrawals_root == BLANK_ROOT_HASH
    assert header.requests_hash == EMPTY_SHA256
    assert header.transaction_root == BLANK_ROOT_HASH


def test_genesis_allocation_is_readable(genesis: Genesis) -> None:
    store = MemoryKeyValueStore()
    engine = PyEvmEngine(genesis, store)
    executed, writes = engine.genesis_block()
    store.apply(writes)
    header = executed.block.header
    for address, account in genesis.alloc.items():
        assert engine.get_balance(header, address) == account.balance
        assert engine.get_nonce(header, address) == 0
        assert engine.get_code(header, address) == account.code
    dev_accounts = [account for account in genesis.alloc.values() if not account.code]
    assert len(dev_accounts) == 10
    assert all(account.balance == DEV_ACCOUNT_BALANCE for account in dev_accounts)
    assert engine.get_balance(header, b"\x42" * 20) == 0


def test_genesis_code_nonce_and_storage() -> None:
    contract = b"\x77" * 20
    genesis = Genesis(
        chain_id=5,
        alloc={contract: GenesisAccount(balance=3, nonce=1, code=b"\x60\x00", storage=((1, 9),))},
    )
    store = MemoryKeyValueStore()
    engine = PyEvmEngine(genesis, store)
    executed, writes = engine.genesis_block()
    store.apply(writes)
    header = executed.block.header
    assert engine.get_code(header, contract) == b"\x60\x00"
    assert engine.get_nonce(header, contract) == 1
    assert engine.get_storage_at(header, contract, 1) == 9
    assert engine.get_storage_at(header, contract, 2) == 0


def test_genesis_rejects_out_of_range_balance() -> None:
    genesis = Genesis(chain_id=5, alloc={b"\x01" * 20: GenesisAccount(balance=2**256)})
    with pytest.raises(ValueError, match="genesis alloc 0x0101"):
        PyEvmEngine(genesis, MemoryKeyValueStore()).genesis_block()


def test_reads_of_missing_state_raise_unknown_block(genesis: Genesis) -> None:
    from ordo.core.errors import UnknownBlock

    executed, _writes = PyEvmEngine(genesis, MemoryKeyValueStore()).genesis_block()
    engine = PyEvmEngine(genesis, MemoryKeyValueStore())  # a store that never got the writes
    with pytest.raises(UnknownBlock, match="state of block 0"):
        engine.get_balance(executed.block.header, b"\x01" * 20)


def test_reads_reject_malformed_address(genesis: Genesis) -> None:
    engine = PyEvmEngine(genesis, MemoryKeyValueStore())
    executed, _ = engine.genesis_block()
    with pytest.raises(ValueError, match="20 bytes"):
        engine.get_balance(executed.block.header, b"\x01" * 19)
