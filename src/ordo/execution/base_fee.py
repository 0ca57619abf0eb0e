"""EIP-1559 base fee with Ordo's floor, and the EIP-4844 blob base fee.

The floor keeps the base fee from decaying towards zero on a quiet L2, where it would make spam
free; admission refuses fee caps below it, so the two rules must use the same number.
"""

from __future__ import annotations

from eth.abc import BlockHeaderAPI

from ordo.core.genesis import FeeRules
from ordo.core.l1_fee import blob_base_fee_of_excess


def next_base_fee(parent: BlockHeaderAPI, rules: FeeRules) -> int:
    """Base fee of the child of ``parent`` (EIP-1559 update, then raised to the floor)."""
    parent_base_fee = int(parent.base_fee_per_gas or 0)
    gas_target = int(parent.gas_limit) // rules.elasticity_multiplier
    gas_used = int(parent.gas_used)
    denominator = rules.base_fee_max_change_denominator
    if gas_target == 0 or gas_used == gas_target:
        base_fee = parent_base_fee
    elif gas_used > gas_target:
        delta = parent_base_fee * (gas_used - gas_target) // gas_target // denominator
        base_fee = parent_base_fee + max(delta, 1)
    else:
        delta = parent_base_fee * (gas_target - gas_used) // gas_target // denominator
        base_fee = parent_base_fee - delta
    return max(base_fee, rules.base_fee_floor)


def blob_base_fee(header: BlockHeaderAPI) -> int:
    """EIP-4844 blob base fee of ``header`` from its excess blob gas (Prague update fraction).

    Ordo refuses blob transactions, so its headers keep excess blob gas 0 and this is the
    protocol minimum; it is still computed so a header that says otherwise is reported truly.
    """
    excess = int(getattr(header, "excess_blob_gas", 0) or 0)
    return blob_base_fee_of_excess(excess)
