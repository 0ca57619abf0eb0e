"""EIP-1559 fees to offer on L1: a pure rule over the node's numbers, so it is testable.

The fee cap allows the base fee to double (about six full blocks in a row) before the
transaction stops being includable, which is what wallets do; the tip is the node's suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_FEE_HEADROOM = 2
MIN_PRIORITY_FEE = 1


@dataclass(frozen=True)
class FeeSuggestion:
    base_fee: int
    """Base fee of the next block."""
    max_priority_fee_per_gas: int
    max_fee_per_gas: int


def suggest_fees(next_base_fee: int, priority_fee: int,
                 headroom: int = BASE_FEE_HEADROOM) -> FeeSuggestion:
    tip = max(MIN_PRIORITY_FEE, priority_fee)
    return FeeSuggestion(next_base_fee, tip, headroom * next_base_fee + tip)


def median_reward(rewards: list[list[int]]) -> int | None:
    """The median of eth_feeHistory's per-block reward column (blocks without any excluded)."""
    column = sorted(row[0] for row in rewards if row)
    return column[len(column) // 2] if column else None
