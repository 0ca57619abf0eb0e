"""Scenarios: everything about one simulated run, drawn from its seed.

A scenario fixes the stakes, which validators are Byzantine and how, the network's loss and
delay, and the schedule of partitions and crashes. Before ``stable_at_ms`` the network is also
asynchronous: a ``slow_rate`` share of messages, and every message on a slow link (a random
set of directed links, redrawn every ``SLOW_LINK_PERIOD_MS``), take up to ``SLOW_DELAY_MS``
(longer than the first rounds' timeouts), which is what lets nodes' views of a round diverge.
The asynchronous network is also adversarial: a ``slow_decisions`` share of the messages that
tell a node a block was decided (precommits for a block, catch-up answers) are slowed, so that
one node decides while the others go on to later rounds: the case the lock rule is for.
From then on the honest validators are up and connected (losses stay, delays are bounded).
A run lasts until ``end_ms`` at least, and on to the liveness promise's deadline when the next
height is not decided by then (``liveness``: a bound computed at the heal from the round the
honest nodes had reached, a rotation of proposers and the timeouts of those rounds). The same
(seed, nodes, byzantine) always gives the same scenario.

Random faults rarely line up into the few schedules that need the lock rules; the scenarios
of an :class:`Attack` (``attack_scenario``) script those schedules instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

SLOW_DELAY_MS = 1500
LIVENESS_WINDOW_MS = 4000  # the least a run goes on after the heal (not the liveness bound)
SLOW_LINK_PERIOD_MS = 400
KINDS = ("lossy", "partition", "crash", "byzantine", "mixed")


class Attack(Enum):
    """Which adversary plays the run: random faults only, or a scripted attack (``adversary``)."""

    NONE = "none"
    LOCK = "lock"
    THIRD = "third"


class Behaviour(Enum):
    SILENT = "silent"
    EQUIVOCATE = "equivocate"
    DOUBLE_PROPOSE = "double-propose"
    UNKNOWN_VOTES = "unknown-votes"
    INVALID_PROPOSE = "invalid-propose"
    SPLIT = "split"
    LYING_PROPOSER = "lying-proposer"
    AMNESIA = "amnesia"
    CHAOS = "chaos"
    ADVERSARY = "adversary"  # honest except at the attack height, where the adversary speaks


@dataclass(frozen=True)
class Partition:
    start_ms: int
    end_ms: int
    groups: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Crash:
    node: int
    at_ms: int
    restart_ms: int


@dataclass(frozen=True)
class Scenario:
    seed: int
    kind: str
    nodes: int
    stakes: tuple[int, ...]
    byzantine: tuple[tuple[int, Behaviour], ...]
    drop_rate: float
    duplicate_rate: float
    min_delay_ms: int
    max_delay_ms: int
    slow_rate: float
    slow_links: tuple[frozenset[tuple[int, int]], ...]
    slow_decisions: float
    partitions: tuple[Partition, ...]
    crashes: tuple[Crash, ...]
    epoch_length: int
    stable_at_ms: int
    end_ms: int
    attack: Attack = Attack.NONE
    genesis_salt: int = 0
    attack_height: int = 0
    attack_groups: tuple[tuple[int, ...], ...] = ()
    check_liveness: bool = True

    @property
    def byzantine_nodes(self) -> frozenset[int]:
        return frozenset(index for index, _ in self.byzantine)

    def behaviour_of(self, node: int) -> Behaviour | None:
        for index, behaviour in self.byzantine:
            if index == node:
                return behaviour
        return None


def _draw_stakes(rng: random.Random, nodes: int) -> list[int]:
    if rng.random() < 0.5:
        return [1] * nodes
    return [rng.randint(1, 10) for _ in range(nodes)]


def _choose_byzantine(
    rng: random.Random, stakes: list[int], count: int
) -> tuple[tuple[int, Behaviour], ...]:
    """``count`` Byzantine validators; honest stakes are raised until Byzantine stake < 1/3."""
    if count == 0:
        return ()
    chosen = sorted(rng.sample(range(len(stakes)), count))
    honest = [index for index in range(len(stakes)) if index not in chosen]
    while 3 * sum(stakes[index] for index in chosen) >= sum(stakes):
        stakes[rng.choice(honest)] += 1
    behaviours = [behaviour for behaviour in Behaviour if behaviour != Behaviour.ADVERSARY]
    return tuple((index, rng.choice(behaviours)) for index in chosen)


def _draw_partitions(rng: random.Random, nodes: int, until_ms: int) -> tuple[Partition, ...]:
    partitions = []
    start = rng.randint(200, 1500)
    for _ in range(rng.randint(1, 3)):
        end = min(start + rng.randint(300, 2500), until_ms)
        if start >= end:
            break
        members = list(range(nodes))
        rng.shuffle(members)
        cut = rng.randint(1, nodes - 1)
        groups = (tuple(sorted(members[:cut])), tuple(sorted(members[cut:])))
        partitions.append(Partition(start, end, groups))
        start = end + rng.randint(100, 800)
    return tuple(partitions)


def _draw_crashes(
    rng: random.Random, nodes: int, candidates: list[int], until_ms: int
) -> tuple[Crash, ...]:
    crashes = []
    for node in rng.sample(candidates, min(len(candidates), rng.randint(1, max(1, nodes // 3)))):
        at = rng.randint(100, until_ms - 600)
        restart = rng.randint(at + 200, until_ms)
        crashes.append(Crash(node, at, restart))
    return tuple(sorted(crashes, key=lambda crash: (crash.at_ms, crash.node)))


def make_scenario(seed: int, nodes: int = 4, byzantine: int = 1) -> Scenario:
    if nodes < 1:
        raise ValueError("nodes must be at least 1")
    if byzantine < 0 or 3 * byzantine >= nodes:
        raise ValueError("byzantine validators must be fewer than a third of the nodes")
    rng = random.Random(f"ordo-sim:{seed}:{nodes}:{byzantine}")
    kind = KINDS[seed % len(KINDS)]
    stakes = _draw_stakes(rng, nodes)
    byzantine_count = byzantine if kind in ("byzantine", "mixed") else 0
    chosen = _choose_byzantine(rng, stakes, byzantine_count)
    fault_window_ms = 5000
    lossy = kind in ("lossy", "mixed") or rng.random() < 0.3
    byzantine_nodes = {index for index, _ in chosen}
    honest = [index for index in range(nodes) if index not in byzantine_nodes]
    partitions: tuple[Partition, ...] = ()
    crashes: tuple[Crash, ...] = ()
    if kind in ("partition", "mixed") and nodes > 1:
        partitions = _draw_partitions(rng, nodes, fault_window_ms)
    if kind in ("crash", "mixed"):
        crashes = _draw_crashes(rng, nodes, honest, fault_window_ms)
    return Scenario(
        seed=seed,
        kind=kind,
        nodes=nodes,
        stakes=tuple(stakes),
        byzantine=chosen,
        drop_rate=rng.uniform(0.02, 0.25) if lossy else 0.0,
        duplicate_rate=rng.uniform(0.0, 0.2) if lossy else 0.0,
        min_delay_ms=rng.randint(1, 10),
        max_delay_ms=rng.randint(15, 120),
        slow_rate=rng.choice((0.0, 0.1, 0.3, 0.5)),
        slow_decisions=rng.choice((0.0, 0.5, 0.9)),
        slow_links=tuple(
            frozenset(
                (sender, receiver)
                for sender in range(nodes)
                for receiver in range(nodes)
                if sender != receiver and rng.random() < 0.25
            )
            for _ in range(fault_window_ms // SLOW_LINK_PERIOD_MS + 1)
        ),
        partitions=partitions,
        crashes=crashes,
        epoch_length=rng.choice((3, 5, 1000)),
        stable_at_ms=fault_window_ms,
        end_ms=fault_window_ms + LIVENESS_WINDOW_MS,
    )
