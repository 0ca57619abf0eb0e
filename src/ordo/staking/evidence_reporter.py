"""Submit the equivocation evidence a node holds to the LockingPool, once per vote pair.

The shell around staking.evidence_votes: it asks the pool whether the offence is already
punished, lets gas estimation run the pool's own checks (so a refusal carries the pool's
reason and costs no gas), sends, and waits for the receipt. What was settled - reported by us,
by someone else, or refused - is remembered through the node's callbacks, so a restart does not
pay gas twice; what failed on the way to L1 is not remembered, so it is tried again.

One asyncio lock per reporter: two tasks reporting the same evidence at once send one
transaction, the second finds the first's mark.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ordo.consensus.evidence import Equivocation
from ordo.l1.abi_codec import AbiError
from ordo.l1.chain_records import L1Receipt
from ordo.l1.client import L1Client
from ordo.l1.contract_transactions import (
    DEFAULT_RECEIPT_TIMEOUT,
    TransactionNotMined,
    TransactionReverted,
    send_and_wait,
)
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error, L1RpcError
from ordo.l1.staking_contracts import pool_at
from ordo.staking.evidence_votes import OffenceReport, offence_report

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAY = 30.0


class ReportStatus(enum.Enum):
    REPORTED = "reported"
    """Our transaction slashed the offender."""
    ALREADY_REPORTED = "already_reported"
    """The pool had already punished this offence (another reporter, or us before a restart)."""
    ALREADY_MARKED = "already_marked"
    """The node's own record says this pair was settled; L1 was not asked."""
    REFUSED = "refused"
    """The pool refused the pair (its reason in ``reason``); never retried."""
    RETRY_LATER = "retry_later"
    """L1 could not be reached or did not settle it in time; nothing was remembered."""


@dataclass(frozen=True)
class ReportOutcome:
    status: ReportStatus
    key: bytes
    """The pair's report key (staking.evidence_votes), as given to the callbacks."""
    reason: str | None = None
    """Why it was refused or must be retried."""
    tx_hash: bytes | None = None
    block_number: int | None = None
    slashed: int | None = None
    """Tokens taken from the offender's lock (REPORTED only)."""
    reporter_reward: int | None = None
    """Tokens paid to the sender (REPORTED only)."""

    @property
    def settled(self) -> bool:
        """True unless the report must be tried again."""
        return self.status is not ReportStatus.RETRY_LATER

    def to_json(self) -> dict[str, Any]:
        """Token amounts as decimal strings, like the rest of ordo_status."""
        return {
            "status": self.status.value,
            "key": "0x" + self.key.hex(),
            "reason": self.reason,
            "tx_hash": None if self.tx_hash is None else "0x" + self.tx_hash.hex(),
            "l1_block": self.block_number,
            "slashed": None if self.slashed is None else str(self.slashed),
            "reporter_reward": None if self.reporter_reward is None
            else str(self.reporter_reward),
        }


