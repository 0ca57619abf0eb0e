"""The fees of a replacement for a stuck L1 transaction: a pure rule, so it is testable.

A node's pool replaces a pending transaction only when the new one pays enough more: geth and
anvil want at least +10% on both the fee cap and the tip of a type-2 transaction, geth's blob
pool +100% on all three fees of a type-3 one. The poster bumps by at least +12.5% (type 2) or
+100% (type 3), and never offers less than the L1 currently asks.
"""

from __future__ import annotations

from dataclasses import dataclass

BUMP_NUMERATOR = 9
BUMP_DENOMINATOR = 8
"""+12.5% for type-2 replacements."""
BLOB_BUMP_NUMERATOR = 2
BLOB_BUMP_DENOMINATOR = 1
"""+100% for type-3 replacements (geth's blob pool rule)."""


@dataclass(frozen=True)
class PostFees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_blob_gas: int = 0
    """0 for a calldata (type-2) transaction."""

    def __post_init__(self) -> None:
        for name in ("max_fee_per_gas", "max_priority_fee_per_gas", "max_fee_per_blob_gas"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: {value!r} must be a non-negative integer")
        if self.max_priority_fee_per_gas > self.max_fee_per_gas:
            raise ValueError(f"max_priority_fee_per_gas {self.max_priority_fee_per_gas} is above "
                             f"max_fee_per_gas {self.max_fee_per_gas}")


def _raised(value: int, numerator: int, denominator: int) -> int:
    """``value`` times numerator/denominator, rounded up, and at least one more."""
    return max(value + 1, -(-value * numerator // denominator))


def bumped_fees(previous: PostFees, suggested: PostFees, *, blobs: bool) -> PostFees:
    """Fees for the replacement of a transaction sent with ``previous``, given what the L1
    suggests now (``suggested``): each fee the larger of the bumped old one and the new one."""
    numerator, denominator = (BLOB_BUMP_NUMERATOR, BLOB_BUMP_DENOMINATOR) if blobs else \
        (BUMP_NUMERATOR, BUMP_DENOMINATOR)
    tip = max(_raised(previous.max_priority_fee_per_gas, numerator, denominator),
              suggested.max_priority_fee_per_gas)
    cap = max(_raised(previous.max_fee_per_gas, numerator, denominator),
              suggested.max_fee_per_gas, tip)
    blob_fee = max(_raised(previous.max_fee_per_blob_gas, numerator, denominator),
                   suggested.max_fee_per_blob_gas) if blobs else 0
    return PostFees(cap, tip, blob_fee)
