"""What an operator asks of the ``l1`` object of ``ordo_status``: the L1 endpoint and origin,
this sequencer's standing in the LockingPool, the batcher's last posting, and settlement (the
latest landed output root and its challenge window).

``ordo status`` and the node's /metrics both read it; the object crosses a process boundary
(JSON-RPC) for one of them, so every field is checked here once and a wrong one is named in a
precise error instead of turning into a wrong number on an operator's screen. Fields that are
absent (no signer key, no batcher yet) are None, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOKEN_DECIMALS = 18
"""The LockingPool's GovernanceToken always has 18 decimals."""


class L1StatusError(ValueError):
    """A field of ``ordo_status.l1`` is not what the node promises; the message names it."""


@dataclass(frozen=True)
class OwnStanding:
    """This node's signer in the pool, at the staking view's L1 block."""

    signer: str
    locked: int
    status: str
    """active, exiting or none (the pool's record)."""
    rewards_owed: int
    rewards_claimable: int
    withdrawable_at: int
    seconds_until_withdrawable: int | None
    can_withdraw: bool
    in_set: bool
    """Whether it votes in the current L1 epoch."""


@dataclass(frozen=True)
class BatcherProgress:
    """``l1.batcher``; each field None when the node does not report it."""

    last_batch_index: int | None
    last_batch_l1_tx: str | None
    last_batch_l1_block: int | None
    batches_posted: int | None
    l1_gas_spent: int | None
    last_posted_at: int | None
    """Unix seconds."""


@dataclass(frozen=True)
class SettlementProgress:
    """``l1.settlement``: the inbox's latest landed batch at the node's confirmed L1 block;
    batch fields None while no batch landed or before the first read."""

    batch_index: int | None
    output_root: str | None
    l2_block: int | None
    finalizable_at: int | None
    """L1 timestamp."""
    seconds_left: int | None
    """Of the challenge window, estimated now by the node (0 once over or final)."""
    final: bool | None
    dispute: str | None
    """none, open, lost or defended."""
    portal_balance: int | None
    """Wei the WithdrawalPortal holds; None without a portal."""
    l1_block: int | None
    """The confirmed L1 block the view was read at; None before the first read."""
    error: str | None
    """Why the node's last read of L1 failed, None if it worked."""
    dispute_game: str | None = None
    """The inbox's dispute game (0x address); None: none, or a node older than the field."""
    step_verifier_complete: bool | None = None
    """Whether the game's step verifier decides every step kind; None: no game or not said."""


@dataclass(frozen=True)
class DisputeProgress:
    """``l1.disputes``: this node's challenger (``ordo.challenger.service``)."""

    enabled: bool
    reason: str | None
    """Why it is off; None when on."""
    open_games: int
    challenging: int
    """Open games where this node disputes the batch's root."""
    defending: int
    own_bonds: int
    """Wei this node has bonded in open games."""
    sent: dict[str, int]
    """Transactions that landed, by action (open, move, step, resolve_claim, resolve,
    claim_credit)."""
    failed: int
    blocked: int
    """Claims it had to answer and could not (clock out, no step tracer), counted per round."""
    error: str | None


@dataclass(frozen=True)
class L1Summary:
    rpc: str
    head: int | None
    confirmed_origin: int | None
    error: str | None
    staking_reported: bool
    """False when the node has no signer key (ordo_status then carries no staking object)."""
    staking_error: str | None
    staking_age_seconds: float | None
    current_epoch: int | None
    own_signer: str | None
    own: OwnStanding | None
    batcher: BatcherProgress | None
    settlement: SettlementProgress | None = None
    """None when the node reports none (its genesis names no inbox and queue)."""
    disputes: DisputeProgress | None = None
    """None when the node reports none (a node from before the challenger)."""
    finalized: int | None = None
    """The L1's finalized block as the node saw it; None when the L1 reports none."""
    deep_reorgs: int | None = None
    """L1 reorgs deeper than the confirmations the node saw (None: a node from before)."""


