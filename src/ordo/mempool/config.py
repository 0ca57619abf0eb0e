"""Limits of the transaction pool and the chain rules admission is checked against.

The two are separate because the chain rules come from the genesis every node shares, while the
limits are local policy an operator may tune without forking the network.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.core.genesis import Genesis
from ordo.core.l1_fee import L1FeeRules

MAX_TRANSACTION_SIZE = 128 * 1024


@dataclass(frozen=True)
class ChainRules:
    """What a transaction must satisfy to ever be includable on this chain."""

    chain_id: int
    block_gas_limit: int
    base_fee_floor: int
    l1_fee: L1FeeRules | None = None
    """The L1 data fee (docs/state_transition.md 6.4): admission wants it paid too."""

    @classmethod
    def from_genesis(cls, genesis: Genesis) -> ChainRules:
        return cls(
            chain_id=genesis.chain_id,
            block_gas_limit=genesis.gas_limit,
            base_fee_floor=genesis.fee_rules.base_fee_floor,
            l1_fee=genesis.l1_fee,
        )

    def __post_init__(self) -> None:
        for key in ("chain_id", "block_gas_limit", "base_fee_floor"):
            _require_int(key, getattr(self, key), minimum=0)


@dataclass(frozen=True)
class MempoolConfig:
    """Local pool policy. Every bound exists so that one peer or one sender cannot exhaust memory
    or crowd out everyone else."""

    max_transactions: int = 10_000
    max_per_sender: int = 64
    max_nonce_gap: int = 64
    """A transaction is refused when its nonce is this far or further ahead of the account's."""
    max_transaction_size: int = MAX_TRANSACTION_SIZE
    price_bump_percent: int = 10
    """A same-nonce replacement must raise both fee fields by at least this much."""

    def __post_init__(self) -> None:
        _require_int("max_transactions", self.max_transactions, minimum=1)
        _require_int("max_per_sender", self.max_per_sender, minimum=1)
        _require_int("max_nonce_gap", self.max_nonce_gap, minimum=1)
        _require_int("max_transaction_size", self.max_transaction_size, minimum=1)
        _require_int("price_bump_percent", self.price_bump_percent, minimum=0)


def _require_int(key: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key}: {value!r} is not allowed; use an integer >= {minimum}")
