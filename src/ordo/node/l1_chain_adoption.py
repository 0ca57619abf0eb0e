"""At start, before consensus: make the node's stored chain the one L1 holds (issue 11).

When the sequencers were silent for the inbox's ``sequencer_timeout`` and someone posted a
fallback batch, L1's chain went on without them; the final blocks they had made but not posted
are not part of it. A returning node reads the inbox's accepted batches, asks
:mod:`l1_chain_plan` whether its store differs, and if so rewinds the store to the last block
both chains share (``ChainStore.rewind_to``: the dropped blocks' transactions go back to the
mempool journal, re-admitted or reported dropped by ``Node.start``) and imports L1's batches
after it with derivation's own replay, each block final as it is committed. Every node of the
set reads the same L1 and so ends on the same head; consensus then starts after it.

Fallback blocks carry no commit certificate, so peers never serve them to each other by block
sync: each node imports them from L1 here (a node that finds a fallback batch beyond its head
imports from L1 too). A running node whose batcher finds the inbox's chain is not its own stops
(``ChainReplacedOnL1``) so that its supervisor restarts it and this runs.

No slashing hazard: the heights of the dropped blocks are built again, and the validators
precommit other blocks at the heights (and usually rounds) they precommitted the dropped ones,
whose certificates were public (block sync, ordo_getCommit). But a vote signs the parent hash
it extends (vote format v2: ``keccak256(abi.encode(DOMAIN, chain_id, height, round, vote_type,
parent_hash, block_hash))``, ordo.consensus.signing), and evidence needs two votes on one
parent: an old precommit and a new vote on L1's chain are refused as evidence by the nodes
(verify_equivocation) and by LockingPool.report_equivocation ("votes extend different
parents"). A recovery record from the dropped chain is deleted here, and the state machine
would not restore one made on another parent anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ordo.core.genesis import Genesis
from ordo.derivation.batch_sequence import BatchSequence
from ordo.derivation.derivation_run import derive_batch
from ordo.derivation.derived_chain import DerivedChain
from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.derivation.l1_batches import L1BatchReader
from ordo.derivation.l1_origins import L1BlockHashes
from ordo.derivation.removed_batches import standing_batches
from ordo.l1.client import L1Client
from ordo.l1.forced_queue_reader import ForcedQueueReader
from ordo.l1.rpc_errors import L1Error
from ordo.node.l1_chain_plan import ChainPlan, plan_adoption
from ordo.node.l1_epoch_sets import META_PREFIX as EPOCH_SET_PREFIX
from ordo.node.recovery_codec import RECOVERY_META_KEY
from ordo.storage.chain_store import ChainStore

log = logging.getLogger(__name__)


class ChainAdoptionError(Exception):
    """The store was rewound but L1's blocks could not all be imported: starting consensus
    now would build on a chain L1 already replaced, so the node does not start."""


class ChainReplacedOnL1(Exception):
    """A running node found that L1 holds another chain than its own; restarting it adopts
    L1's chain (this module) before consensus runs again."""


@dataclass(frozen=True)
class Adoption:
    """What adoption did: the blocks dropped and imported, and the new head."""

    plan: ChainPlan
    dropped: int
    returned_to_journal: int
    imported: int
    head: int


async def adopt_l1_chain(store: ChainStore, genesis: Genesis, l1_rpc: str,
                         epoch_length: int) -> Adoption | None:
    """Reconcile ``store`` with the inbox the genesis names; None when there is nothing to read
    (no inbox) or L1 cannot be read now (the node starts on its own chain, and its batcher
    finds out later). ChainAdoptionError when a rewind happened but the import failed."""
    anchor = genesis.l1
    if anchor is None or anchor.inbox is None:
        return None
    chain = DerivedChain(store, genesis)
    async with L1Client(l1_rpc) as client:
        reader = L1BatchReader(client, anchor.inbox, genesis.chain_id)
        try:
            batches = await _accepted_batches(reader, anchor.origin_number,
                                              max(1, anchor.confirmations))
        except (TimeoutError, L1Error, OSError, DerivationError) as error:
            log.warning("cannot read the inbox's batches to check this node's chain against "
                        "L1 (%s); starting on the stored chain", error)
            return None
        head = chain.head_number()
        plan = plan_adoption(batches, head, store.get_block_hash)
        if plan.refused:
            log.error("NOT ADOPTING L1's CHAIN: %s", plan.reason)
            return None
        if plan.changes_nothing:
            log.info("chain matches L1: %s", plan.reason)
            return None
        log.warning("ADOPTING L1's CHAIN: %s", plan.reason)
        dropped = returned = 0
        if plan.keep_through < head:
            rewound = store.rewind_to(plan.keep_through,
                                      meta_removals=_stale_meta(plan.keep_through, head,
                                                                epoch_length))
            dropped, returned = len(rewound.blocks), len(rewound.journaled)
            first, last = rewound.blocks[0], rewound.blocks[-1]
            log.warning("REWOUND blocks %d..%d (0x%s..0x%s), final on this node but not on L1: "
                        "%d transactions back in the mempool journal", first.number,
                        last.number, first.hash.hex(), last.hash.hex(), returned)
        origins = L1BlockHashes(client)
        forced = None if anchor.forced_queue is None else \
            ForcedQueueReader(client, anchor.forced_queue)
        imported = 0
        for batch in plan.imports:
            try:
                blocks = await derive_batch(reader, chain, origins, forced, batch)
            except (InvalidBatch, DerivationError, TimeoutError, L1Error, OSError) as error:
                raise ChainAdoptionError(
                    f"L1's batch {batch.index} (blocks {batch.first_block}..{batch.last_block})"
                    f" could not be imported after rewinding to block {plan.keep_through}: "
                    f"{error}") from error
            imported += len(blocks)
            log.warning("IMPORTED L1 batch %d%s: blocks %d..%d, head 0x%s", batch.index,
                        " (fallback)" if batch.fallback else "", batch.first_block,
                        batch.last_block, batch.last_block_hash.hex())
    adoption = Adoption(plan, dropped, returned, imported, chain.head_number())
    log.warning("adopted L1's chain: %d blocks dropped, %d imported, head now %d", dropped,
                imported, adoption.head)
    return adoption


async def _accepted_batches(reader: L1BatchReader, from_block: int, confirmations: int
                            ) -> list[AcceptedBatch]:
    """Every batch accepted up to the confirmed L1 block and not removed since (a batch whose
    root lost its dispute is never adopted, nor anything after it), checked to follow each
    other."""
    confirmed = await reader.client.confirmed_block_number(confirmations)
    if confirmed is None or confirmed < from_block:
        return []
    batches = standing_batches(await reader.events_between(from_block, confirmed))
    sequence = BatchSequence()
    for batch in batches:
        sequence.accept(batch)
    return batches


def _stale_meta(keep_through: int, head: int, epoch_length: int) -> list[str]:
    """Metadata about the dropped blocks: the sets of epochs anchored on them (an epoch's set
    is read at its anchor block's L1 origin, and the anchor is replaced), and the consensus
    recovery record (its locks and votes are for the dropped chain's heights)."""
    first = keep_through // epoch_length + 1
    last = head // epoch_length + 1
    return [EPOCH_SET_PREFIX + str(epoch) for epoch in range(first, last + 1)] + \
        [RECOVERY_META_KEY]
