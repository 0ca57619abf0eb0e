"""Where settlement stands on L1: the latest landed batch's output root, its challenge window
and dispute, and what the WithdrawalPortal holds, all read at one L1 block.

One reader serves ``ordo bridge status`` (at the head, for a user about to prove or finalize)
and the node's ``ordo_status.l1.settlement`` (at the confirmed block, through a cache, for the
dashboard and /metrics), so the CLI, the dashboard and Prometheus cannot disagree on what the
inbox says. Reading every value at one block keeps them consistent: ``final`` is the inbox's
``is_output_final`` at the very block whose timestamp is ``l1Time``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ordo.l1.abi_codec import AbiError
from ordo.l1.client import L1Client
from ordo.l1.rollup_deploy import game_at, inbox_at, queue_at
from ordo.l1.rpc_errors import L1Error, L1RpcError
from ordo.l1.verifier_completeness import decides_every_step
from ordo.l1.view_cache import CachedView, L1ViewCache

DISPUTE_STATUSES = ("none", "open", "lost", "defended")
"""RollupInbox.dispute_status, by value (DISPUTE_NONE .. DISPUTE_DEFENDED)."""


class SettlementReadError(ValueError):
    """L1 answered, but not with a block to read the view at; the message says which."""


@dataclass(frozen=True)
class LandedOutput:
    """The newest batch in the inbox, as the inbox records it."""

    index: int
    output_root: bytes
    l2_block: int
    """Its last L2 block: the block whose state the output root commits to."""
    landed_at: int
    """L1 timestamp of the block the batch landed in."""
    finalizable_at: int
    """L1 timestamp from which its output is final if undisputed."""
    dispute_status: int
    final: bool
    """The inbox's is_output_final at the view's block."""


@dataclass(frozen=True)
class SettlementView:
    l1_block: int
    l1_time: int
    """Timestamp of ``l1_block``: the L1 time every value here holds at."""
    challenge_window: int
    portal: bytes | None
    """None when the forced queue names no portal (a network deployed before withdrawals)."""
    portal_balance: int | None
    latest: LandedOutput | None
    """None while no batch has landed."""
    dispute_game: bytes | None = None
    """The DisputeGame the inbox names (``disputes``); None: none (the window alone)."""
    step_verifier_complete: bool | None = None
    """The game's step verifier's ``decides_every_step``; None without a game. False means
    INCOMPLETE_VERIFIER_NOTE holds: a liar who plays the step half can win."""

    def seconds_left(self, l1_now: int | float) -> int | float | None:
        """Time until the latest output's window ends, at L1 time ``l1_now`` (0 once over);
        None without a landed batch."""
        if self.latest is None:
            return None
        return max(0, self.latest.finalizable_at - l1_now)

    def to_json(self) -> dict[str, Any]:
        """camelCase as the rest of ``ordo_status.l1``; the balance as a decimal string (wei
        exceed JSON's safe integers). Batch fields are null while no batch has landed."""
        latest = self.latest
        return {
            "batchIndex": None if latest is None else latest.index,
            "outputRoot": None if latest is None else "0x" + latest.output_root.hex(),
            "l2Block": None if latest is None else latest.l2_block,
            "landedAt": None if latest is None else latest.landed_at,
            "finalizableAt": None if latest is None else latest.finalizable_at,
            "disputeStatus": None if latest is None else latest.dispute_status,
            "dispute": None if latest is None else DISPUTE_STATUSES[latest.dispute_status],
            "final": False if latest is None else latest.final,
            "challengeWindow": self.challenge_window,
            "l1Block": self.l1_block,
            "l1Time": self.l1_time,
            "portal": None if self.portal is None else "0x" + self.portal.hex(),
            "portalBalance": None if self.portal_balance is None else str(self.portal_balance),
            "disputeGame": None if self.dispute_game is None else "0x" + self.dispute_game.hex(),
            "stepVerifierComplete": self.step_verifier_complete,
        }


async def read_settlement(client: L1Client, inbox: bytes, queue: bytes,
                          block: int) -> SettlementView:
    """The view at L1 block ``block``. Raises L1Error when L1 cannot be reached or a contract
    reverts, SettlementReadError when L1 has no such block or no inbox or queue answers at
    those addresses."""
    header = await client.get_block(block)
    if header is None:
        raise SettlementReadError(f"L1 {client.url} has no block {block}")
    try:
        return await _read_at(client, inbox, queue, block, header.timestamp)
    except AbiError as error:
        raise SettlementReadError(
            f"no RollupInbox at 0x{inbox.hex()} or no ForcedInclusionQueue at 0x{queue.hex()} "
            f"answers at L1 block {block}: {error}") from error


async def _read_at(client: L1Client, inbox: bytes, queue: bytes, block: int,
                   l1_time: int) -> SettlementView:
    inbox_handle = inbox_at(client, inbox)
    landed, window, portal_word, game_word = await asyncio.gather(
        inbox_handle.call("next_index", block=block),
        inbox_handle.call("challenge_window", block=block),
        queue_at(client, queue).call("portal", block=block),
        inbox_handle.call("disputes", block=block))
    game = bytes.fromhex(str(game_word)[2:])
    portal = bytes.fromhex(str(portal_word)[2:])
    portal_address = None if portal == bytes(20) else portal
    balance = None if portal_address is None else await client.get_balance(portal_address,
                                                                          block)
    latest = None
    if int(landed) > 0:
        index = int(landed) - 1

        def ask(function: str, *arguments: Any) -> Awaitable[Any]:
            return inbox_handle.call(function, *arguments, block=block)

        root, last_block, landed_at, finalizable_at, dispute, final = await asyncio.gather(
            ask("output_roots", index), ask("last_block"), ask("landed_at", index),
            ask("finalizable_at", index), ask("dispute_status", index),
            ask("is_output_final", index))
        latest = LandedOutput(index, bytes(root), int(last_block), int(landed_at),
                              int(finalizable_at), int(dispute), bool(final))
    complete = await _verifier_complete(client, game, block)
    return SettlementView(block, l1_time, int(window), portal_address, balance, latest,
                          None if game == bytes(20) else game, complete)


async def _verifier_complete(client: L1Client, game: bytes, block: int) -> bool | None:
    """The game's verifier's decides_every_step; None with no game or a hook that names no
    verifier (a dispute hook other than DisputeGame)."""
    if game == bytes(20):
        return None
    try:
        verifier = str(await game_at(client, game).call("verifier", block=block))
    except (L1RpcError, AbiError):
        return None
    return await decides_every_step(client, bytes.fromhex(verifier[2:]))


def confirmed_settlement_reader(client: L1Client, inbox: bytes, queue: bytes,
                                confirmations: int) -> Callable[[], Awaitable[SettlementView]]:
    """What the node caches: the view at the newest block with ``confirmations`` blocks on it,
    the block the batcher and the staking view also take as settled (a batch a reorg may still
    drop is not shown as landed; the countdown lags by at most those few blocks)."""
    async def read() -> SettlementView:
        block = await client.confirmed_block_number(max(1, confirmations))
        if block is None:
            raise SettlementReadError(f"the L1 chain has fewer than {confirmations} blocks: "
                                      "no block is confirmed yet")
        return await read_settlement(client, inbox, queue, block)
    return read


def settlement_cache(client: L1Client, inbox: bytes, queue: bytes,
                     confirmations: int) -> L1ViewCache[SettlementView]:
    """The node's cache of the confirmed view: ordo_status answers from it at once, so a slow
    or dead L1 shows as an ``error`` next to the last good view, never as a hung request."""
    return L1ViewCache(confirmed_settlement_reader(client, inbox, queue, confirmations),
                       "settlement view", (L1Error, SettlementReadError))


UNREAD: dict[str, Any] = dict.fromkeys(SettlementView(0, 0, 0, None, None, None).to_json())
"""The fields before the first read: every key present (a stable shape), every value null
(``final`` too: not known, which is not the same as not final)."""


def settlement_status(cached: CachedView[SettlementView]) -> dict[str, Any]:
    """``ordo_status.l1.settlement``: the view's fields, its age, why the last refresh failed
    (``error``, None when it worked), and ``secondsLeft`` of the window now.

    ``secondsLeft`` counts from the view's block time plus the time since it was read: the
    view's block is a confirmed one, a few blocks behind the head, so the estimate errs late
    (never calls a window over before L1 does), and it does not freeze between refreshes.
    """
    view = cached.view
    age = cached.age_seconds
    fields = dict(UNREAD) if view is None else view.to_json()
    left = None
    if view is not None and view.latest is not None:
        left = 0 if view.latest.final else math.ceil(
            view.seconds_left(view.l1_time + (age or 0.0)) or 0)
    return {**fields, "secondsLeft": left, "ageSeconds": age, "error": cached.error}
