from __future__ import annotations

from dataclasses import replace

from eth.vm.forks.prague.blocks import PragueBlockHeader

from ordo.core.genesis import FeeRules, Genesis
from ordo.execution.base_fee import blob_base_fee, next_base_fee
from tests.execution.execution_chain import LocalChain, address_of, sign

RULES = FeeRules(initial_base_fee=10**9, base_fee_floor=10**7)


def parent(gas_used: int, base_fee: int, gas_limit: int = 30_000_000) -> PragueBlockHeader:
    return PragueBlockHeader(difficulty=0, block_number=1, gas_limit=gas_limit, timestamp=1,
                             gas_used=gas_used, base_fee_per_gas=base_fee)


def test_eip1559_update_rule() -> None:
    target = 15_000_000
    assert next_base_fee(parent(target, 10**9), RULES) == 10**9
    assert next_base_fee(parent(2 * target, 10**9), RULES) == 10**9 + 10**9 // 8
    assert next_base_fee(parent(0, 10**9), RULES) == 10**9 - 10**9 // 8
    assert next_base_fee(parent(target + 1, 10**9), RULES) == 10**9 + 8
    # where the proportional step rounds to zero, the fee still moves up by 1 wei
    assert next_base_fee(parent(target + 1, 10**8), RULES) == 10**8 + 1


def test_floor_holds() -> None:
    assert next_base_fee(parent(0, 10**7), RULES) == 10**7
    assert next_base_fee(parent(0, 11_000_000), RULES) == 10**7  # 9,625,000 is under the floor


def test_base_fee_moves_with_real_blocks(genesis: Genesis, keys: list[bytes]) -> None:
    """Full blocks push the base fee up, empty ones pull it down until the floor."""
    small = replace(genesis, gas_limit=42_000,
                    fee_rules=replace(genesis.fee_rules, base_fee_floor=400_000_000))
    chain = LocalChain(small)
    assert chain.next_base_fee() == 875_000_000  # genesis used no gas
    fees = []
    for nonce in range(2):  # two transfers fill the 42,000-gas block
        price = chain.next_base_fee() * 2
        txs = [sign(key, small.chain_id, nonce=nonce, gasPrice=price, to=address_of(keys[9]))
               for key in keys[:2]]
        result = chain.build(txs)
        assert result.executed.block.header.gas_used == 42_000
        fees.append(result.executed.block.header.base_fee_per_gas)
    assert chain.next_base_fee() > fees[-1] > fees[0]
    for _ in range(12):
        chain.build(())
    assert chain.head.base_fee_per_gas == 400_000_000
    assert chain.next_base_fee() == 400_000_000


def test_blob_base_fee_follows_excess_blob_gas() -> None:
    def with_excess(excess: int) -> PragueBlockHeader:
        return PragueBlockHeader(difficulty=0, block_number=1, gas_limit=30_000_000, timestamp=1,
                                 excess_blob_gas=excess)

    assert blob_base_fee(with_excess(0)) == 1
    # EIP-4844's e-based curve with Prague's update fraction: e^1 ~ 2.718 at one fraction
    assert blob_base_fee(with_excess(5_007_716)) == 2
    assert blob_base_fee(with_excess(5 * 5_007_716)) == 148  # e^5 ~ 148.4


def test_engine_reports_the_heads_blob_base_fee(chain: LocalChain) -> None:
    assert chain.engine.blob_base_fee(chain.head) == 1
