"""Priority-fee percentiles of one block for eth_feeHistory, weighted by gas as geth does.

Transactions are sorted by the tip they effectively paid; the reward at percentile p is the tip
of the transaction in which the p-th percent of the block's gas was spent.
"""

from __future__ import annotations

from collections.abc import Sequence


def validate_percentiles(percentiles: Sequence[float]) -> None:
    """Raise ValueError unless every percentile is in [0, 100] and they never decrease."""
    for index, value in enumerate(percentiles):
        if not 0 <= value <= 100:
            raise ValueError(f"invalid reward percentile: {value} < 0 or > 100")
        if index > 0 and value < percentiles[index - 1]:
            raise ValueError(
                f"invalid reward percentile: #{index - 1}:{percentiles[index - 1]} > "
                f"#{index}:{value}"
            )


def reward_percentiles(
    block_gas_used: int,
    tips_and_gas: Sequence[tuple[int, int]],
    percentiles: Sequence[float],
) -> list[int]:
    """``tips_and_gas`` holds (effective tip, gas used) per transaction of the block."""
    if not tips_and_gas:
        return [0] * len(percentiles)
    ordered = sorted(tips_and_gas, key=lambda item: item[0])
    rewards = []
    position = 0
    spent = ordered[0][1]
    for percentile in percentiles:
        threshold = int(block_gas_used * percentile / 100)
        while spent < threshold and position < len(ordered) - 1:
            position += 1
            spent += ordered[position][1]
        rewards.append(ordered[position][0])
    return rewards
