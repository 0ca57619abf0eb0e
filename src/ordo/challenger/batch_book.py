"""The landed batches still in their challenge window, each read from the inbox once.

Re-reading every batch of a week-long window every round would cost thousands of L1 calls per
round on every node. Batches only change at the top (a new landing) or by a removal (a lost
game takes a batch and every later one), so the book reads the new indexes each round and
forgets everything from a removed index on; the service tells it where a removal happened
(a game it sees lost for the first time). After a restart the book is read again, once.
"""

from __future__ import annotations

from ordo.challenger.l1_game import DisputeChain, L1Moment, LandedBatch


class BatchBook:
    def __init__(self, chain: DisputeChain) -> None:
        self.chain = chain
        self.batches: dict[int, LandedBatch] = {}

    async def refresh(self, moment: L1Moment, removed_from: int | None = None
                      ) -> list[LandedBatch]:
        """The batches a game may still be opened against at ``moment``, oldest first."""
        count = int(await self.chain.inbox.call("next_index", block=moment.block))
        window = int(await self.chain.inbox.call("challenge_window", block=moment.block))
        cut = count if removed_from is None else min(count, removed_from)
        for index in [index for index in self.batches if index >= cut]:
            del self.batches[index]
        index = count - 1
        while index >= 0 and index not in self.batches:
            batch = await self.chain.batch(index, moment.block)
            if batch.landed_at + window <= moment.timestamp:
                break
            self.batches[index] = batch
            index -= 1
        for index, batch in list(self.batches.items()):
            if batch.landed_at + window <= moment.timestamp:
                del self.batches[index]
        return [self.batches[index] for index in sorted(self.batches)]
