"""What an honest player does next in a dispute game: a pure function of the game as read from
L1, the honest trace and the player's address.

The rule is op-challenger's (OP's honest challenger): a claim is *honest* when it is the root
and agrees with the honest trace, or when it is exactly the honest answer (position and value)
to a claim the honest player answers, whoever made it. The player answers a claim only if it is
not honest and its parent is honest (or it is the root): it attacks a claim it disagrees with
and defends one it agrees with, with the honest value at the new position; at the max depth it
counters by ``step``. It never answers an honest claim (its own included), so it never plays
against itself, and several honest players (every node runs one) make the same moves: the
contract refuses the duplicate, nothing is lost. Claims below a dishonest parent are left
alone: the honest answer to that parent already wins its subgame whatever happens below.

Because the decision is recomputed from the whole tree each time, a restarted player continues
exactly where it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ordo.challenger.game_model import ZERO_ADDRESS, Claim, Game, GameRules
from ordo.challenger.honest_trace import BatchTrace, StepTraceUnavailable
from ordo.challenger.positions import (
    SPLIT_DEPTH,
    attack_position,
    block_position,
    defend_position,
    depth,
    step_index,
)


@dataclass(frozen=True)
class Open:
    """Dispute batch ``batch_index``'s root: attack it at position 2 with ``claim``."""

    batch_index: int
    batch_hash: bytes
    claim: bytes
    bond: int


@dataclass(frozen=True)
class Move:
    game_id: int
    batch_hash: bytes
    parent_index: int
    disputed: bytes
    claim: bytes
    is_attack: bool
    bond: int
    position: int


@dataclass(frozen=True)
class Step:
    game_id: int
    batch_hash: bytes
    claim_index: int
    is_attack: bool
    witness: bytes


@dataclass(frozen=True)
class ResolveClaim:
    game_id: int
    claim_index: int


@dataclass(frozen=True)
class Resolve:
    game_id: int
    root_lost: bool
    """True when the root was countered: the call needs the batch's signer list."""


@dataclass(frozen=True)
class ClaimCredit:
    recipient: bytes


Action = Open | Move | Step | ResolveClaim | Resolve | ClaimCredit


@dataclass(frozen=True)
class Blocked:
    """A claim the honest player must answer and cannot yet: why, for the log."""

    game_id: int
    claim_index: int
    reason: str


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    blocked: tuple[Blocked, ...] = field(default=())


def should_open(batch_index: int, batch_hash: bytes, landed_root: bytes, trace: BatchTrace,
                rules: GameRules) -> Open | None:
    """Open a game against a landed batch whose output root is not the honest one."""
    if landed_root == trace.root:
        return None
    position = attack_position(1)
    return Open(batch_index, batch_hash, trace.value(position, rules.max_game_depth),
                rules.bond(depth(position)))


def honest_flags(game: Game, trace: BatchTrace, rules: GameRules) -> tuple[bool, ...]:
    """For each claim: is it honest (the agreed root, or the honest answer to a claim the
    honest player answers)? Claims come parent first, so one pass decides them all. A claim
    whose honest value needs the step tracer is taken as not honest only if its value is
    known to differ; when it cannot be computed it is not honest (never assumed right)."""
    flags: list[bool] = []
    for claim in game.claims:
        if claim.is_root:
            flags.append(claim.value == trace.root)
            continue
        parent = game.claims[claim.parent_index]
        answered = not flags[parent.index] and (parent.is_root or
                                                flags[parent.parent_index])
        flags.append(answered and _is_honest_answer(parent, claim, trace, rules))
    return tuple(flags)


def _is_honest_answer(parent: Claim, claim: Claim, trace: BatchTrace, rules: GameRules) -> bool:
    try:
        expected = _answer_position(parent, trace, rules)
        if expected is None or claim.position != expected:
            return False
        return claim.value == trace.value(expected, rules.max_game_depth)
    except StepTraceUnavailable:
        return False


