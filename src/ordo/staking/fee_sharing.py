"""How one epoch's fee-vault income is shared by the sequencer set (docs/design.md, "Sequencer
economics"; issue 13).

The rule, on integers only, so every sequencer computes the same shares from public data:

1. **Reimburse posting.** Each poster is owed the L1 cost of the batches it landed in the epoch
   (``gas_used * effective_gas_price + blob_gas_used * blob_gas_price`` of the accepting L1
   transactions, read from L1 receipts; the gas price counted at most the L1 block's base fee
   plus 2 gwei, ``ordo.operator.fee_report.MAX_REIMBURSED_TIP``, so overpaying a colluding L1
   builder does not move the vault). When the epoch's income covers every claim, each is
   paid in full; otherwise each gets ``claim * income // total_claims`` (pro rata, rounded down).
2. **Split the rest by blocks produced.** What is left is divided among the builders of the
   epoch's blocks in proportion to the blocks each built (``rest * blocks // total_blocks``,
   rounded down). Fallback blocks (builder zero) count for nobody: their share stays.
3. **Carry the dust.** Whatever rounding leaves is carried into the next epoch's income, and
   so is the whole rest when no block counts (an epoch of fallback blocks only: posters are
   still reimbursed), so nothing is created or lost.

Pure: the shell reads the vault's income from L2 state, the builders from L2 headers and the
claims from the L1 inbox's receipts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ZERO_ADDRESS = bytes(20)


@dataclass(frozen=True)
class EpochShares:
    """One epoch's settlement."""

    reimbursed: dict[bytes, int] = field(default_factory=dict)
    """Per poster: the part of its L1 posting cost paid back."""
    rewards: dict[bytes, int] = field(default_factory=dict)
    """Per builder: its share of what is left after reimbursement."""
    carried: int = 0
    """Rounding dust (and unclaimed income) carried into the next epoch."""

    @property
    def paid(self) -> int:
        return sum(self.reimbursed.values()) + sum(self.rewards.values())


class FeeSharingError(ValueError):
    """Negative income, claims or block counts: the inputs cannot come from a real epoch."""


def share_epoch(income: int, posting_costs: Mapping[bytes, int],
                blocks_built: Mapping[bytes, int]) -> EpochShares:
    """Shares ``income`` (the vault's income of the epoch plus the dust carried into it) by the
    rule above. ``posting_costs`` maps each poster to the L1 cost of its landed batches,
    ``blocks_built`` each builder to the epoch's blocks it built."""
    if income < 0 or any(v < 0 for v in posting_costs.values()) or \
            any(v < 0 for v in blocks_built.values()):
        raise FeeSharingError("income, posting costs and block counts must be non-negative")
    claims = sum(posting_costs.values())
    if claims <= income:
        reimbursed = {poster: cost for poster, cost in sorted(posting_costs.items()) if cost}
    else:
        reimbursed = {poster: cost * income // claims
                      for poster, cost in sorted(posting_costs.items()) if cost}
    rest = income - sum(reimbursed.values())
    counted = {builder: count for builder, count in sorted(blocks_built.items())
               if count and builder != ZERO_ADDRESS}
    total_blocks = sum(counted.values())
    rewards = {} if total_blocks == 0 else \
        {builder: rest * count // total_blocks for builder, count in counted.items()}
    return EpochShares(reimbursed, rewards, carried=rest - sum(rewards.values()))
