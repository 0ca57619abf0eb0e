"""The promises a run on an L1 checks on the RollupInbox at its end, as pure functions: one
gapless run of batches, each logged once, each ending on the block the network finalised.

A verifier reads the inbox through its BatchAccepted events; so do these checks, over the events
of the L1's canonical chain at the end (a reorganised-away batch is not there and must have been
posted again).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from ordo.derivation.inbox_batches import AcceptedBatch


def inbox_problems(batches: Sequence[AcceptedBatch]) -> list[str]:
    """Why ``batches`` (in log order) are not one gapless run of indexes 0, 1, 2, ... each
    starting at the block after the previous one's last, every index logged once; empty when
    they are."""
    problems = [f"batch {index} accepted {count} times"
                for index, count in sorted(Counter(b.index for b in batches).items())
                if count > 1]
    next_block = 1
    for expected, batch in enumerate(batches):
        if batch.index != expected:
            problems.append(f"event {expected} is batch {batch.index}")
            break
        if batch.first_block != next_block:
            problems.append(f"batch {batch.index} starts at block {batch.first_block}, not "
                            f"{next_block}")
        if batch.last_block < batch.first_block:
            problems.append(f"batch {batch.index} ends at {batch.last_block} before it starts")
        next_block = batch.last_block + 1
    return problems


def batches_off_chain(batches: Sequence[AcceptedBatch],
                      canonical: Mapping[int, str]) -> list[str]:
    """Batches whose last block is not the block the nodes hold final at that height (a batch
    of blocks the network never finalised, or of a replaced chain)."""
    problems = []
    for batch in batches:
        held = canonical.get(batch.last_block)
        posted = "0x" + batch.last_block_hash.hex()
        if held is not None and held.lower() != posted:
            problems.append(f"batch {batch.index} ends at block {batch.last_block} {posted}, "
                            f"but the nodes hold {held} there")
    return problems


def origin_problems(origins: Mapping[int, set[str]], l1_hashes: Mapping[int, str | None]) -> \
        list[str]:
    """Final L2 blocks whose L1 origin (number -> the hashes they name) is not the L1's block at
    that number at the end: after a reorg deeper than the confirmations, such a block could not
    be derived from L1 by a verifier."""
    problems = []
    for number, named in sorted(origins.items()):
        held = l1_hashes.get(number)
        for origin_hash in sorted(named):
            if held is None or held.lower() != origin_hash.lower():
                problems.append(f"final L2 blocks name L1 origin {number} {origin_hash}, but "
                                f"the L1 holds {held} there")
    return problems
