"""Peer reputation: penalties lower a score, time slowly heals it, a low score earns a ban.

Scores are kept per peer id across reconnects, so disconnecting and redialling does not wipe a
misbehaving peer's record; bans expire on the injected clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ordo.network.node_key import PeerId
from ordo.network.rate_limit import Clock


@dataclass(frozen=True)
class ScoringRules:
    ban_threshold: float = -100.0
    recovery_per_second: float = 1.0
    """Points regained per second toward zero: rare mistakes fade, sustained abuse does not."""
    ban_seconds: float = 600.0

    def __post_init__(self) -> None:
        if not self.ban_threshold < 0:
            raise ValueError("ban_threshold must be negative")
        if self.recovery_per_second < 0 or self.ban_seconds < 0:
            raise ValueError("recovery_per_second and ban_seconds must not be negative")


class ScoreBook:
    def __init__(self, rules: ScoringRules, clock: Clock, capacity: int = 10_000) -> None:
        self._rules = rules
        self._clock = clock
        self._capacity = capacity
        self._scores: dict[PeerId, tuple[float, float]] = {}
        self._banned_until: dict[PeerId, float] = {}
        self.penalties: Counter[str] = Counter()

    def score(self, peer: PeerId) -> float:
        return self._current(peer, self._clock())

    def penalize(self, peer: PeerId, reason: str, penalty: float) -> bool:
        """Lower the score; True when the peer has now crossed the threshold and is banned."""
        if penalty < 0:
            raise ValueError("penalty must not be negative")
        now = self._clock()
        score = self._current(peer, now) - penalty
        self._scores[peer] = (score, now)
        self.penalties[reason] += 1
        if len(self._scores) > self._capacity:
            self._evict_healthiest()
        if score <= self._rules.ban_threshold:
            self._banned_until[peer] = now + self._rules.ban_seconds
            self._scores[peer] = (0.0, now)
            return True
        return False

    def ban(self, peer: PeerId, seconds: float | None = None) -> None:
        duration = self._rules.ban_seconds if seconds is None else seconds
        self._banned_until[peer] = self._clock() + duration

    def is_banned(self, peer: PeerId) -> bool:
        until = self._banned_until.get(peer)
        if until is None:
            return False
        if self._clock() >= until:
            del self._banned_until[peer]
            return False
        return True

    def _current(self, peer: PeerId, now: float) -> float:
        stored = self._scores.get(peer)
        if stored is None:
            return 0.0
        score, updated = stored
        healed = score + max(0.0, now - updated) * self._rules.recovery_per_second
        return min(0.0, healed)

    def _evict_healthiest(self) -> None:
        now = self._clock()
        healthiest = max(self._scores, key=lambda peer: self._current(peer, now))
        del self._scores[healthiest]
