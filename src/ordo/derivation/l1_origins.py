"""L1 block hashes (and times) by number, fetched once each, for checking the L1 origins blocks
name (a fallback block's timestamp follows its origin's)."""

from __future__ import annotations

from collections.abc import Iterable

from ordo.core.l1_fee import L1Prices, l1_prices_of_block
from ordo.derivation.errors import DerivationError
from ordo.l1.client import L1Client

MAX_REMEMBERED = 4096


class L1BlockHashes:
    def __init__(self, client: L1Client) -> None:
        self.client = client
        self._known: dict[int, tuple[bytes, int, L1Prices]] = {}
        """number -> (hash, timestamp, L1 prices), read together from one block."""

    async def _read(self, numbers: Iterable[int]) -> dict[int, tuple[bytes, int, L1Prices]]:
        """DerivationError for a block the node does not have."""
        found: dict[int, tuple[bytes, int, L1Prices]] = {}
        for number in numbers:
            if number not in self._known:
                block = await self.client.get_block(number)
                if block is None:
                    raise DerivationError(f"the L1 node has no block {number}, named as an "
                                          f"L2 block's origin")
                if len(self._known) >= MAX_REMEMBERED:
                    self._known.clear()
                self._known[number] = (block.hash, block.timestamp, l1_prices_of_block(
                    block.base_fee_per_gas, block.excess_blob_gas))
            found[number] = self._known[number]
        return found

    async def hashes(self, numbers: Iterable[int]) -> dict[int, bytes]:
        """L1's canonical hash at each of ``numbers``."""
        return {number: read[0] for number, read in (await self._read(numbers)).items()}

    async def prices(self, numbers: Iterable[int]) -> dict[int, L1Prices]:
        """The L1 prices each of ``numbers`` sets (state_transition.md 6.4)."""
        return {number: read[2] for number, read in (await self._read(numbers)).items()}

    async def timestamps(self, numbers: Iterable[int]) -> dict[int, int]:
        """L1's timestamp of each of ``numbers``."""
        return {number: read[1] for number, read in (await self._read(numbers)).items()}
