"""The rows of ``ordo status``: one node's ``ordo_status`` answer as an operator reads it.

Pure (the caller passes the clock) so the wording is tested against recorded answers. Values
the node does not report show as "—" with the reason where there is one; nothing is guessed.
"""

from __future__ import annotations

import datetime
from typing import Any

from ordo.l1.verifier_completeness import INCOMPLETE_VERIFIER_NOTE
from ordo.operator.l1_status_summary import (
    TOKEN_DECIMALS,
    BatcherProgress,
    DisputeProgress,
    L1StatusError,
    L1Summary,
    OwnStanding,
    SettlementProgress,
    read_l1_summary,
)
from ordo.operator.token_amount import format_token_amount

DASH = "—"
Row = tuple[str, str]


def status_rows(answer: dict[str, Any], now: float) -> list[Row]:
    """``now`` is Unix time, for the age of the last batch."""
    mempool = answer.get("mempool") or {}
    peers = answer.get("peers") or []
    rows = [
        ("chain id", decimal(answer.get("chainId"))),
        ("height", decimal(answer.get("latestBlock"))),
        ("finalized", decimal(answer.get("finalizedBlock"))),
        ("deciding", f"height {decimal(answer.get('height'))}, round "
                     f"{decimal(answer.get('round'))}, {answer.get('step', '-')}"),
        ("epoch", decimal(answer.get("epoch"))),
        ("producer", str(answer.get("producer") or "-")),
        ("role", f"{answer.get('role', '-')} (signer {answer.get('signer') or 'none'})"),
        ("peers", str(len(peers))),
        ("mempool", f"{mempool.get('pending', 0)} pending, {mempool.get('queued', 0)} queued"),
        ("syncing", "yes" if answer.get("syncing") else "no"),
        ("uptime", f"{answer.get('uptimeSeconds', 0)} s"),
        ("faults", fault_text(answer.get("faults"))),
    ]
    return rows + economics_rows(answer.get("economics")) + l1_rows(answer.get("l1"), now)


def fault_text(faults: Any) -> str:
    """Storage and commit faults the node rode out (``ordo_status.faults``)."""
    if not isinstance(faults, dict):
        return f"{DASH} (not reported)"
    return ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in faults.items())


def economics_rows(economics: Any) -> list[Row]:
    """On a chain with the L1 data fee: the fee vault's income and, per sequencer, blocks and
    tips (ETH) of this epoch and the last, as the node tallied them (ordo.node.fee_book)."""
    if not isinstance(economics, dict):
        return []
    rows: list[Row] = []
    for label, tally in (("this epoch", economics.get("current")),
                         ("last epoch", economics.get("previous"))):
        if not isinstance(tally, dict):
            continue
        rows.append((f"fees, {label}", f"epoch {tally.get('epoch')}: vault +"
                     f"{_eth(tally.get('vaultIncome'))} ETH (from block {tally.get('since')})"))
        for entry in tally.get("sequencers") or []:
            rows.append((f"  {entry.get('address')}",
                         f"{entry.get('blocksProduced', 0)} blocks, "
                         f"{_eth(entry.get('l2FeesEarned'))} ETH tips"))
    return rows


def _eth(wei: Any) -> str:
    try:
        return f"{int(str(wei)) / 10**18:.6f}"
    except ValueError:
        return DASH


def l1_rows(l1: Any, now: float) -> list[Row]:
    if l1 is None:
        return [("L1", f"{DASH} (not anchored to L1: ordo_status has no l1)"),
                ("last L1 batch", DASH)]
    try:
        summary = read_l1_summary(l1)
    except L1StatusError as error:
        return [("L1", f"{DASH} (unreadable: {error})")]
    return [
        ("L1", summary.rpc + ("" if summary.error is None else f" (error: {summary.error})")),
        ("L1 head", f"{_or_dash(summary.head)}, finalized {_or_dash(summary.finalized)}, "
                    f"origin {_or_dash(summary.confirmed_origin)} (confirmed)"),
        ("L1 deep reorgs", _or_dash(summary.deep_reorgs)),
        *_staking_rows(summary),
        *_batcher_rows(summary.batcher, now),
        *_settlement_rows(summary.settlement),
        *_dispute_rows(summary.disputes),
    ]