def read_l1_summary(l1: Any) -> L1Summary:
    """Check and read ``ordo_status.l1``; raises L1StatusError naming the first bad field."""
    fields = _object(l1, "l1")
    staking = fields.get("staking")
    view: dict[str, Any] | None = None
    staking_error = None
    staking_age = None
    if staking is not None:
        staking = _object(staking, "l1.staking")
        staking_error = _optional_text(staking.get("error"), "l1.staking.error")
        staking_age = _optional_number(staking.get("age_seconds"), "l1.staking.age_seconds")
        if staking.get("view") is not None:
            view = _object(staking["view"], "l1.staking.view")
    own = None
    own_signer = None
    current_epoch = None
    if view is not None:
        current_epoch = _integer(view.get("current_epoch"), "l1.staking.view.current_epoch")
        own_signer = _optional_text(view.get("own_signer"), "l1.staking.view.own_signer")
        if view.get("own") is not None:
            own = _own_standing(_object(view["own"], "l1.staking.view.own"),
                                bool(view.get("own_in_set")))
    batcher = fields.get("batcher")
    settlement = fields.get("settlement")
    disputes = fields.get("disputes")
    return L1Summary(
        rpc=_optional_text(fields.get("rpc"), "l1.rpc") or "",
        head=_optional_integer(fields.get("head"), "l1.head"),
        confirmed_origin=_optional_integer(fields.get("confirmedOrigin"), "l1.confirmedOrigin"),
        error=_optional_text(fields.get("error"), "l1.error"),
        finalized=_optional_integer(fields.get("finalized"), "l1.finalized"),
        deep_reorgs=_optional_integer(fields.get("deepReorgs"), "l1.deepReorgs"),
        staking_reported=staking is not None,
        staking_error=staking_error,
        staking_age_seconds=staking_age,
        current_epoch=current_epoch,
        own_signer=own_signer,
        own=own,
        batcher=None if batcher is None else _batcher(_object(batcher, "l1.batcher")),
        settlement=None if settlement is None else _settlement(
            _object(settlement, "l1.settlement")),
        disputes=None if disputes is None else _disputes(_object(disputes, "l1.disputes")),
    )


def _disputes(disputes: dict[str, Any]) -> DisputeProgress:
    where = "l1.disputes"
    if not disputes.get("enabled"):
        return DisputeProgress(False, _optional_text(disputes.get("reason"), f"{where}.reason"),
                               0, 0, 0, 0, {}, 0, 0, None)
    games = disputes.get("games")
    if not isinstance(games, list):
        raise L1StatusError(f"{where}.games: {_shown(games)} is not a list")
    bonds = sum(_integer(_object(game, f"{where}.games[]").get("ownBonds"),
                         f"{where}.games[].ownBonds") for game in games
                if game.get("status") == "open")
    sent = _object(disputes.get("sent"), f"{where}.sent")
    return DisputeProgress(
        True, None, _integer(disputes.get("open"), f"{where}.open"),
        _integer(disputes.get("challenging"), f"{where}.challenging"),
        _integer(disputes.get("defending"), f"{where}.defending"), bonds,
        {str(kind): _integer(count, f"{where}.sent.{kind}") for kind, count in sent.items()},
        _integer(disputes.get("failed"), f"{where}.failed"),
        _integer(disputes.get("blocked"), f"{where}.blocked"),
        _optional_text(disputes.get("error"), f"{where}.error"))


def _own_standing(own: dict[str, Any], in_set: bool) -> OwnStanding:
    where = "l1.staking.view.own"
    status = own.get("status")
    if status not in ("active", "exiting", "none"):
        raise L1StatusError(f"{where}.status: {status!r} is not active, exiting or none")
    return OwnStanding(
        signer=_text(own.get("signer"), f"{where}.signer"),
        locked=_integer(own.get("locked"), f"{where}.locked"),
        status=status,
        rewards_owed=_integer(own.get("rewards_owed"), f"{where}.rewards_owed"),
        rewards_claimable=_integer(own.get("rewards_claimable"), f"{where}.rewards_claimable"),
        withdrawable_at=_integer(own.get("withdrawable_at"), f"{where}.withdrawable_at"),
        seconds_until_withdrawable=_optional_integer(own.get("seconds_until_withdrawable"),
                                                     f"{where}.seconds_until_withdrawable"),
        can_withdraw=own.get("can_withdraw") is True,
        in_set=in_set,
    )


