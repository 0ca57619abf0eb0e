"""The L1 origin every posted block names, checked without and with L1.

On an L1-anchored network a block's ``extra_data`` is ``builder (20) || L1 origin number (8) ||
forced-queue position (4)`` (``ordo.core.block_extra``) and its ``mix_hash`` is that L1 block's
hash (also the EVM's PREVRANDAO); without L1 it is the builder alone and the mix hash is zero.
Execution alone would accept any value there (they only feed PREVRANDAO), so a verifier checks
the layout, that origins never go back and that one origin number always comes with one hash
(``core/block_extra.origin_layout_error``, the rule the node applies too), and here, when it
reads the L1 the genesis is anchored to, that each named hash is L1's block at that number and
no later than the block that accepted the batch. Pure: the L1 hashes are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ordo.core.block_extra import decode_anchored_extra
from ordo.core.l1_fee import L1Prices
from ordo.derivation.batch_data import DecodedBatch
from ordo.derivation.errors import InvalidBatch


@dataclass(frozen=True)
class NamedOrigin:
    number: int
    hash: bytes


def named_origin(extra_data: bytes, mix_hash: bytes) -> NamedOrigin | None:
    """The origin an anchored header names; None when its extra data has another layout."""
    fields = decode_anchored_extra(extra_data)
    return None if fields is None else NamedOrigin(fields.origin_number, mix_hash)


def batch_origins(batch: DecodedBatch) -> dict[int, NamedOrigin]:
    """The distinct origin numbers the batch's blocks name (anchored layout only)."""
    origins: dict[int, NamedOrigin] = {}
    for block in batch.blocks:
        origin = named_origin(block.extra_data, block.mix_hash)
        if origin is not None:
            origins.setdefault(origin.number, origin)
    return origins


def l1_prices_error(batch: DecodedBatch, l1_prices: Mapping[int, L1Prices]
                    ) -> InvalidBatch | None:
    """The first block whose L1 fee word is not its origin's L1 prices (state_transition.md 6.4
    rule 2, on a chain with the L1 fee); ``l1_prices`` holds them for every origin number up to
    the L1 block that accepted the batch (l1_origin_error refuses an origin after it)."""
    for block in batch.blocks:
        origin = named_origin(block.extra_data, block.mix_hash)
        if origin is None or origin.number not in l1_prices:
            continue
        expected = l1_prices[origin.number]
        if block.l1_fee_word != expected.word():
            carried = L1Prices.of_word(block.l1_fee_word)
            return InvalidBatch(batch.accepted.index,
                                f"carries L1 prices {carried.base_fee}/{carried.blob_base_fee} "
                                f"(base fee/blob base fee), its origin L1 block {origin.number} "
                                f"sets {expected.base_fee}/{expected.blob_base_fee}", block.number)
    return None


def l1_origin_error(batch: DecodedBatch, l1_hashes: Mapping[int, bytes]) -> InvalidBatch | None:
    """The first block naming an origin that is not L1's block at that number, or one after
    the L1 block that accepted the batch; ``l1_hashes`` holds L1's hash for every origin number
    up to that block."""
    accepted = batch.accepted
    for block in batch.blocks:
        origin = named_origin(block.extra_data, block.mix_hash)
        if origin is None:
            continue
        if origin.number > accepted.l1_block_number:
            return InvalidBatch(accepted.index, f"names L1 block {origin.number} as its origin, "
                                                f"after L1 block {accepted.l1_block_number} "
                                                f"that accepted the batch", block.number)
        actual = l1_hashes.get(origin.number)
        if actual != origin.hash:
            shown = "unknown" if actual is None else f"0x{actual.hex()}"
            return InvalidBatch(accepted.index, f"names L1 origin {origin.number} with hash "
                                                f"0x{origin.hash.hex()}, L1's block "
                                                f"{origin.number} is {shown}", block.number)
    return None
