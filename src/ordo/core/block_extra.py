"""What an Ordo block header's extra data holds (32 bytes, Ethereum's limit).

- bytes 0..19: the builder, the validator that built the block (sticky failover and rewards
  follow it);
- on an L1-anchored network also bytes 20..27: the L1 origin's number (its hash is the header's
  mix hash), and bytes 28..31: how many forced-queue items the chain has included up to and
  including this block (all items enqueued at L1 blocks up to the origin).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth.abc import BlockHeaderAPI

BUILDER_LENGTH = 20
ORIGIN_NUMBER_LENGTH = 8
FORCED_THROUGH_LENGTH = 4
ANCHORED_EXTRA_DATA_LENGTH = BUILDER_LENGTH + ORIGIN_NUMBER_LENGTH + FORCED_THROUGH_LENGTH


@dataclass(frozen=True)
class AnchoredExtra:
    builder: bytes
    origin_number: int
    forced_through: int


def builder_of(header: BlockHeaderAPI) -> bytes:
    """The validator that built a block, as its header names it (empty if it names none)."""
    extra = bytes(header.extra_data)
    return extra[:BUILDER_LENGTH] if len(extra) >= BUILDER_LENGTH else b""


def encode_anchored_extra(builder: bytes, origin_number: int, forced_through: int) -> bytes:
    return (builder + origin_number.to_bytes(ORIGIN_NUMBER_LENGTH, "big")
            + forced_through.to_bytes(FORCED_THROUGH_LENGTH, "big"))


def decode_anchored_extra(extra: bytes) -> AnchoredExtra | None:
    """The fields of an anchored block's extra data; None for any other layout."""
    if len(extra) != ANCHORED_EXTRA_DATA_LENGTH:
        return None
    origin_end = BUILDER_LENGTH + ORIGIN_NUMBER_LENGTH
    return AnchoredExtra(extra[:BUILDER_LENGTH],
                         int.from_bytes(extra[BUILDER_LENGTH:origin_end], "big"),
                         int.from_bytes(extra[origin_end:], "big"))