def _agrees(claim: Claim, trace: BatchTrace, rules: GameRules) -> bool:
    """Raises StepTraceUnavailable for a step claim whose state the tracer cannot give."""
    return claim.value == trace.value(claim.position, rules.max_game_depth)


def _answer_position(parent: Claim, trace: BatchTrace, rules: GameRules) -> int | None:
    """Where the honest player answers ``parent`` with a claim (None: it is not answered by a
    claim, being at the max depth or a root the player agrees with)."""
    if parent.depth >= rules.max_game_depth:
        return None
    if _agrees(parent, trace, rules):
        if parent.is_root:
            return None
        return defend_position(parent.position)
    return attack_position(parent.position)


def respond(game: Game, trace: BatchTrace, rules: GameRules, now: int) -> Plan:
    """The moves and steps the honest player makes in ``game`` at L1 time ``now``."""
    if not game.is_open:
        return Plan()
    flags = honest_flags(game, trace, rules)
    existing = {(claim.parent_index, claim.position, claim.value) for claim in game.claims[1:]}
    answered = [False] * len(game.claims)
    for claim in game.claims[1:]:
        if flags[claim.index]:
            answered[claim.parent_index] = True
    actions: list[Action] = []
    blocked: list[Blocked] = []
    for claim in game.claims:
        if flags[claim.index]:
            continue  # never answer an honest claim, ours or another honest player's
        if not claim.is_root and not flags[claim.parent_index]:
            continue  # below a dishonest claim: its honest answer already decides this subgame
        if claim.depth >= rules.max_game_depth and claim.stepped_on:
            continue
        if not game.can_counter(claim.index, now, rules):
            if not answered[claim.index]:
                blocked.append(Blocked(game.game_id, claim.index, "its clock ran out before "
                                       "it was answered"))
            continue
        try:
            action = _answer(game, claim, trace, rules, existing)
        except StepTraceUnavailable as error:
            blocked.append(Blocked(game.game_id, claim.index, str(error)))
            continue
        if action is not None:
            actions.append(action)
    return Plan(tuple(actions), tuple(blocked))


def _answer(game: Game, claim: Claim, trace: BatchTrace, rules: GameRules,
            existing: set[tuple[int, int, bytes]]) -> Action | None:
    agree = _agrees(claim, trace, rules)
    if claim.depth >= rules.max_game_depth:
        return _step(game, claim, trace, rules, attack=not agree)
    if agree and claim.is_root:
        return None
    if agree and claim.depth == SPLIT_DEPTH + 1:
        # A true step subgame root cannot be defended and needs no answer
        # (docs/fault_proofs.md 6.6); the game's rules keep one from countering an honest
        # output claim anyway (6.2).
        return None
    position = defend_position(claim.position) if agree else attack_position(claim.position)
    value = trace.value(position, rules.max_game_depth)
    if (claim.index, position, value) in existing:
        return None  # already made, by us before a restart or by another honest player
    return Move(game.game_id, game.batch_hash, claim.index, claim.value, value, not agree,
                rules.bond(depth(position)), position)


def _step(game: Game, claim: Claim, trace: BatchTrace, rules: GameRules, attack: bool) -> Step:
    """An attack runs the step into the claimed state (from the state before it); a defence
    runs the step out of it."""
    block = block_position(claim.position)
    state = step_index(claim.position, rules.max_game_depth)
    witness = trace.witness(block, state - 1 if attack else state)
    return Step(game.game_id, game.batch_hash, claim.index, attack, witness)


