"""The node's view of L1: its head and the hashes of recent blocks, kept fresh in the background.

Proposers read the confirmed block from it (their next L1 origin); validators check a proposed
origin against it. Reads never wait on L1 for the common case (the hashes of recent blocks are
cached); an origin older than the cache is fetched once on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict

from ordo.core.l1_fee import L1Prices, l1_prices_of_block
from ordo.l1.chain_records import L1Block
from ordo.l1.client import L1Client
from ordo.l1.rpc_errors import L1Error
from ordo.node.l1_origin import L1Origin, L1View

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
CACHED_HASHES = 1024


class L1Watch:
    def __init__(self, client: L1Client, confirmations: int) -> None:
        self._client = client
        self._confirmations = confirmations
        self._hashes: OrderedDict[int, bytes] = OrderedDict()
        self._prices: dict[int, L1Prices] = {}
        self.head = 0
        self.last_error: str | None = None
        self._confirmed: dict[int, bytes] = {}
        """Hashes of blocks seen at the confirmed depth, to notice one replaced later."""
        self.deep_reorgs = 0
        """Times a block that was already ``confirmations`` deep came back with another hash:
        an L1 reorg deeper than the network trusts, after which final blocks may name an origin
        the L1 no longer holds (nothing repairs that; the operator must know)."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll_forever(), name="l1-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def confirmed_origin(self) -> L1Origin | None:
        """The newest block ``confirmations`` deep, as last seen; None before the first poll."""
        number = self.head - self._confirmations
        known = self._hashes.get(number)
        return None if number < 0 or known is None else L1Origin(number, known)

    async def view_for(self, number: int) -> L1View:
        """A snapshot that includes block ``number`` if the endpoint has it (fetched if not
        cached; an endpoint that is down leaves it out, and the check then refuses)."""
        if number >= self.head - self._confirmations:
            # Newer than our last poll: the proposer's endpoint may simply be a poll ahead.
            with contextlib.suppress(L1Error, OSError, asyncio.TimeoutError):
                await self.refresh()
        if number not in self._hashes:
            await self._fetch(number)
        return L1View(self.head, dict(self._hashes), dict(self._prices))

    async def refresh(self) -> None:
        head = await self._client.block_number()
        self.head = max(self.head, head)
        target = head - self._confirmations
        if target >= 0:
            confirmed = await self._fetch(target)
            if confirmed is not None:
                self._check_confirmed(confirmed)
        await self._fetch(head)

    async def _fetch(self, number: int) -> L1Block | None:
        try:
            block = await self._client.get_block(number)
        except (TimeoutError, L1Error, OSError) as error:
            self.last_error = str(error)
            return None
        if block is not None:
            self._remember(block.number, block.hash,
                           l1_prices_of_block(block.base_fee_per_gas, block.excess_blob_gas))
        return block

    def _check_confirmed(self, block: L1Block) -> None:
        """Compare a block seen at the confirmed depth with the confirmed blocks seen before it:
        the same number with another hash, or a parent other than the confirmed block before it,
        is a reorg deeper than the confirmations (a shallow reorg never reaches this depth)."""
        replaced = None
        known = self._confirmed.get(block.number)
        parent = self._confirmed.get(block.number - 1)
        if known is not None and known != block.hash:
            replaced = (block.number, known, block.hash)
        elif parent is not None and parent != block.parent_hash:
            replaced = (block.number - 1, parent, block.parent_hash)
        self._confirmed[block.number] = block.hash
        while len(self._confirmed) > CACHED_HASHES:
            del self._confirmed[min(self._confirmed)]
        if replaced is not None:
            self.deep_reorgs += 1
            number, old, new = replaced
            log.error("L1 reorg deeper than the %d confirmations this network trusts: L1 block "
                      "%d was 0x%s and is now 0x%s (head %d); final blocks naming the old one "
                      "cannot be derived from L1 (deep reorgs seen: %d)", self._confirmations,
                      number, old.hex(), new.hex(), self.head, self.deep_reorgs)

    def _remember(self, number: int, block_hash: bytes, prices: L1Prices) -> None:
        self._hashes[number] = block_hash
        self._prices[number] = prices
        self._hashes.move_to_end(number)
        while len(self._hashes) > CACHED_HASHES:
            forgotten, _hash = self._hashes.popitem(last=False)
            self._prices.pop(forgotten, None)

    async def _poll_forever(self) -> None:
        while True:
            try:
                await self.refresh()
                self.last_error = None
            except (TimeoutError, L1Error, OSError) as error:
                if self.last_error is None:
                    log.warning("L1 endpoint unavailable: %s", error)
                self.last_error = str(error)
            await asyncio.sleep(POLL_SECONDS)