def _staking_rows(summary: L1Summary) -> list[Row]:
    if not summary.staking_reported:
        why = f"{DASH} (this node has no signer key)"
        return [("lock", why), ("rewards", why), ("exit", why)]
    if summary.current_epoch is None:
        why = f"{DASH} (staking view not read yet"
        why += f": {summary.staking_error})" if summary.staking_error else ")"
        return [("lock", why), ("rewards", why), ("exit", why)]
    stale = "" if summary.staking_error is None else f"; refresh failed: {summary.staking_error}"
    age = "" if summary.staking_age_seconds is None else \
        f", read {summary.staking_age_seconds:.0f} s ago"
    rows = [("L1 epoch", f"{summary.current_epoch}{age}{stale}")]
    own = summary.own
    if own is None:
        why = f"{DASH} (signer {summary.own_signer or '?'} is not registered in the pool)"
        return [*rows, ("lock", why), ("rewards", why), ("exit", why)]
    return [
        *rows,
        ("lock", f"{tokens(own.locked)} ({own.status}, "
                 f"{'in' if own.in_set else 'not in'} the current set)"),
        ("rewards", f"{tokens(own.rewards_owed)} owed, {tokens(own.rewards_claimable)} "
                    "claimable"),
        ("exit", exit_state(own)),
    ]


def exit_state(own: OwnStanding) -> str:
    if own.status != "exiting":
        return "not exiting" if own.status == "active" else "no stake locked"
    if own.can_withdraw:
        return "exiting: withdrawable now"
    if own.seconds_until_withdrawable:
        return f"exiting: withdrawable in {own.seconds_until_withdrawable} s"
    return "exiting: delay over, withdrawable after the next L1 epoch change"


def _batcher_rows(batcher: BatcherProgress | None, now: float) -> list[Row]:
    if batcher is None:
        return [("last L1 batch", f"{DASH} (no batcher reported)")]
    last = DASH if batcher.last_batch_index is None else f"#{batcher.last_batch_index}"
    if batcher.last_batch_l1_block is not None:
        last += f" in L1 block {batcher.last_batch_l1_block}"
    if batcher.last_batch_l1_tx is not None:
        last += f", tx {batcher.last_batch_l1_tx}"
    if batcher.last_posted_at is not None:
        posted = datetime.datetime.fromtimestamp(batcher.last_posted_at, datetime.UTC)
        ago = max(0, int(now) - batcher.last_posted_at)
        last += f", posted {posted:%Y-%m-%d %H:%M:%S} UTC ({ago} s ago)"
    return [("last L1 batch", last),
            ("batches posted", f"{_or_dash(batcher.batches_posted)}, L1 gas spent "
                               f"{_or_dash(batcher.l1_gas_spent)}")]


def _settlement_rows(settlement: SettlementProgress | None) -> list[Row]:
    """Absent for nodes that report no settlement (no inbox), so older answers read as before."""
    if settlement is None:
        return []
    failed = "" if settlement.error is None else f"; refresh failed: {settlement.error}"
    if settlement.batch_index is None:
        why = "not read from L1 yet" if settlement.l1_block is None else \
            f"no batch landed yet at L1 block {settlement.l1_block}"
        return [("settlement", f"{DASH} ({why}{failed})")]
    if settlement.final:
        window = "final"
    elif settlement.dispute == "lost":
        window = "not final: output disproved"
    elif settlement.seconds_left:
        window = f"window ends in {settlement.seconds_left} s"
    else:
        window = "window over" + ("; dispute open" if settlement.dispute == "open" else "")
    portal = DASH if settlement.portal_balance is None else \
        f"{format_token_amount(settlement.portal_balance, 18)} ETH"
    return [("settlement", f"batch #{settlement.batch_index} (L2 block "
                           f"{_or_dash(settlement.l2_block)}), output root "
                           f"{settlement.output_root}: {window}{failed}"),
            ("portal balance", portal),
            *([] if settlement.dispute_game is None
              else [("dispute game", settlement.dispute_game)]),
            *([] if settlement.step_verifier_complete is not False
              else [("step verifier", INCOMPLETE_VERIFIER_NOTE)])]


def _dispute_rows(disputes: DisputeProgress | None) -> list[Row]:
    if disputes is None:
        return []
    if not disputes.enabled:
        return [("disputes", f"{DASH} (challenger off: {disputes.reason})")]
    failed = "" if disputes.error is None else f"; last round failed: {disputes.error}"
    unanswered = f", {disputes.blocked} unanswered" if disputes.blocked else ""
    return [("disputes", f"{disputes.open_games} open ({disputes.challenging} challenging, "
                         f"{disputes.defending} defending), "
                         f"{format_token_amount(disputes.own_bonds, 18)} ETH bonded"
                         f"{unanswered}{failed}")]


def tokens(units: int) -> str:
    return f"{format_token_amount(units, TOKEN_DECIMALS)} tokens"


def decimal(value: Any) -> str:
    """Quantities are hex on the wire; an operator reads decimals."""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return str(int(value, 16))
        except ValueError:
            return value
    return "-" if value is None else str(value)


def _or_dash(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"
