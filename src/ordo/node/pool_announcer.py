"""Mempool re-announce: our pending transactions go to a peer that (re)connects.

A transaction gossiped while a peer was down (killed, paused, partitioned) would otherwise live
only in our pool and wait for our turn to produce; chaos runs showed 50 s delays. Sent in chunks
with pauses so the peer's bounded outbound queue never overflows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

POOL_ANNOUNCE_CHUNK = 256
POOL_ANNOUNCE_PAUSE_S = 0.05


class RawTransaction(Protocol):
    @property
    def raw(self) -> bytes: ...


class PoolView(Protocol):
    """What the announcer reads of the mempool."""

    def all_hashes(self) -> list[bytes]: ...

    def get(self, tx_hash: bytes) -> RawTransaction | None: ...


async def announce_pool(pool: PoolView, send: Callable[[bytes], bool],
                        chunk: int = POOL_ANNOUNCE_CHUNK,
                        pause_s: float = POOL_ANNOUNCE_PAUSE_S) -> int:
    """Send every transaction ``pool`` holds, in arrival order, ``chunk`` at a time; stop when
    ``send`` says the peer is gone (its next connection announces again). Returns how many were
    sent."""
    hashes: Sequence[bytes] = pool.all_hashes()
    sent = 0
    for start in range(0, len(hashes), chunk):
        for tx_hash in hashes[start:start + chunk]:
            transaction = pool.get(tx_hash)
            if transaction is None:
                continue  # included or dropped meanwhile
            if not send(transaction.raw):
                return sent
            sent += 1
        await asyncio.sleep(pause_s)
    return sent
