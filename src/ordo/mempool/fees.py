"""Fee arithmetic shared by admission, ordering and eviction.

Every decoded transaction has ``max_fee_per_gas`` and ``max_priority_fee_per_gas`` (legacy and
EIP-2930 report their gas price for both, as py-evm does), so one formula covers all types.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ordo.core.transaction import DecodedTransaction


@dataclass(frozen=True)
class PooledTransaction:
    """A transaction held by the pool, with the integers hot paths compare cached once."""

    decoded: DecodedTransaction
    sequence: int
    """Arrival order; the deterministic tie-break wherever fees are equal."""
    nonce: int
    fee_cap: int
    tip_cap: int
    cost: int
    """Most the sender can be charged: gas * fee cap + value + the L1 data fee."""
    l1_fee: int = 0
    """The L1 data fee at the head's L1 prices (0 without it): set at admission and again
    whenever the pool is told of new prices (``Mempool.set_l1_prices``)."""

    @classmethod
    def wrap(cls, decoded: DecodedTransaction, sequence: int, l1_fee: int = 0
             ) -> PooledTransaction:
        fee_cap = decoded.max_fee_per_gas
        return cls(
            decoded=decoded,
            sequence=sequence,
            nonce=decoded.nonce,
            fee_cap=fee_cap,
            tip_cap=decoded.max_priority_fee_per_gas,
            cost=decoded.gas * fee_cap + decoded.value + l1_fee,
            l1_fee=l1_fee,
        )

    def repriced(self, l1_fee: int) -> PooledTransaction:
        """This transaction with its L1 data fee (and so its cost) at new L1 prices."""
        return replace(self, cost=self.cost - self.l1_fee + l1_fee, l1_fee=l1_fee)

    @property
    def hash(self) -> bytes:
        return self.decoded.hash

    @property
    def sender(self) -> bytes:
        return self.decoded.sender

    def effective_tip(self, base_fee: int) -> int:
        """What the block producer earns per gas at this base fee; negative means not includable."""
        return min(self.tip_cap, self.fee_cap - base_fee)


def bumped(price: int, bump_percent: int) -> int:
    """The least price a replacement must offer (rounded down, as geth does)."""
    return price * (100 + bump_percent) // 100
