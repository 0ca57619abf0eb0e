"""The challenger/defender loop: each round reads the dispute games from L1 (and the batches
landed since the last round, ``batch_book``), asks the solver what an honest player does, and
sends it with the player's key.

Rounds keep nothing about a game (L1 is its only record), so a restart mid-game loses nothing.
Every action is logged; a step the tracer cannot give yet is logged as an error each round it
blocks (the rest of the game, clocks and resolution included, goes on). Bonds come from the
player's own key; it needs no stake in the sequencer set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ordo.challenger.batch_book import BatchBook
from ordo.challenger.game_model import (
    STATUS_LOST,
    STATUS_NAMES,
    STATUS_OPEN,
    Game,
    GameRules,
)
from ordo.challenger.honest_trace import BatchTrace, StepTraceUnavailable
from ordo.challenger.l1_game import DisputeChain, L1Moment, LandedBatch, NoDisputeGame
from ordo.challenger.positions import SPLIT_DEPTH, block_position
from ordo.challenger.solver import (
    Action,
    Blocked,
    ClaimCredit,
    Move,
    Open,
    Resolve,
    ResolveClaim,
    Step,
    credit_claims,
    describe,
    game_side,
    has_stake,
    resolutions,
    respond,
    should_open,
    void_resolutions,
)
from ordo.challenger.trace_source import TraceSource
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 2.0
ACTION_KINDS = {Open: "open", Move: "move", Step: "step", ResolveClaim: "resolve_claim",
                Resolve: "resolve", ClaimCredit: "claim_credit"}


@dataclass(frozen=True)
class GameSummary:
    """One game as ``ordo_status.l1.disputes`` shows it."""

    game_id: int
    batch_index: int
    status: str
    side: str | None
    """``challenger`` or ``defender`` for this node's honest view; None when the batch's
    blocks are not known here yet."""
    claims: int
    own_claims: int
    own_bonds: int
    """Wei this player has bonded in the game."""
    seconds_to_answer: int | None
    """Least time left on a claim this player must answer (None: nothing to answer)."""
    seconds_to_resolve: int
    """Until every clock of the game has run out (0: resolvable now)."""
    blocked: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"gameId": self.game_id, "batchIndex": self.batch_index, "status": self.status,
                "side": self.side, "claims": self.claims, "ownClaims": self.own_claims,
                "ownBonds": str(self.own_bonds), "secondsToAnswer": self.seconds_to_answer,
                "secondsToResolve": self.seconds_to_resolve, "blocked": list(self.blocked)}


@dataclass
class ChallengerStatus:
    player: bytes
    rounds: int = 0
    l1_block: int | None = None
    games: tuple[GameSummary, ...] = ()
    sent: Counter[str] = field(default_factory=Counter)
    gas_used: int = 0
    """L1 gas of the actions that landed."""
    failed: int = 0
    raced: int = 0
    """Actions another player made first (the contract refused ours as a repeat)."""
    blocked: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        open_games = [game for game in self.games if game.status == "open"]
        return {
            "player": "0x" + self.player.hex(),
            "rounds": self.rounds,
            "l1Block": self.l1_block,
            "open": len(open_games),
            "challenging": sum(1 for game in open_games if game.side == "challenger"),
            "defending": sum(1 for game in open_games if game.side == "defender"),
            "games": [game.to_json() for game in self.games],
            "sent": dict(self.sent),
            "gasUsed": self.gas_used,
            "failed": self.failed,
            "raced": self.raced,
            "blocked": self.blocked,
            "error": self.error,
        }


class ChallengerService:
    def __init__(self, chain: DisputeChain, account: LocalAccount, traces: TraceSource,
                 interval: float = DEFAULT_INTERVAL_S, receipt_timeout: float = 60.0) -> None:
        self.chain = chain
        self.account = account
        self.traces = traces
        self.interval = interval
        self.receipt_timeout = receipt_timeout
        self.state = ChallengerStatus(account.address)
        self.book = BatchBook(chain)
        self._verdicts: dict[bytes, bool] = {}
        """Header hash -> the landed root is the honest one (judged once per batch)."""
        self._lost_seen: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="challenger")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        log.info("challenger 0x%s plays the dispute game of inbox 0x%s",
                 self.account.address.hex(), self.chain.inbox.address.hex())
        while True:
            try:
                await self.round()
                self.state.error = None
            except NoDisputeGame as error:
                if self.state.error != str(error):  # once, not every round
                    log.info("challenger idle: %s", error)
                self.state.error = str(error)
            except (L1Error, OSError, TimeoutError, RuntimeError) as error:
                self.state.error = str(error)
                log.warning("challenger round failed: %s", error)
            except Exception as error:  # one bad answer must not end the player
                # An L1 answer that does not decode (a contract other than the one this node
                # was built for, say) would otherwise kill the task without a word while games
                # run out their clocks: say it loudly every round and keep trying.
                self.state.error = f"{type(error).__name__}: {error}"
                log.error("challenger round failed unexpectedly: %s", self.state.error,
                          exc_info=True)
            await asyncio.sleep(self.interval)

    async def round(self) -> list[Action]:
        """One look at L1 and the actions it calls for, sent one after another; returns the
        actions that landed."""
        rules = await self.chain.rules()
        moment = await self.chain.moment()
        planned, summaries = await self._plan(rules, moment)
        self.state.rounds += 1
        self.state.l1_block = moment.block
        self.state.games = tuple(summaries)
        landed: list[Action] = []
        stalled: set[int] = set()
        for action, line in zip(planned, describe(planned), strict=True):
            resolving = action.game_id if isinstance(action, ResolveClaim | Resolve) else None
            if resolving is not None and resolving in stalled:
                continue  # its parents' resolution needs the one that failed
            try:
                receipt = await self.chain.send(self.account, action, self.receipt_timeout)
            except L1Error as error:
                # The next round re-reads the game and decides again.
                if _done_by_another(error):
                    # Every node runs a challenger: another honest player was first.
                    self.state.raced += 1
                    log.info("challenger: %s: done by another player first (%s)", line, error)
                else:
                    self.state.failed += 1
                    log.warning("challenger: %s failed: %s", line, error)
                if resolving is not None:
                    stalled.add(resolving)
                continue
            self.state.sent[ACTION_KINDS[type(action)]] += 1
            self.state.gas_used += receipt.gas_used
            landed.append(action)
            log.info("challenger: %s (L1 block %d, gas %d)", line, receipt.block_number,
                     receipt.gas_used)
        return landed

    async def _plan(self, rules: GameRules, moment: L1Moment
                    ) -> tuple[list[Action], list[GameSummary]]:
        actions: list[Action] = []
        statuses = {game_id: await self.chain.game_status(game_id, moment.block)
                    for game_id in range(1, await self.chain.game_count(moment.block) + 1)}
        removed_from: int | None = None
        for game_id, status in statuses.items():
            if status == STATUS_LOST and game_id not in self._lost_seen:
                self._lost_seen.add(game_id)
                index = (await self.chain.read_game(game_id, moment.block)).batch_index
                removed_from = index if removed_from is None else min(removed_from, index)
        batches = await self.book.refresh(moment, removed_from)
        opened = await self._open_earliest_wrong(batches, rules, moment)
        actions.extend(opened)
        games = [await self.chain.read_game(game_id, moment.block)
                 for game_id, status in statuses.items() if status == STATUS_OPEN]
        keep = {batch.header_hash for batch in batches if not self._verdicts.get(
            batch.header_hash, False)} | {game.batch_hash for game in games}
        self._verdicts = {key: value for key, value in self._verdicts.items()
                          if key in {batch.header_hash for batch in batches}}
        retain = getattr(self.traces, "retain", None)
        if retain is not None:
            retain(keep)  # traces of right batches are not needed again
        summaries: list[GameSummary] = []
        # Earliest batch first: its loss removes the later batches, whose games then go void
        # (bonds back) instead of deciding on a start output nobody agreed.
        for game in sorted(games, key=lambda game: (game.batch_index, game.game_id)):
            if not await self.chain.batch_still_landed(game):
                # Void: an earlier batch lost. Take the bonds back (ours and anyone's).
                if has_stake(game, self.account.address):
                    actions.extend(void_resolutions(game))
                summaries.append(self._void_summary(game, rules, moment))
                continue
            trace = await self._trace_of(game, rules, moment)
            if trace is not None:
                await prepare_steps(game, trace)
            summary, moves = self._play(game, trace, rules, moment)
            summaries.append(summary)
            actions.extend(moves)
        if not any(isinstance(action, ResolveClaim | Resolve) for action in actions):
            # Each resolved subgame credits its winner: claim once resolution is done, not
            # after every level of it.
            eth, tokens = await self.chain.credits(self.account.address, moment.block)
            actions.extend(credit_claims(self.account.address, eth, tokens))
        return actions, summaries

    async def _open_earliest_wrong(self, batches: list[LandedBatch], rules: GameRules,
                                   moment: L1Moment) -> list[Action]:
        """Only the earliest wrong batch is disputed: its loss removes every later batch
        (their games would be void), docs/fault_proofs.md 6.6. Each batch is judged once."""
        for batch in batches:
            right = self._verdicts.get(batch.header_hash)
            if right is None:
                trace = await self.traces.batch_trace(batch, rules.max_step_depth)
                if trace is None:
                    return []  # not judged yet: nothing after it is judged either
                right = batch.output_root == trace.root
                self._verdicts[batch.header_hash] = right
                if not right:
                    log.warning("challenger: batch %d (L2 blocks %d..%d) landed with output "
                                "root 0x%s; the honest root is 0x%s", batch.index,
                                batch.first_block, batch.last_block, batch.output_root.hex(),
                                trace.root.hex())
            if right:
                continue
            if await self.chain.game_id_of(batch.index, batch.header_hash, moment.block) != 0:
                return []  # disputed already: played below with the other games
            trace = await self.traces.batch_trace(batch, rules.max_step_depth)
            opened = None if trace is None else should_open(
                batch.index, batch.header_hash, batch.output_root, trace, rules)
            return [] if opened is None else [opened]
        return []

    def _void_summary(self, game: Game, rules: GameRules, moment: L1Moment) -> GameSummary:
        own = [claim for claim in game.claims[1:] if claim.claimant == self.account.address]
        return GameSummary(game.game_id, game.batch_index, "void", None, len(game.claims),
                           len(own), sum(claim.bond for claim in own), None, 0)

    async def _trace_of(self, game: Game, rules: GameRules,
                        moment: L1Moment) -> BatchTrace | None:
        batch = await self.chain.batch(game.batch_index, moment.block)
        return await self.traces.batch_trace(batch, rules.max_step_depth)

    def _play(self, game: Game, trace: BatchTrace | None, rules: GameRules,
              moment: L1Moment) -> tuple[GameSummary, list[Action]]:
        moves: list[Action] = []
        blocked: tuple[Blocked, ...] = ()
        side = None
        if trace is not None:
            plan = respond(game, trace, rules, moment.timestamp)
            moves.extend(plan.actions)
            blocked = plan.blocked
            side = game_side(game, trace)
            for item in blocked:
                self.state.blocked += 1
                log.error("challenger: game %d claim %d cannot be answered: %s", item.game_id,
                          item.claim_index, item.reason)
        player = self.account.address
        if has_stake(game, player) or side == "challenger":
            moves.extend(resolutions(game, rules, moment.timestamp))
        own = [claim for claim in game.claims[1:] if claim.claimant == player]
        to_answer = [game.seconds_to_counter(action.parent_index, moment.timestamp, rules)
                     for action in plan_moves(moves)]
        summary = GameSummary(
            game.game_id, game.batch_index, STATUS_NAMES[game.status], side, len(game.claims),
            len(own), sum(claim.bond for claim in own), min(to_answer, default=None),
            max(game.seconds_to_counter(claim.index, moment.timestamp, rules)
                for claim in game.claims),
            tuple(f"claim {item.claim_index}: {item.reason}" for item in blocked))
        return summary, moves


async def prepare_steps(game: Game, trace: BatchTrace) -> None:
    """Trace, in a worker thread, every block whose step subgame the game has reached, so the
    solver's reads of the step half never run a trace on the event loop. A block that cannot
    be traced is left for the solver to report."""
    prepare = getattr(trace.steps, "prepare", None)
    blocks = {block_position(claim.position) for claim in game.claims
              if claim.depth > SPLIT_DEPTH}
    if prepare is None or not blocks:
        return
    load = getattr(trace.steps, "load", None)
    if load is not None:
        await load()  # L1 reads (the forced queue) stay on the event loop
    with contextlib.suppress(StepTraceUnavailable):
        await asyncio.to_thread(prepare, blocks)


REPEAT_REASONS = ("the same claim is already made there", "is already disputed in game",
                  "the claim is already stepped on", "the claim is already resolved",
                  "the game is resolved", "no credit for that recipient")
"""DisputeGame's refusals of something already done (by another honest node, usually)."""


def _done_by_another(error: L1Error) -> bool:
    return any(text in str(error) for text in REPEAT_REASONS)


def plan_moves(actions: list[Action]) -> list[Move]:
    return [action for action in actions if isinstance(action, Move)]
