"""The node's view of L1: its head, its finalized block and the hashes of recent blocks, kept
fresh in the background.

Proposers read the confirmed block from it (their next L1 origin); validators check a proposed
origin against it. Reads never wait on L1 for the common case (the hashes of recent blocks are
cached); an origin older than the cache is fetched once on demand.

The confirmed block is the newest one both ``confirmations`` deep and at or below the L1's own
finalized block when the L1 reports one (the ``finalized`` block tag): final L2 blocks name
their origin for good, so an origin must be a block the L1 will not replace, or a reorg deeper
than the confirmations leaves final blocks that derivation cannot reproduce and can strand an
epoch's validator set (docs/consensus.md §14). An L1 that answers the tag with an error or
nothing is served by the depth alone (the genesis ``l1.confirmations``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict

from ordo.core.l1_fee import L1Prices, l1_prices_of_block
from ordo.l1.chain_records import L1Block
from ordo.l1.client import L1Client
from ordo.l1.rpc_errors import L1Error, L1ResponseError, L1RpcError
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
        self.finalized: int | None = None
        """The L1's finalized block number as last seen (never going back); None before the
        endpoint first answers, and for an L1 that does not report one."""
        self.offers_finality: bool | None = None
        """Whether the endpoint reports a finalized block; None until it first answers."""
        self.deep_reorgs = 0
        """Times a block that was already ``confirmations`` deep came back with another hash:
        an L1 reorg deeper than the network's depth. Harmless while it stays above the L1's
        finalized block (origins are at or below it); at or below it, or on an L1 without
        finality, final blocks may name an origin the L1 no longer holds (logged as an error)."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll_forever(), name="l1-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def confirmed_number(self) -> int | None:
        """The newest block a new origin may be: ``confirmations`` deep and, when the L1 reports
        finality, not above its finalized block. None until known (before the first poll, or
        while it is not yet known whether the L1 reports finality)."""
        if self.offers_finality is None:
            return None
        number = self.head - self._confirmations
        if self.finalized is not None:
            number = min(number, self.finalized)
        return None if number < 0 else number

    def confirmed_origin(self) -> L1Origin | None:
        """The block at ``confirmed_number``, as last seen; None before it is known."""
        number = self.confirmed_number()
        known = None if number is None else self._hashes.get(number)
        return None if number is None or known is None else L1Origin(number, known)

    async def view_for(self, number: int) -> L1View:
        """A snapshot that includes block ``number`` if the endpoint has it (fetched if not
        cached; an endpoint that is down leaves it out, and the check then refuses)."""
        confirmed = self.confirmed_number()
        if confirmed is None or number > confirmed:
            # Newer than our last poll: the proposer's endpoint may simply be a poll ahead.
            with contextlib.suppress(L1Error, OSError, asyncio.TimeoutError):
                await self.refresh()
        if number not in self._hashes:
            await self._fetch(number)
        return L1View(self.head, dict(self._hashes), dict(self._prices),
                      self.finalized if self.offers_finality else None)

    async def refresh(self) -> None:
        head = await self._client.block_number()
        self.head = max(self.head, head)
        finalized_before = self.finalized
        await self._refresh_finalized()
        target = head - self._confirmations
        if target >= 0:
            confirmed = await self._fetch(target)
            if confirmed is not None:
                self._check_confirmed(confirmed, finalized_before)
        await self._fetch(head)
        number = self.confirmed_number()
        if number is not None and number not in self._hashes:
            await self._fetch(number)

    async def _refresh_finalized(self) -> None:
        """Read the L1's finalized block. Whether the L1 reports one is decided by its first
        answer: an RPC error, a malformed answer or no block then means it does not (depth
        alone from then on);
        later errors keep the last finalized block seen."""
        if self.offers_finality is False:
            return
        try:
            block = await self._client.get_block("finalized")
        except (L1RpcError, L1ResponseError) as error:
            if self.offers_finality is None:
                self._without_finality(str(error))
                return
            raise
        if block is None:
            if self.offers_finality is None:
                self._without_finality("it answers the finalized tag with no block")
            return
        self.offers_finality = True
        self.finalized = max(self.finalized or 0, block.number)
        self._remember(block.number, block.hash,
                       l1_prices_of_block(block.base_fee_per_gas, block.excess_blob_gas))

    def _without_finality(self, reason: str) -> None:
        self.offers_finality = False
        log.warning("the L1 endpoint reports no finalized block (%s): new L1 origins are only "
                    "%d blocks deep, set the genesis l1.confirmations to this L1's deepest "
                    "reorg", reason, self._confirmations)

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

    def _check_confirmed(self, block: L1Block, finalized_before: int | None) -> None:
        """Compare a block seen at the confirmed depth with the confirmed blocks seen before it:
        the same number with another hash, or a parent other than the confirmed block before it,
        is a reorg deeper than the confirmations (a shallow reorg never reaches this depth).
        ``finalized_before``: the L1's finalized block before this poll, the highest an origin
        could have been."""
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
        if replaced is None:
            return
        self.deep_reorgs += 1
        number, old, new = replaced
        if finalized_before is not None and number > finalized_before:
            log.warning("L1 reorg deeper than the %d confirmations: L1 block %d was 0x%s and is "
                        "now 0x%s (head %d); new origins stay at or below the L1's finalized "
                        "block %d, so no block names it (deep reorgs seen: %d)",
                        self._confirmations, number, old.hex(), new.hex(), self.head,
                        finalized_before, self.deep_reorgs)
            return
        log.error("L1 reorg below the L1's own finality (or on an L1 without one, deeper than "
                  "the %d confirmations): L1 block %d was 0x%s and is now 0x%s (head %d, "
                  "finalized %s); final blocks naming the old one cannot be derived from L1 "
                  "(deep reorgs seen: %d)", self._confirmations, number, old.hex(), new.hex(),
                  self.head, finalized_before, self.deep_reorgs)

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
