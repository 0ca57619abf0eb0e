"""Fake blocks for the simulator: a few bytes whose validity is a pure function of the bytes.

The payload names the height, parent, builder, round and a validity flag; the block hash is the
payload's keccak. So a block is invalid either by flag (a faulty builder) or by not matching the
height and parent it claims (a forger), and every simulated node judges it the same way.
"""

from __future__ import annotations

import struct

from eth_hash.auto import keccak

from ordo.consensus.messages import ProposedValue

MAGIC = b"ordo-sim-block"
_LAYOUT = struct.Struct(">Q32s20sIQB")


def make_fake_value(
    height: int, parent_hash: bytes, builder: bytes, round_: int, nonce: int, valid: bool
) -> ProposedValue:
    payload = MAGIC + _LAYOUT.pack(height, parent_hash, builder, round_, nonce, int(valid))
    return ProposedValue(height, parent_hash, keccak(payload), builder, payload)


def is_fake_value_valid(value: ProposedValue) -> bool:
    payload = value.payload
    if not payload.startswith(MAGIC) or len(payload) != len(MAGIC) + _LAYOUT.size:
        return False
    if keccak(payload) != value.block_hash:
        return False
    height, parent_hash, builder, _, _, flag = _LAYOUT.unpack(payload[len(MAGIC) :])
    return (
        flag == 1
        and height == value.height
        and parent_hash == value.parent_hash
        and builder == value.proposer
    )
