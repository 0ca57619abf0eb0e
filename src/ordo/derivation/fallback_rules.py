"""The blocks of a fallback batch: what L1 alone determines when the sequencers are silent.

When no batch has landed for the inbox's ``sequencer_timeout``, anyone may post the next batch
unsigned (``RollupInbox.submit_fallback_batch``). Its blocks carry nothing a poster could
choose beyond their L1 origins, so every verifier rebuilds the same chain (OP's deposit-only
blocks after the sequencing window are the model):

- builder and coinbase are the zero address (no sequencer built it, nobody earns its tips);
- the L1 origin is any L1 block not before the parent's (the usual origin rules), and the
  block takes every forced-queue item enqueued up to it (the usual forced rules);
- its timestamp is ``max(parent.timestamp + 1, origin timestamp)``: L1's clock, never going
  back and never shared with the parent;
- its gas limit is the parent's;
- its transactions are exactly the forced transactions that execute: nothing else.

Pure: the origin's L1 timestamp is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.core.batch_blocks import BatchBlock
from ordo.core.block_extra import BUILDER_LENGTH, encode_anchored_extra
from ordo.core.l1_fee import NO_PRICES, L1Prices

FALLBACK_BUILDER = bytes(BUILDER_LENGTH)


@dataclass(frozen=True)
class FallbackOrigin:
    """The L1 block a fallback block names as its origin."""

    number: int
    hash: bytes
    timestamp: int
    prices: L1Prices = NO_PRICES
    """Its L1 prices, on a chain with the L1 data fee (state_transition.md 6.4); else zero."""


def fallback_timestamp(parent_timestamp: int, origin_timestamp: int) -> int:
    return max(parent_timestamp + 1, origin_timestamp)


def fallback_block_fields(parent_number: int, parent_timestamp: int, parent_gas_limit: int,
                          origin: FallbackOrigin, forced_through: int) -> BatchBlock:
    """The header fields of the fallback block on a parent naming ``origin`` (transactions are
    what its forced items execute: the engine decides)."""
    return BatchBlock(
        number=parent_number + 1, timestamp=fallback_timestamp(parent_timestamp, origin.timestamp),
        coinbase=FALLBACK_BUILDER, gas_limit=parent_gas_limit,
        extra_data=encode_anchored_extra(FALLBACK_BUILDER, origin.number, forced_through),
        mix_hash=origin.hash, transactions=(), l1_fee_word=origin.prices.word())


def fallback_block_error(posted: BatchBlock, parent_timestamp: int, parent_gas_limit: int,
                         origin_timestamp: int) -> str | None:
    """Why ``posted`` is not the fallback block L1 determines on its parent, or None (its
    origin and forced items are checked by the usual rules, its transactions after execution).
    """
    if posted.extra_data[:BUILDER_LENGTH] != FALLBACK_BUILDER:
        return (f"a fallback block has no builder, this one names "
                f"0x{posted.extra_data[:BUILDER_LENGTH].hex()}")
    if posted.coinbase != FALLBACK_BUILDER:
        return f"a fallback block pays no coinbase, this one pays 0x{posted.coinbase.hex()}"
    expected = fallback_timestamp(parent_timestamp, origin_timestamp)
    if posted.timestamp != expected:
        return (f"a fallback block's timestamp is max(parent + 1, L1 origin's) = {expected}, "
                f"this one says {posted.timestamp}")
    if posted.gas_limit != parent_gas_limit:
        return (f"a fallback block keeps its parent's gas limit {parent_gas_limit}, this one "
                f"has {posted.gas_limit}")
    return None
