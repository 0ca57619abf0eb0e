"""``ordo node --shadow-check N``: py-evm re-executes every Nth native block and a difference is
logged at ERROR and counted, while the node keeps the native result."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from ordo.core.genesis import Genesis, dev_private_keys, devnet_genesis
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.engine_choice import make_engine
from ordo.execution.shadow_check import ShadowCheckedEngine
from ordo.execution.state_source import MemoryKeyValueStore
from tests.native.corpus import Wallet
from tests.native.twin_chain import COINBASE, require_native


@pytest.fixture(autouse=True)
def _native() -> None:
    require_native()


def _run(engine: ShadowCheckedEngine, store: MemoryKeyValueStore, genesis: Genesis,
         blocks: int) -> None:
    executed, writes = engine.genesis_block()
    store.apply(writes)
    parent = executed.block.header
    wallet = Wallet(dev_private_keys(1)[0], genesis.chain_id)
    for _ in range(blocks):
        env = BlockEnvironment(coinbase=COINBASE, timestamp=int(parent.timestamp) + 1,
                               gas_limit=int(parent.gas_limit))
        result = engine.build_block(parent, [wallet.sign(to=COINBASE, value=1)], env)
        store.apply(result.state_writes)
        parent = result.executed.block.header


def test_every_nth_block_is_checked_and_agrees() -> None:
    genesis, store = devnet_genesis(), MemoryKeyValueStore()
    engine = make_engine("native", genesis, store, shadow_check=2)
    assert isinstance(engine, ShadowCheckedEngine)
    _run(engine, store, genesis, 5)
    assert engine.checked == 2  # blocks 2 and 4
    assert engine.differences == []


def test_a_difference_is_reported_loudly(caplog: pytest.LogCaptureFixture) -> None:
    genesis, store = devnet_genesis(), MemoryKeyValueStore()
    # a reference that computes another base fee: as if the engines disagreed on 2.5
    other_rules = replace(genesis.fee_rules, base_fee_floor=2 * 10**9)
    reference = PyEvmEngine(replace(genesis, fee_rules=other_rules), store)
    engine = ShadowCheckedEngine(genesis, store, every=1, reference=reference)
    with caplog.at_level(logging.ERROR):
        _run(engine, store, genesis, 2)
    assert engine.checked == 2
    assert len(engine.differences) == 2
    assert "base_fee_per_gas mismatch" in engine.differences[0]
    assert any("SHADOW CHECK FAILED" in record.message for record in caplog.records)


def test_shadow_interval_is_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ShadowCheckedEngine(devnet_genesis(), MemoryKeyValueStore(), every=0)
    with pytest.raises(ValueError, match="0 \\(off\\) or more"):
        make_engine("native", devnet_genesis(), MemoryKeyValueStore(), shadow_check=-1)
