"""The validator's recovery record in the store: what it signed at the current height, written
before any of it is sent, read back when the consensus machine is rebuilt (start, restart after
a failed step), so a restarted validator reuses its votes instead of signing conflicting ones
(docs/consensus.md, recovery; the layout is node/recovery_codec.py's)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from ordo.consensus import ConsensusState, RecoveryRecord, compute_recovery_record
from ordo.node.recovery_codec import (
    RECOVERY_META_KEY,
    RecoveryCodecError,
    decode_recovery,
    encode_recovery,
)

log = logging.getLogger(__name__)


class MetaStore(Protocol):
    def get_meta(self, key: str) -> bytes | None: ...

    def put_meta(self, key: str, value: bytes) -> None: ...


def load_recovery(store: MetaStore) -> RecoveryRecord | None:
    """The stored record, or None when there is none or it does not decode (an older layout):
    the machine then starts without it, which is safe only because a record of a height where
    nothing was signed is never needed."""
    stored = store.get_meta(RECOVERY_META_KEY)
    if stored is None:
        return None
    try:
        return decode_recovery(stored)
    except RecoveryCodecError as error:
        log.error("stored recovery record unreadable, starting without it: %s", error)
        return None


async def save_recovery(store: MetaStore, state: ConsensusState) -> None:
    """Writes the record of ``state`` durably before its broadcasts go out. A record of a
    height where this node signed nothing protects nothing: the fsync is skipped (a stored
    record of an earlier height is ignored at start)."""
    record = compute_recovery_record(state)
    if record.own_votes or record.own_proposals:
        await asyncio.to_thread(store.put_meta, RECOVERY_META_KEY, encode_recovery(record))