def _batcher(batcher: dict[str, Any]) -> BatcherProgress:
    return BatcherProgress(
        last_batch_index=_optional_integer(batcher.get("lastBatchIndex"),
                                           "l1.batcher.lastBatchIndex"),
        last_batch_l1_tx=_optional_text(batcher.get("lastBatchL1Tx"), "l1.batcher.lastBatchL1Tx"),
        last_batch_l1_block=_optional_integer(batcher.get("lastBatchL1Block"),
                                              "l1.batcher.lastBatchL1Block"),
        batches_posted=_optional_integer(batcher.get("batchesPosted"),
                                         "l1.batcher.batchesPosted"),
        l1_gas_spent=_optional_integer(batcher.get("l1GasSpent"), "l1.batcher.l1GasSpent"),
        last_posted_at=_optional_integer(batcher.get("lastPostedAt"), "l1.batcher.lastPostedAt"),
    )


def _settlement(settlement: dict[str, Any]) -> SettlementProgress:
    where = "l1.settlement"
    final = settlement.get("final")
    if final is not None and not isinstance(final, bool):
        raise L1StatusError(f"{where}.final: {_shown(final)} is not a boolean")
    dispute = settlement.get("dispute")
    if dispute not in (None, "none", "open", "lost", "defended"):
        raise L1StatusError(f"{where}.dispute: {_shown(dispute)} is not none, open, lost or "
                            "defended")
    return SettlementProgress(
        batch_index=_optional_integer(settlement.get("batchIndex"), f"{where}.batchIndex"),
        output_root=_optional_text(settlement.get("outputRoot"), f"{where}.outputRoot"),
        l2_block=_optional_integer(settlement.get("l2Block"), f"{where}.l2Block"),
        finalizable_at=_optional_integer(settlement.get("finalizableAt"),
                                         f"{where}.finalizableAt"),
        seconds_left=_optional_integer(settlement.get("secondsLeft"), f"{where}.secondsLeft"),
        final=final,
        dispute=dispute,
        portal_balance=_optional_integer(settlement.get("portalBalance"),
                                         f"{where}.portalBalance"),
        l1_block=_optional_integer(settlement.get("l1Block"), f"{where}.l1Block"),
        error=_optional_text(settlement.get("error"), f"{where}.error"),
        dispute_game=_optional_text(settlement.get("disputeGame"), f"{where}.disputeGame"),
        step_verifier_complete=_optional_boolean(settlement.get("stepVerifierComplete"),
                                                 f"{where}.stepVerifierComplete"),
    )


def _optional_boolean(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise L1StatusError(f"{name}: {_shown(value)} is not a boolean")


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise L1StatusError(f"{name}: {_shown(value)} is not an object")
    return value


def _integer(value: Any, name: str) -> int:
    """A JSON integer, a decimal string (token amounts) or a 0x quantity."""
    if isinstance(value, bool):
        raise L1StatusError(f"{name}: {value!r} is not an integer")
    if isinstance(value, int):
        if value < 0:
            raise L1StatusError(f"{name}: {value} is negative")
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.lower().startswith("0x"):
                return int(text, 16)
            if text.isdigit():
                return int(text)
        except ValueError:
            pass
    raise L1StatusError(f"{name}: {_shown(value)} is not a non-negative integer, decimal "
                        f"string or 0x quantity")


def _optional_integer(value: Any, name: str) -> int | None:
    return None if value is None else _integer(value, name)


def _optional_number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise L1StatusError(f"{name}: {_shown(value)} is not a number")
    return float(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise L1StatusError(f"{name}: {_shown(value)} is not a string")
    return value


def _optional_text(value: Any, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
