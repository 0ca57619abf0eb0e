"""The L1 origin of an L2 block: the L1 block it builds on, named in its header.

On an L1-anchored network every block names an L1 block (number in ``extra_data`` after the
builder, hash in ``mix_hash``, which is also the EVM's PREVRANDAO). The origin of an epoch's
anchor block fixes the next epoch's validator set (the LockingPool's set there), so all nodes
weigh votes by the same L1 view, and an L1 reorganisation above the confirmation depth cannot
split them: the hash is part of the block, and the block is final. Because the block is final,
its origin must be too: a new origin is never above the L1's own finalized block when the L1
reports one (the proposer picks at or below it, validators refuse above it), so a reorg deeper
than the confirmation depth cannot replace an origin a final block names.

Pure rules; the L1 view they check against is a snapshot the shell passes in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from eth.abc import BlockHeaderAPI

from ordo.core.block_extra import (
    decode_anchored_extra,
    encode_anchored_extra,
    origin_layout_error,
)
from ordo.core.l1_fee import L1Prices, header_l1_prices

MAX_ORIGIN_LAG = 256
"""How far (in L1 blocks) behind the validator's confirmed L1 head a new origin may be: a
proposer must not hold the origin back to keep an old validator set or dodge forced items."""


@dataclass(frozen=True)
class L1Origin:
    number: int
    hash: bytes


@dataclass(frozen=True)
class L1View:
    """What a validator knows of L1 when it checks a proposal: its head and the hashes of the
    blocks it has seen (at least the one the proposal names, when the shell could fetch it)."""

    head: int
    hashes: Mapping[int, bytes]
    prices: Mapping[int, L1Prices] = field(default_factory=dict)
    """The L1 prices of the same blocks (docs/state_transition.md 6.4)."""
    finalized: int | None = None
    """The L1's finalized block as this validator last saw it; None when its L1 reports none
    (then only the depth rule holds)."""


def block_extra_data(builder: bytes, origin: L1Origin | None, forced_through: int = 0) -> bytes:
    if origin is None:
        return builder
    return encode_anchored_extra(builder, origin.number, forced_through)


def origin_of(header: BlockHeaderAPI) -> L1Origin | None:
    """The origin a header names; None when it names none (a network without L1)."""
    fields = decode_anchored_extra(bytes(header.extra_data))
    return None if fields is None else L1Origin(fields.origin_number, bytes(header.mix_hash))


def forced_through_of(header: BlockHeaderAPI) -> int:
    """Forced-queue items included up to this block (0 on a network without L1)."""
    fields = decode_anchored_extra(bytes(header.extra_data))
    return 0 if fields is None else fields.forced_through


def header_origin_error(header: BlockHeaderAPI, parent: BlockHeaderAPI,
                        anchored: bool) -> str | None:
    """Rules that need no L1 access: the header has the network's layout and its origin never
    goes back (core/block_extra.origin_layout_error, which the verifier applies too), and its
    forced-queue position does not either. Applied to proposals (``BlockExecution._prepare``);
    a decided or synced block is not checked here, its certificate proves it final
    (docs/state_transition.md 11.16)."""
    problem = origin_layout_error(bytes(header.extra_data), bytes(header.mix_hash),
                                  bytes(parent.extra_data), bytes(parent.mix_hash), anchored)
    if problem is not None or not anchored:
        return problem
    if forced_through_of(header) < forced_through_of(parent):
        return (f"forced-queue position {forced_through_of(header)} is before the parent's "
                f"{forced_through_of(parent)}")
    return None


def origin_view_error(origin: L1Origin, parent_origin: L1Origin, view: L1View,
                      min_depth: int) -> str | None:
    """Whether this validator's L1 view backs the origin: a new one must be a block it knows
    with that hash, deep enough, not above the L1's finalized block (when the L1 reports one)
    and not too far behind. An unchanged origin needs no L1 block,
    so a chain whose validators lose L1 for a while keeps going on its last origin (until the
    view shows it held back too long)."""
    if origin == parent_origin:
        if origin.number + MAX_ORIGIN_LAG < view.head - min_depth:
            return (f"L1 origin {origin.number} is held back: the confirmed L1 head is more "
                    f"than {MAX_ORIGIN_LAG} blocks ahead")
        return None
    known = view.hashes.get(origin.number)
    if known is None:
        return f"L1 block {origin.number} is unknown to this node's L1 endpoint"
    if known != origin.hash:
        return (f"L1 block {origin.number} is 0x{known.hex()} here, the block names "
                f"0x{origin.hash.hex()}")
    if origin.number + min_depth > view.head:
        return (f"L1 origin {origin.number} is less than {min_depth} blocks deep (L1 head "
                f"{view.head})")
    if view.finalized is not None and origin.number > view.finalized:
        return (f"L1 origin {origin.number} is above the L1's finalized block "
                f"{view.finalized}")
    if origin.number + MAX_ORIGIN_LAG < view.head - min_depth:
        return f"L1 origin {origin.number} lags the confirmed L1 head by more than " \
               f"{MAX_ORIGIN_LAG} blocks"
    return None


def l1_prices_view_error(header: BlockHeaderAPI, origin: L1Origin, view: L1View) -> str | None:
    """On a chain with the L1 fee: the block's L1 fee word must be its origin's prices."""
    known = view.prices.get(origin.number)
    if known is None:
        return f"the L1 prices of block {origin.number} are unknown to this node's L1 endpoint"
    carried = header_l1_prices(header)
    if carried != known:
        return (f"the block carries L1 prices {carried.base_fee}/{carried.blob_base_fee}, L1 "
                f"block {origin.number} sets {known.base_fee}/{known.blob_base_fee}")
    return None


def choose_origin(parent_origin: L1Origin, confirmed: L1Origin | None) -> L1Origin:
    """A proposer's origin: the newest confirmed L1 block it knows (``confirmations`` deep and
    at or below the L1's finalized block, ``L1Watch.confirmed_origin``), never going back."""
    if confirmed is None or confirmed.number <= parent_origin.number:
        return parent_origin
    return confirmed


def validator_min_depth(confirmations: int) -> int:
    """Depth a validator requires: half the proposer's, so validators whose L1 view lags the
    proposer's by a block or two still accept its origin."""
    return confirmations // 2
