"""eth_simulateV1's core: chained simulated blocks on one evolving state, geth's defaults."""

from __future__ import annotations

import itertools

import pytest
import rlp
from eth.vm.forks.prague.blocks import PragueBlock

from ordo.core.call import CallRequest
from ordo.core.errors import ExecutionReverted
from ordo.execution.call_overrides import AccountOverride, BlockOverrides
from ordo.execution.simulation import (
    BLOCK_NUMBER_INVALID,
    BLOCK_TIMESTAMP_INVALID,
    NONCE_TOO_HIGH,
    SimulatedBlockCalls,
    SimulationError,
    SimulationRequest,
)
from ordo.execution.transfer_logs import TRANSFER_TOPIC
from tests.execution.execution_chain import LocalChain

ALICE = bytes.fromhex("c1" + "00" * 19)
BOB = bytes.fromhex("b0" * 20)
PROBE = bytes.fromhex("9e" * 20)
RETURN_TOP = "60005260206000f3"


def simulate(chain: LocalChain, *blocks: SimulatedBlockCalls, validation: bool = False,
             trace: bool = False) -> list:
    return chain.engine.simulate(chain.head, SimulationRequest(
        blocks=tuple(blocks), validation=validation, trace_transfers=trace))


def test_web3s_case_validated_transfer_with_overrides(chain: LocalChain) -> None:
    entry = SimulatedBlockCalls(
        block=BlockOverrides(base_fee_per_gas=10),
        state={ALICE: AccountOverride(balance=500_000_000)},
        calls=(CallRequest(sender=ALICE, to=ALICE, max_fee_per_gas=10,
                           max_priority_fee_per_gas=10),))
    [result] = simulate(chain, entry, validation=True, trace=True)
    header = result.block.header
    assert header.base_fee_per_gas == 10
    assert header.block_number == chain.head.block_number + 1
    assert header.timestamp == chain.head.timestamp + 12
    assert header.parent_hash == chain.head.hash and header.gas_used == 21_000
    [call] = result.calls
    assert call.success and call.gas_used == 21_000 and call.return_data == b"" and call.logs == ()
    assert result.block.senders == (ALICE,)
    [tx] = result.block.transactions
    assert (tx.type_id, tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.to) == \
        (2, 10, 10, ALICE)
    assert len(rlp.encode(PragueBlock(header=header, transactions=[tx], uncles=[],
                                      withdrawals=[]))) > 0
    assert chain.engine.get_balance(chain.head, ALICE) == 0  # nothing persisted


def test_state_carries_over_between_calls_and_blocks(chain: LocalChain) -> None:
    counter = bytes.fromhex("600054600101806000556000526020" + "6000f3")  # ++slot0, return it
    first = SimulatedBlockCalls(state={PROBE: AccountOverride(code=counter)},
                                calls=(CallRequest(to=PROBE), CallRequest(to=PROBE)))
    second = SimulatedBlockCalls(block=BlockOverrides(number=int(chain.head.block_number) + 4),
                                 calls=(CallRequest(to=PROBE),))
    results = simulate(chain, first, second)
    assert [len(r.calls) for r in results] == [2, 0, 0, 1]  # a gap of two empty blocks
    assert results[0].calls[1].return_data == (2).to_bytes(32, "big")
    assert results[3].calls[0].return_data == (3).to_bytes(32, "big")
    numbers = [int(r.block.header.block_number) for r in results]
    assert numbers == [int(chain.head.block_number) + i for i in (1, 2, 3, 4)]
    for parent, child in itertools.pairwise(results):
        assert child.block.header.parent_hash == parent.block.hash
        assert child.block.header.timestamp == parent.block.header.timestamp + 12
    # without validation the base fee is 0 and calls pay nothing
    assert all(r.block.header.base_fee_per_gas == 0 for r in results)


def test_blockhash_sees_simulated_parents(chain: LocalChain) -> None:
    chain.build()
    blockhash_of_parent = bytes.fromhex("6001430340" + RETURN_TOP)  # BLOCKHASH(NUMBER - 1)
    entry = SimulatedBlockCalls(state={PROBE: AccountOverride(code=blockhash_of_parent)},
                                calls=(CallRequest(to=PROBE),))
    results = simulate(chain, entry, SimulatedBlockCalls(calls=(CallRequest(to=PROBE),)))
    assert results[0].calls[0].return_data == bytes(chain.head.hash)
    assert results[1].calls[0].return_data == results[0].block.hash


def test_reverts_are_call_results_and_transfers_are_traced(chain: LocalChain) -> None:
    reverting = bytes.fromhex("60006000fd")
    entry = SimulatedBlockCalls(
        state={ALICE: AccountOverride(balance=10**18), PROBE: AccountOverride(code=reverting)},
        calls=(CallRequest(sender=ALICE, to=BOB, value=7), CallRequest(to=PROBE),
               CallRequest(sender=ALICE, to=PROBE, value=1)))
    [result] = simulate(chain, entry, trace=True)
    transfer, reverted, reverted_with_value = result.calls
    assert transfer.success and len(transfer.logs) == 1
    log = transfer.logs[0]
    assert log.address == bytes.fromhex("ee" * 20)
    assert log.topics == (TRANSFER_TOPIC.to_bytes(32, "big"), ALICE.rjust(32, b"\0"),
                          BOB.rjust(32, b"\0"))
    assert log.data == (7).to_bytes(32, "big") and log.log_index == 0
    assert not reverted.success and isinstance(reverted.error, ExecutionReverted)
    assert reverted_with_value.logs == ()  # the frame reverted, its transfer log with it
    assert [r.state_root for r in result.receipts] == [b"\x01", b"", b""]
    [untraced] = simulate(chain, entry)
    assert untraced.calls[0].logs == ()


def test_refusals_use_geths_codes(chain: LocalChain) -> None:
    head = int(chain.head.block_number)
    with pytest.raises(SimulationError) as refused:
        simulate(chain, SimulatedBlockCalls(block=BlockOverrides(number=head)))
    assert refused.value.code == BLOCK_NUMBER_INVALID
    with pytest.raises(SimulationError) as refused:
        simulate(chain, SimulatedBlockCalls(block=BlockOverrides(time=0)))
    assert refused.value.code == BLOCK_TIMESTAMP_INVALID
    with pytest.raises(SimulationError) as refused:
        simulate(chain, SimulatedBlockCalls(calls=(CallRequest(sender=ALICE, nonce=3),)),
                 validation=True)
    assert refused.value.code == NONCE_TOO_HIGH
    assert refused.value.message == f"nonce too high: address 0x{ALICE.hex()}, tx: 3 state: 0"
    with pytest.raises(SimulationError, match="empty input"):
        simulate(chain)
    with pytest.raises(SimulationError, match="too many blocks"):
        simulate(chain, SimulatedBlockCalls(block=BlockOverrides(number=head + 257)))
    with pytest.raises(SimulationError) as refused:
        simulate(chain, SimulatedBlockCalls(calls=(CallRequest(sender=ALICE, to=BOB, value=1),)))
    assert refused.value.code == -38014 and "insufficient funds" in refused.value.message
