"""The verifier's own chain: a ChainStore that only ever holds blocks derived from L1.

Each batch is replayed in memory and committed block by block only after its end matched the
signed header; a derived block is final the moment it is committed (L1 accepted it with a
quorum's signatures), so the finality pointer moves with the head. After a restart the store's
head may sit anywhere: batches wholly below it are checked against the stored blocks, a batch
it cuts through is replayed from the head on.
"""

from __future__ import annotations

from collections.abc import Mapping

from ordo.chain.chain import Chain
from ordo.core.block import Block
from ordo.core.genesis import Genesis
from ordo.derivation.batch_data import DecodedBatch
from ordo.derivation.block_replay import replay_batch
from ordo.derivation.errors import DerivationError
from ordo.derivation.forced_rules import ForcedQueueItems
from ordo.storage.chain_store import ChainStore


class DerivedChain:
    def __init__(self, store: ChainStore, genesis: Genesis) -> None:
        self.chain = Chain(store, genesis)
        self.store = store
        self.genesis = genesis

    def head_number(self) -> int:
        return self.chain.head_number()

    def apply(self, batch: DecodedBatch, queue: ForcedQueueItems | None = None,
              origin_times: Mapping[int, int] | None = None) -> list[Block]:
        """Replay and commit ``batch``; the blocks newly committed (none if it was derived
        before). InvalidBatch / DerivationError say why it cannot be. ``queue``: the forced
        items up to the batch's latest L1 origin, None when the genesis names no queue."""
        accepted = batch.accepted
        head = self.head_number()
        if accepted.first_block > head + 1:
            raise DerivationError(f"batch {accepted.index} starts at block "
                                  f"{accepted.first_block} but the derived chain ends at "
                                  f"{head}: read L1 from an earlier block")
        if accepted.last_block <= head:
            self._check_stored_end(batch)
            return []
        replayed = replay_batch(batch, self.chain.header_at(head),
                                self.genesis, self.store.state_reader(),
                                self.chain.ancestor_hashes, queue, origin_times)
        committed: list[Block] = []
        for block in replayed:
            number = block.executed.block.number
            self.store.commit_block(block.executed, block.state_writes, finalized_number=number)
            committed.append(block.executed.block)
        return committed

    def _check_stored_end(self, batch: DecodedBatch) -> None:
        accepted = batch.accepted
        stored = self.chain.header_at(accepted.last_block)
        if bytes(stored.hash) != accepted.last_block_hash:
            raise DerivationError(
                f"batch {accepted.index}: the data directory holds block {accepted.last_block} "
                f"0x{bytes(stored.hash).hex()}, the batch says 0x{accepted.last_block_hash.hex()}"
                f": it was derived from another chain")
