"""Where BLOCKHASH gets its answers.

The engine asks for the hashes of a block and its ancestors (newest first, at most 256). A node
answers from its block store, which survives restarts. Without one, the engine remembers the
blocks it built or executed itself: enough for tests, the simulator and a node that never
restarts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

AncestorHashes = Callable[[bytes], Sequence[bytes]]
"""``ancestor_hashes(block_hash)`` -> ``[block_hash, parent_hash, ...]``, newest first; at least
256 entries unless the chain is shorter. Unknown hashes give just ``[block_hash]``."""

MAX_ANCESTOR_HASHES = 256
ZERO_HASH = b"\x00" * 32


class RememberedAncestry:
    """Parent links of recently seen blocks, bounded so a long-running engine stays small."""

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < MAX_ANCESTOR_HASHES:
            raise ValueError(f"capacity must be at least {MAX_ANCESTOR_HASHES}")
        self._parents: OrderedDict[bytes, bytes] = OrderedDict()
        self._capacity = capacity

    def remember(self, block_hash: bytes, parent_hash: bytes) -> None:
        self._parents[block_hash] = parent_hash
        self._parents.move_to_end(block_hash)
        while len(self._parents) > self._capacity:
            self._parents.popitem(last=False)

    def __call__(self, block_hash: bytes) -> list[bytes]:
        hashes = [block_hash]
        current = block_hash
        while len(hashes) < MAX_ANCESTOR_HASHES:
            parent = self._parents.get(current)
            if parent is None or parent == ZERO_HASH:
                break
            hashes.append(parent)
            current = parent
        return hashes
