"""Whether a node's stored chain is the one L1 holds, and if not, how to make it so.

L1's accepted batches are final by definition (signed by a quorum of the epoch's set, or a
fallback batch posted after the sequencers were silent). A node that stopped before a fallback
batch landed holds final blocks L1 never took: its blocks past the last signed batch, made by
the same validators but replaced on L1 by the fallback block. Such a node must drop them and
continue from L1's chain, or it builds on a chain no batch can ever extend (issue 11).

The decision compares each batch's last block hash with the store's block at that height (a
block hash commits to the whole chain below it, so one equal end vouches for every earlier
block):

- every batch ends on a stored block with the same hash: nothing to do (blocks above the last
  batch are this node's own final blocks, not posted yet);
- a fallback batch ends on a stored block with another hash: the chains parted inside it, so
  the store goes back to the block before that batch and L1's batches from it on are imported;
- a *signed* batch ends on a stored block with another hash: a quorum signed another chain
  than this node's final one. That is fraud to dispute, not a chain to adopt: the store is
  left as it is and the refusal is logged;
- the store ends before a batch does: signed batches the node can get from its peers with
  their commit certificates, as any lagging node does; but a fallback batch has no certificate,
  so when one is at or after that point the node imports from L1 (from the block before that
  batch: its stored blocks inside the batch are not vouched for by anything).

Pure: the caller reads the batches and the stored hashes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ordo.derivation.inbox_batches import AcceptedBatch


@dataclass(frozen=True)
class ChainPlan:
    """What to do: rewind the store to ``keep_through`` (when below the head) and import
    ``imports`` from L1, in order; ``reason`` says why, for the log."""

    keep_through: int
    imports: tuple[AcceptedBatch, ...]
    reason: str
    refused: bool = False
    """L1 differs from the store in a way adoption must not follow (a signed batch)."""

    @property
    def changes_nothing(self) -> bool:
        return not self.imports


def plan_adoption(batches: Sequence[AcceptedBatch], head: int,
                  stored_hash: Callable[[int], bytes | None]) -> ChainPlan:
    """The plan for a store whose newest block is ``head``; ``batches`` are every accepted
    batch in index order (checked contiguous by the caller), ``stored_hash`` the store's block
    hash at a height (None above the head)."""
    for position, batch in enumerate(batches):
        if batch.last_block <= head:
            ours = stored_hash(batch.last_block)
            if ours == batch.last_block_hash:
                continue
            shown = "nothing" if ours is None else f"0x{ours.hex()}"
            where = (f"L1's batch {batch.index} ends at block {batch.last_block} "
                     f"0x{batch.last_block_hash.hex()}, this node holds {shown} there")
            if not batch.fallback:
                # A quorum signed another chain than this node's final one: a fraud to
                # dispute, not a chain to adopt (and nothing of the store is touched).
                return ChainPlan(head, (), f"{where}: a signed batch, not adopted (it must be "
                                           "disputed)", refused=True)
            return ChainPlan(batch.first_block - 1, tuple(batches[position:]),
                             f"{where} (a fallback batch)")
        rest = batches[position:]
        fallback = next((later for later in rest if later.fallback), None)
        if fallback is None:
            return ChainPlan(head, (), f"L1's batches from {batch.index} on are signed: peers "
                                       "serve their blocks with certificates")
        return ChainPlan(
            min(head, batch.first_block - 1), tuple(rest),
            f"this node's chain ends at block {head}, L1 holds batches {batch.index}.."
            f"{rest[-1].index} beyond it, fallback batch {fallback.index} among them (no "
            "certificate: no peer can serve its blocks)")
    return ChainPlan(head, (), "every batch on L1 ends on this node's chain")