def resolutions(game: Game, rules: GameRules, now: int) -> tuple[Action, ...]:
    """Every ``resolve_claim`` that will succeed when sent in this order (children before
    parents: a claim is ready when its clock ran out and every child is resolved or ready),
    then ``resolve`` once the root is. One round resolves the whole game."""
    if not game.is_open:
        return ()
    children = _children(game)
    ready = [False] * len(game.claims)
    for claim in reversed(game.claims):
        ready[claim.index] = claim.resolved or (
            not game.can_counter(claim.index, now, rules)
            and all(ready[child] for child in children[claim.index]))
    pending = sorted((claim for claim in game.claims if ready[claim.index] and not claim.resolved),
                     key=lambda claim: (-claim.depth, claim.index))
    actions: list[Action] = [ResolveClaim(game.game_id, claim.index) for claim in pending]
    if ready[0]:
        actions.append(Resolve(game.game_id, root_lost=countered(game)[0]))
    return tuple(actions)


def void_resolutions(game: Game) -> tuple[Action, ...]:
    """A game whose batch left the inbox is void (docs/fault_proofs.md 6.5): each
    ``resolve_claim`` returns that claim's bond to its claimant at once, in any order, and
    must come before ``resolve`` (which closes the game to ``resolve_claim``)."""
    if not game.is_open:
        return ()
    return (*(ResolveClaim(game.game_id, claim.index) for claim in game.claims
              if not claim.resolved),
            Resolve(game.game_id, root_lost=False))


def countered(game: Game) -> tuple[bool, ...]:
    """The contract's verdict on each claim once everything is resolved: countered when
    stepped on or when any child stands uncountered (a resolved claim records its winner)."""
    children = _children(game)
    verdict = [False] * len(game.claims)
    for claim in reversed(game.claims):
        if claim.resolved:
            verdict[claim.index] = claim.stepped_on
        else:
            verdict[claim.index] = claim.stepped_on or any(
                not verdict[child] for child in children[claim.index])
    return tuple(verdict)


def _children(game: Game) -> list[list[int]]:
    children: list[list[int]] = [[] for _ in game.claims]
    for claim in game.claims[1:]:
        children[claim.parent_index].append(claim.index)
    return children


def has_stake(game: Game, player: bytes) -> bool:
    """The player bonded a claim in ``game`` (so resolving it pays the player)."""
    return any(claim.claimant == player for claim in game.claims[1:])


def credit_claims(player: bytes, eth_credit: int, token_credit: int) -> tuple[ClaimCredit, ...]:
    return (ClaimCredit(player),) if eth_credit > 0 or token_credit > 0 else ()


def game_side(game: Game, trace: BatchTrace) -> str:
    """``defender`` when the honest player stands behind the root, else ``challenger``."""
    return "defender" if game.root_claim == trace.root else "challenger"


def describe(actions: Iterable[Action]) -> list[str]:
    """One line per action for the log."""
    return [_describe(action) for action in actions]


def _describe(action: Action) -> str:
    if isinstance(action, Open):
        return (f"open a game against batch {action.batch_index} (root attacked with "
                f"0x{action.claim.hex()}, bond {action.bond} wei)")
    if isinstance(action, Move):
        kind = "attack" if action.is_attack else "defend"
        return (f"game {action.game_id}: {kind} claim {action.parent_index} at position "
                f"{action.position} with 0x{action.claim.hex()} (bond {action.bond} wei)")
    if isinstance(action, Step):
        kind = "attack" if action.is_attack else "defend"
        return f"game {action.game_id}: step ({kind}) against claim {action.claim_index}"
    if isinstance(action, ResolveClaim):
        return f"game {action.game_id}: resolve claim {action.claim_index}"
    if isinstance(action, Resolve):
        outcome = "lost" if action.root_lost else "defended"
        return f"game {action.game_id}: resolve the game (root {outcome})"
    return f"claim the credit of 0x{action.recipient.hex()}"


__all__ = ["ZERO_ADDRESS", "Action", "Blocked", "ClaimCredit", "Move", "Open", "Plan",
           "Resolve", "ResolveClaim", "Step", "countered", "credit_claims", "describe", "game_side",
           "has_stake", "honest_flags", "resolutions", "respond", "should_open",
           "void_resolutions"]
