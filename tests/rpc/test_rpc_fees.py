"""eth_feeHistory: base fees incl. the next block's, gas ratios and gas-weighted tip percentiles."""

from __future__ import annotations

import pytest

from ordo.rpc.fee_rewards import reward_percentiles, validate_percentiles
from tests.rpc.conftest import RpcClient
from tests.rpc.rpc_chain import BASE_FEE, GAS_LIMIT, GWEI, NEXT_BASE_FEE


async def test_fee_history_up_to_head(rpc: RpcClient) -> None:
    answer = await rpc.call("eth_feeHistory", "0x3", "latest", [0, 25, 50, 75, 100])
    assert answer["oldestBlock"] == "0x2"
    assert answer["baseFeePerGas"] == [hex(BASE_FEE)] * 3 + [hex(NEXT_BASE_FEE)]
    assert answer["gasUsedRatio"] == [0.0, 76_000 / GAS_LIMIT, 0.0]
    # Block 3: tx A tips 3 gwei for 30,000 gas; tx B tips 1 gwei for 46,000 gas.
    assert answer["reward"] == [
        ["0x0"] * 5,
        [hex(GWEI), hex(GWEI), hex(GWEI), hex(3 * GWEI), hex(3 * GWEI)],
        ["0x0"] * 5,
    ]
    assert answer["baseFeePerBlobGas"] == ["0x1"] * 4
    assert answer["blobGasUsedRatio"] == [0.0] * 3


async def test_fee_history_in_the_past_and_clamped(rpc: RpcClient) -> None:
    answer = await rpc.call("eth_feeHistory", 100, "0x1")
    assert answer["oldestBlock"] == "0x0"
    assert len(answer["baseFeePerGas"]) == 3 and len(answer["gasUsedRatio"]) == 2
    assert "reward" not in answer
    # Block 1: legacy tips 1 gwei (2 gwei - base) on 21,000; 2930 tips 2 gwei on 45,000;
    # 1559 tips 1 gwei on 100,000 gas.
    answer = await rpc.call("eth_feeHistory", "1", "0x1", [10, 90])
    assert answer["reward"] == [[hex(GWEI), hex(2 * GWEI)]]
    assert await rpc.call("eth_feeHistory", "0x0", "latest") == {"oldestBlock": "0x0"}
    beyond = await rpc.error("eth_feeHistory", "0x1", "0x9")
    assert beyond["code"] == -32000 and "beyond head" in beyond["message"]
    assert (await rpc.error("eth_feeHistory", True, "latest"))["code"] == -32602


def test_reward_percentiles_weighted_by_gas() -> None:
    # 10% of the gas at tip 5, 90% at tip 1.
    assert reward_percentiles(100, [(5, 10), (1, 90)], [0, 50, 90, 91, 100]) == [1, 1, 1, 5, 5]
    assert reward_percentiles(0, [], [50]) == [0]


@pytest.mark.parametrize("bad", [[-1.0], [100.5], [20.0, 10.0]])
def test_percentile_validation(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="invalid reward percentile"):
        validate_percentiles(bad)
