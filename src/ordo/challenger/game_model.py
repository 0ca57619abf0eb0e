"""A dispute game as read from L1 at one block: its rules, its claims and their clocks.

Frozen values with no I/O: ``l1_game`` fills them from DisputeGame's views, the solver decides
from them, the CLI prints them. The clock arithmetic is the contract's
(``_challenger_duration``), so "can this claim still be countered" is answered the same way on
both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.challenger.positions import SPLIT_DEPTH, depth

ZERO_ADDRESS = bytes(20)
STATUS_NONE, STATUS_OPEN, STATUS_LOST, STATUS_DEFENDED, STATUS_VOID = 0, 1, 2, 3, 4
STATUS_NAMES = ("none", "open", "lost", "defended", "void")
"""DisputeGame's statuses; void: the batch left the inbox (an earlier batch lost) first."""


@dataclass(frozen=True)
class GameRules:
    """The game contract's constants (the same for every game it holds)."""

    max_game_depth: int
    max_clock_duration: int
    clock_extension: int
    bonds: tuple[int, ...]
    """``bonds[d]`` is ``required_bond(d)`` for d in 1..max_game_depth; ``bonds[0]`` is 0."""
    split_depth: int = SPLIT_DEPTH
    challenge_window: int = 0
    """The inbox's window: the root may be attacked, and is not resolved, before
    ``landed_at + challenge_window`` whatever its own clock says (DisputeGame.resolve_claim)."""

    def __post_init__(self) -> None:
        if len(self.bonds) != self.max_game_depth + 1:
            raise ValueError(f"bonds: {len(self.bonds)} values for depths 0..{self.max_game_depth}")

    @property
    def max_step_depth(self) -> int:
        return self.max_game_depth - self.split_depth - 1

    def bond(self, at_depth: int) -> int:
        if not 1 <= at_depth <= self.max_game_depth:
            raise ValueError(f"no claim at depth {at_depth} (1..{self.max_game_depth})")
        return self.bonds[at_depth]


@dataclass(frozen=True)
class Claim:
    index: int
    parent_index: int
    countered_by: bytes
    claimant: bytes
    bond: int
    value: bytes
    position: int
    clock_duration: int
    clock_timestamp: int
    resolved: bool = False

    @property
    def depth(self) -> int:
        return depth(self.position)

    @property
    def is_root(self) -> bool:
        return self.index == 0

    @property
    def stepped_on(self) -> bool:
        """Countered by ``step`` (for a claim at the max depth before resolution) or, once
        resolved, by the winner of its subgame."""
        return self.countered_by != ZERO_ADDRESS


@dataclass(frozen=True)
class Game:
    game_id: int
    batch_index: int
    batch_hash: bytes
    root_claim: bytes
    start_root: bytes
    inputs_root: bytes
    block_count: int
    status: int
    claims: tuple[Claim, ...]
    landed_at: int = 0
    """L1 time the batch landed (0 where the contract does not record it in the game)."""

    @property
    def is_open(self) -> bool:
        return self.status == STATUS_OPEN

    def children(self, index: int) -> tuple[Claim, ...]:
        return tuple(claim for claim in self.claims[1:] if claim.parent_index == index)

    def used_clock(self, index: int, now: int, rules: GameRules) -> int:
        """Seconds the side that would counter claim ``index`` has used along its path, capped
        at the max clock: DisputeGame._challenger_duration at L1 time ``now``."""
        subject = self.claims[index]
        used = 0 if index == 0 else self.claims[subject.parent_index].clock_duration
        used += max(0, now - subject.clock_timestamp)
        return min(used, rules.max_clock_duration)

    def can_counter(self, index: int, now: int, rules: GameRules) -> bool:
        if index == 0 and now < self.landed_at + rules.challenge_window:
            return True
        return self.used_clock(index, now, rules) < rules.max_clock_duration

    def seconds_to_counter(self, index: int, now: int, rules: GameRules) -> int:
        """Seconds left to counter claim ``index`` (0 once its clock ran out)."""
        left = rules.max_clock_duration - self.used_clock(index, now, rules)
        if index == 0:
            left = max(left, self.landed_at + rules.challenge_window - now)
        return left
