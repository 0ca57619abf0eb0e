"""Call the LockingPool's permissionless ``advance_epoch()`` once the current epoch is due.

Nobody owns the epoch clock on L1: the pool only refuses an early call. Any node may act as a
keeper, so several keepers racing for the same epoch is the normal case, not a failure: the
loser sees the pool's "epoch interval not over" (the winner's epoch has just started) at gas
estimation, or, when both estimated before either was mined, its own transaction reverts on
chain. Both mean "someone advanced it", and neither is worth a warning.

The view is read first so that an idle keeper polling every few seconds costs L1 calls, not
gas estimations that fail, and never sends a transaction that is bound to revert.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from ordo.l1.client import L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.contract_transactions import (
    DEFAULT_RECEIPT_TIMEOUT,
    TransactionReverted,
    send_and_wait,
)
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error, L1RpcError
from ordo.l1.staking_contracts import pool_at

log = logging.getLogger(__name__)

INTERVAL_NOT_OVER = "LockingPool: epoch interval not over"
"""The pool's revert reason for an early advance_epoch()."""


@dataclass(frozen=True)
class EpochDue:
    """When the pool's current epoch may end, by the L1 chain's clock."""

    epoch: int
    due_at: int
    """L1 timestamp from which advance_epoch() succeeds."""
    head_timestamp: int

    @property
    def is_due(self) -> bool:
        # The next block is at least one second after the head: the first one that can
        # carry the call.
        return self.head_timestamp + 1 >= self.due_at


class EpochKeeper:
    def __init__(self, client: L1Client, pool: bytes, sender: LocalAccount, *,
                 receipt_timeout: float = DEFAULT_RECEIPT_TIMEOUT) -> None:
        if not isinstance(pool, bytes) or len(pool) != 20:
            raise ValueError(f"pool: {pool!r} is not a 20-byte address")
        if receipt_timeout <= 0:
            raise ValueError(f"receipt_timeout: {receipt_timeout!r} must be positive")
        self._pool: ContractHandle = pool_at(client, pool)
        self._client = client
        self._sender = sender
        self._receipt_timeout = receipt_timeout

    async def epoch_due(self) -> EpochDue:
        epoch = int(await self._pool.call("current_epoch"))
        started = int(await self._pool.call("epoch_started_at", epoch))
        interval = int(await self._pool.call("epoch_min_interval"))
        head = await self._client.get_block("latest")
        if head is None:
            raise L1Error("the L1 node has no latest block")
        return EpochDue(epoch, started + interval, head.timestamp)

    async def advance_if_due(self) -> int | None:
        """The new epoch number if this call advanced it; None if it was not due yet or
        another keeper advanced it first. Other L1 failures raise (L1Error)."""
        due = await self.epoch_due()
        if not due.is_due:
            return None
        try:
            receipt = await send_and_wait(self._pool, self._sender, "advance_epoch",
                                          timeout=self._receipt_timeout)
        except L1RpcError as error:
            if error.revert_reason == INTERVAL_NOT_OVER:
                return None
            raise
        except TransactionReverted:
            # Estimated before a rival's call was mined, reverted after it: fine if the epoch
            # did move on; anything else is a real failure.
            if int(await self._pool.call("current_epoch")) > due.epoch:
                log.debug("epoch %d was advanced by another keeper", due.epoch)
                return None
            raise
        events = [event for event in self._pool.decode_receipt(receipt)
                  if event.name == "EpochAdvanced"]
        if len(events) != 1:
            raise L1Error(f"advance_epoch in L1 block {receipt.block_number} emitted "
                          f"{len(events)} EpochAdvanced events, expected 1")
        epoch = int(events[0].arguments["epoch"])
        log.info("advanced the L1 staking epoch to %d in L1 block %d", epoch,
                 receipt.block_number)
        return epoch

    async def run(self, interval: float) -> None:
        """Check every ``interval`` seconds until cancelled; an L1 failure is logged and the
        next round tries again (a restarting L1 node must not stop the keeper)."""
        if interval <= 0:
            raise ValueError(f"interval: {interval!r} must be positive")
        while True:
            try:
                await self.advance_if_due()
            except L1Error as error:
                log.warning("epoch keeper: %s; trying again in %g s", error, interval)
            await asyncio.sleep(interval)
