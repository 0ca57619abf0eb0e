"""L1 block hashes (and times) by number, fetched once each, for checking the L1 origins blocks
name (a fallback block's timestamp follows its origin's)."""

from __future__ import annotations

from collections.abc import Iterable

from ordo.derivation.errors import DerivationError
from ordo.l1.client import L1Client

MAX_REMEMBERED = 4096


class L1BlockHashes:
    def __init__(self, client: L1Client) -> None:
        self.client = client
        self._known: dict[int, bytes] = {}
        self._times: dict[int, int] = {}

    async def hashes(self, numbers: Iterable[int]) -> dict[int, bytes]:
        """L1's canonical hash at each of ``numbers``; DerivationError for a block the node
        does not have."""
        found: dict[int, bytes] = {}
        for number in numbers:
            if number not in self._known:
                block = await self.client.get_block(number)
                if block is None:
                    raise DerivationError(f"the L1 node has no block {number}, named as an "
                                          f"L2 block's origin")
                if len(self._known) >= MAX_REMEMBERED:
                    self._known.clear()
                    self._times.clear()
                self._known[number] = block.hash
                self._times[number] = block.timestamp
            found[number] = self._known[number]
        return found

    async def timestamps(self, numbers: Iterable[int]) -> dict[int, int]:
        """L1's timestamp of each of ``numbers`` (read with their hashes)."""
        wanted = list(numbers)
        await self.hashes(wanted)
        missing = [number for number in wanted if number not in self._times]
        if missing:  # cleared between the two reads: read those again
            self._known.clear()
            await self.hashes(missing)
        return {number: self._times[number] for number in wanted}
