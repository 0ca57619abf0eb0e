"""Consensus-level validity of a proposed block, before the EVM re-executes it.

These are the rules of docs/consensus.md §14 that need no state: the block is the value it
claims to be, extends our head, names its builder, and its timestamp is plausible. Pure: the
local clock is passed in.
"""

from __future__ import annotations

from eth.abc import BlockHeaderAPI

from ordo.consensus import ProposedValue
from ordo.core.block import Block
from ordo.core.block_extra import builder_of


def proposed_block_error(block: Block, value: ProposedValue, parent: BlockHeaderAPI,
                         now: float, max_clock_drift_s: int) -> str | None:
    """Why ``block`` is not a valid proposal of ``value`` on ``parent``, or None if it may be."""
    header = block.header
    if block.hash != value.block_hash:
        return (f"block hash 0x{block.hash.hex()} differs from the proposed "
                f"0x{value.block_hash.hex()}")
    if block.number != value.height or block.number != int(parent.block_number) + 1:
        return f"block number {block.number} does not follow the head {parent.block_number}"
    if bytes(header.parent_hash) != value.parent_hash or value.parent_hash != bytes(parent.hash):
        return f"parent 0x{bytes(header.parent_hash).hex()} is not our head"
    if builder_of(header) != value.proposer:
        return f"block names builder 0x{builder_of(header).hex()}, proposal says " \
               f"0x{value.proposer.hex()}"
    timestamp = int(header.timestamp)
    if timestamp < int(parent.timestamp):
        return f"timestamp {timestamp} is before the parent's {parent.timestamp}"
    if timestamp > now + max_clock_drift_s:
        return f"timestamp {timestamp} is more than {max_clock_drift_s} s ahead of our clock"
    if int(header.gas_used) > int(header.gas_limit):
        return f"gas used {header.gas_used} exceeds the gas limit {header.gas_limit}"
    return None
