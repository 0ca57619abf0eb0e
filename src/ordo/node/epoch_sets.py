"""Where a node gets the validator set of each epoch.

A network whose genesis names no L1 locking pool keeps its genesis set forever
(:class:`StaticEpochSets`); an L1-staked network reads each epoch's set from the pool
(``ordo.node.l1_epoch_sets``). The consensus driver asks through this one interface when the
state machine crosses an epoch boundary, and looks up epochs it already resolved synchronously
(restart, schedule replay, evidence checks).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from ordo.consensus import ValidatorSet

log = logging.getLogger(__name__)

SET_RETRY_FIRST_S = 0.5
SET_RETRY_MAX_S = 10.0


class UnknownEpochSet(LookupError):
    """An epoch whose set this node has not resolved yet."""


class EpochSetSource(Protocol):
    def known(self, epoch: int) -> ValidatorSet | None:
        """The set of ``epoch`` if already resolved (no I/O)."""

    async def resolve(self, epoch: int, anchor_hash: bytes) -> ValidatorSet:
        """The set of ``epoch``, fixed by its anchor block (the block that closed the previous
        epoch; the genesis block for epoch 0). Raises on a failure worth retrying."""


class StaticEpochSets:
    """The genesis set for every epoch."""

    def __init__(self, validators: ValidatorSet) -> None:
        self._validators = validators

    def known(self, epoch: int) -> ValidatorSet | None:
        return self._validators

    async def resolve(self, epoch: int, anchor_hash: bytes) -> ValidatorSet:
        return self._validators


def require_known(source: EpochSetSource, epoch: int) -> ValidatorSet:
    validators = source.known(epoch)
    if validators is None:
        raise UnknownEpochSet(f"the validator set of epoch {epoch} is not resolved yet")
    return validators


async def resolve_until_known(source: EpochSetSource, epoch: int, anchor_hash: bytes,
                              sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
                              ) -> ValidatorSet:
    """Ask until the set is known, waiting SET_RETRY_FIRST_S after a failure, doubling up to
    SET_RETRY_MAX_S: consensus cannot go on without the set, and a failure here is an L1
    endpoint that is down or behind, which passes."""
    delay = SET_RETRY_FIRST_S
    while True:
        try:
            return await source.resolve(epoch, anchor_hash)
        except Exception as error:
            log.warning("validator set of epoch %d not available yet (retrying in %.1f s): %s",
                        epoch, delay, error)
            await sleep(delay)
            delay = min(delay * 2, SET_RETRY_MAX_S)
