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
    return builder_in(bytes(header.extra_data))


def builder_in(extra_data: bytes) -> bytes:
    """``builder_of`` for extra data read without its header (a JSON-RPC block, a tally)."""
    return extra_data[:BUILDER_LENGTH] if len(extra_data) >= BUILDER_LENGTH else b""


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


def origin_layout_error(extra_data: bytes, mix_hash: bytes, parent_extra_data: bytes,
                        parent_mix_hash: bytes, anchored: bool) -> str | None:
    """Why a block cannot follow its parent as far as L1 origins go (None when it can): the
    network's layout (anchored: builder, origin number and forced-queue position; otherwise the
    builder alone and a zero mix hash), and an origin that never goes back and keeps its hash.
    Needs no L1. The one statement of these rules: the node applies it to every block it
    validates as a proposal (node/l1_origin.py; not to a decided or synced block, whose
    certificate proves it final: docs/state_transition.md 11.16), the verifier to every posted
    block (derivation/block_replay.py).
    """
    if not anchored:
        if len(extra_data) != BUILDER_LENGTH:
            return (f"extra data is {len(extra_data)} bytes; a network without L1 uses "
                    f"{BUILDER_LENGTH}")
        if mix_hash != bytes(32):
            return "mix hash must be zero on a network without L1"
        return None
    fields = decode_anchored_extra(extra_data)
    if fields is None:
        return (f"extra data is {len(extra_data)} bytes; an L1-anchored network uses "
                f"{ANCHORED_EXTRA_DATA_LENGTH} (builder, L1 origin number, forced-queue "
                "position)")
    parent = decode_anchored_extra(parent_extra_data)
    if parent is None:
        return "the parent names no L1 origin"
    if fields.origin_number < parent.origin_number:
        return (f"L1 origin {fields.origin_number} goes back from its parent's "
                f"{parent.origin_number}")
    if fields.origin_number == parent.origin_number and mix_hash != parent_mix_hash:
        return (f"L1 origin {fields.origin_number} named with hash 0x{mix_hash.hex()}, its "
                f"parent named it 0x{parent_mix_hash.hex()}")
    return None