class EvidenceReporter:
    """Reports from ``sender`` (which pays the gas and receives the reporter's share).

    ``is_reported(key)`` / ``mark_reported(key)`` are the node's persistence of settled
    reports, keyed by the 32-byte report key of the vote pair.
    """

    def __init__(self, client: L1Client, pool_address: bytes, sender: LocalAccount,
                 is_reported: Callable[[bytes], bool],
                 mark_reported: Callable[[bytes], None], *,
                 confirmations: int = 1,
                 receipt_timeout: float = DEFAULT_RECEIPT_TIMEOUT) -> None:
        if not isinstance(pool_address, bytes) or len(pool_address) != 20:
            raise ValueError(f"pool address: {pool_address!r} is not a 20-byte address")
        if isinstance(confirmations, bool) or not isinstance(confirmations, int) or \
                confirmations < 1:
            raise ValueError(f"confirmations: {confirmations!r} must be at least 1")
        if not receipt_timeout > 0:
            raise ValueError(f"receipt_timeout: {receipt_timeout!r} must be positive")
        self._pool = pool_at(client, pool_address)
        self._sender = sender
        self._is_reported = is_reported
        self._mark_reported = mark_reported
        self._confirmations = confirmations
        self._receipt_timeout = receipt_timeout
        self._lock = asyncio.Lock()
        self._unmined: dict[bytes, bytes] = {}
        """Report key -> hash of our transaction that timed out before a receipt came."""

    async def report(self, evidence: Equivocation) -> ReportOutcome:
        """Settle ``evidence`` on L1 if it is not settled yet. TypeError for evidence that is
        not two consensus votes; L1 failures come back as RETRY_LATER, never raised."""
        report = offence_report(evidence)
        async with self._lock:
            if self._is_reported(report.key):
                return ReportOutcome(ReportStatus.ALREADY_MARKED, report.key)
            try:
                outcome = await self._settle(report)
            except (L1Error, AbiError) as error:
                outcome = ReportOutcome(ReportStatus.RETRY_LATER, report.key, reason=str(error))
            if outcome.settled:
                self._mark_reported(report.key)
        _log_outcome(report, outcome)
        return outcome

    async def submit_all(self, evidences: Iterable[Equivocation]) -> list[ReportOutcome]:
        """Report each in turn (what a node does with its evidence book at start-up)."""
        return [await self.report(evidence) for evidence in evidences]

    async def run(self, queue: asyncio.Queue[Equivocation],
                  retry_delay: float = DEFAULT_RETRY_DELAY) -> None:
        """Report evidence as it is put on ``queue``, until cancelled; evidence that came back
        RETRY_LATER is tried again ``retry_delay`` seconds later. Meant for a background task:
        nothing a single report does ends it."""
        if not retry_delay > 0:
            raise ValueError(f"retry_delay: {retry_delay!r} must be positive")
        loop = asyncio.get_running_loop()
        waiting: list[Equivocation] = []
        retry_at = 0.0

        async def attempt(evidence: Equivocation) -> None:
            nonlocal retry_at
            if not await self._report_in_background(evidence):
                if not waiting:
                    retry_at = loop.time() + retry_delay
                waiting.append(evidence)

        while True:
            timeout = None if not waiting else max(0.0, retry_at - loop.time())
            try:
                evidence = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                due, waiting = waiting, []
                for item in due:
                    await attempt(item)
                continue
            try:
                await attempt(evidence)
            finally:
                queue.task_done()

    async def _report_in_background(self, evidence: Equivocation) -> bool:
        """Whether ``evidence`` is settled; an unexpected failure is logged and drops it."""
        try:
            return (await self.report(evidence)).settled
        except Exception:
            log.exception("evidence report failed unexpectedly; the evidence is dropped")
            return True

    async def _settle(self, report: OffenceReport) -> ReportOutcome:
        unmined = self._unmined.pop(report.key, None)
        if unmined is not None:
            earlier = await self._pool.client.get_transaction_receipt(unmined)
            if earlier is not None and earlier.succeeded:
                return self._reported(report, earlier)
        if await self._offence_reported(report):
            return ReportOutcome(ReportStatus.ALREADY_REPORTED, report.key)
        try:
            receipt = await send_and_wait(
                self._pool, self._sender, "report_equivocation", *report.votes,
                confirmations=self._confirmations, timeout=self._receipt_timeout)
        except L1RpcError as error:
            if not error.is_revert:
                raise
            return ReportOutcome(ReportStatus.REFUSED, report.key,
                                 reason=error.revert_reason or error.message)
        except TransactionNotMined as error:
            self._unmined[report.key] = error.tx_hash
            raise
        except TransactionReverted as error:
            # Estimation passed, inclusion failed: most likely another report landed first.
            if await self._offence_reported(report):
                return ReportOutcome(ReportStatus.ALREADY_REPORTED, report.key,
                                     tx_hash=error.tx_hash,
                                     block_number=error.receipt.block_number)
            raise
        return self._reported(report, receipt)

    async def _offence_reported(self, report: OffenceReport) -> bool:
        return bool(await self._pool.call("offence_reported", *report.offence))

    def _reported(self, report: OffenceReport, receipt: L1Receipt) -> ReportOutcome:
        slashes = [event for event in self._pool.decode_receipt(receipt)
                   if event.name == "Slashed"]
        slashed = int(slashes[0].arguments["slashed"]) if slashes else None
        reward = int(slashes[0].arguments["reporter_reward"]) if slashes else None
        return ReportOutcome(ReportStatus.REPORTED, report.key,
                             tx_hash=receipt.transaction_hash,
                             block_number=receipt.block_number, slashed=slashed,
                             reporter_reward=reward)


def _log_outcome(report: OffenceReport, outcome: ReportOutcome) -> None:
    what = (f"equivocation by 0x{report.signer.hex()} at height {report.height} round "
            f"{report.round} type {report.vote_type}")
    if outcome.status is ReportStatus.REPORTED:
        log.info("%s reported in L1 block %s (transaction 0x%s): %s slashed", what,
                 outcome.block_number, (outcome.tx_hash or b"").hex(), outcome.slashed)
    elif outcome.status is ReportStatus.ALREADY_REPORTED:
        log.info("%s was already reported to the pool", what)
    elif outcome.status is ReportStatus.REFUSED:
        log.warning("%s refused by the pool, not retried: %s", what, outcome.reason)
    elif outcome.status is ReportStatus.RETRY_LATER:
        log.warning("%s not reported yet, will retry: %s", what, outcome.reason)
