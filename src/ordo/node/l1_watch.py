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
            await self._fetch(target)
        await self._fetch(head)

    async def _fetch(self, number: int) -> None:
        try:
            block = await self._client.get_block(number)
        except (TimeoutError, L1Error, OSError) as error:
            self.last_error = str(error)
            return
        if block is not None:
            self._remember(block.number, block.hash,
                           l1_prices_of_block(block.base_fee_per_gas, block.excess_blob_gas))

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
