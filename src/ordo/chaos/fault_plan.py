"""The seeded schedule of faults of one chaos run.

Pure: the same seed, duration and node count always give the same faults, so a failing run is
repeated by its seed alone (wall-clock timing still varies, the schedule does not).
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass


class FaultKind(enum.Enum):
    KILL = "kill"
    """SIGKILL a node (power cut), restart it when the fault ends."""
    PAUSE = "pause"
    """SIGSTOP a node (hung machine), SIGCONT when the fault ends."""
    PARTITION = "partition"
    """Cut every link between two groups of nodes, heal when the fault ends."""
    LATENCY = "latency"
    """Delay every byte on the links of chosen node pairs."""
    LOSS = "loss"
    """Stall or close connections at random on the links of chosen node pairs."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    start: float
    """Seconds after the load started."""
    duration: float
    nodes: tuple[int, ...] = ()
    """KILL / PAUSE: the victim. PARTITION: one side (the rest is the other side)."""
    pairs: tuple[tuple[int, int], ...] = ()
    """LATENCY / LOSS: the undirected node pairs whose links suffer."""
    delay: float = 0.0
    """LATENCY: seconds added to every chunk of bytes."""
    loss: float = 0.0
    """LOSS: probability that a chunk stalls (and sometimes the connection closes)."""

    @property
    def end(self) -> float:
        return self.start + self.duration

    def describe(self) -> str:
        if self.kind in (FaultKind.KILL, FaultKind.PAUSE):
            return f"{self.kind.value} node {self.nodes[0]} for {self.duration:.1f}s"
        if self.kind is FaultKind.PARTITION:
            return f"partition {list(self.nodes)} | rest for {self.duration:.1f}s"
        extra = (f"{self.delay * 1000:.0f}ms" if self.kind is FaultKind.LATENCY
                 else f"p={self.loss:.2f}")
        return (f"{self.kind.value} {extra} on {[list(pair) for pair in self.pairs]} "
                f"for {self.duration:.1f}s")


@dataclass(frozen=True)
class PlanShape:
    nodes: int = 4
    warmup: float = 5.0
    """Seconds of fault-free load first, so the network is seen healthy before it is hurt."""
    cooldown: float = 15.0
    """Seconds at the end with no faults, so finality can be seen to come back."""
    min_gap: float = 2.0
    max_gap: float = 6.0
    min_duration: float = 3.0
    max_duration: float = 10.0

    def __post_init__(self) -> None:
        if self.nodes < 2:
            raise ValueError(f"nodes: {self.nodes} is not allowed; a network needs at least 2")
        if not 0 < self.min_gap <= self.max_gap:
            raise ValueError(f"gaps: {self.min_gap}..{self.max_gap} is not a positive range")
        if not 0 < self.min_duration <= self.max_duration:
            raise ValueError(f"durations: {self.min_duration}..{self.max_duration} is not a "
                             "positive range")


KIND_WEIGHTS = ((FaultKind.KILL, 3), (FaultKind.PAUSE, 2), (FaultKind.PARTITION, 3),
                (FaultKind.LATENCY, 2), (FaultKind.LOSS, 2))


def plan_faults(seed: int, duration: float, shape: PlanShape | None = None) -> list[Fault]:
    """Faults one after another (never overlapping) between warm-up and cool-down.

    One fault at a time keeps every fault's effect attributable; partitions that split the
    stake in half still take the quorum away, which is the stall operators report.
    """
    shape = shape or PlanShape()
    rng = random.Random(seed)
    kinds = [kind for kind, _ in KIND_WEIGHTS]
    weights = [weight for _, weight in KIND_WEIGHTS]
    faults: list[Fault] = []
    now = shape.warmup
    last_fault_end = duration - shape.cooldown
    while True:
        length = round(rng.uniform(shape.min_duration, shape.max_duration), 2)
        if now + length > last_fault_end:
            break
        kind = rng.choices(kinds, weights)[0]
        faults.append(_fault(rng, kind, round(now, 2), length, shape.nodes))
        now += length + rng.uniform(shape.min_gap, shape.max_gap)
    return faults


def _fault(rng: random.Random, kind: FaultKind, start: float, length: float,
           nodes: int) -> Fault:
    everyone = list(range(nodes))
    if kind in (FaultKind.KILL, FaultKind.PAUSE):
        return Fault(kind, start, length, nodes=(rng.randrange(nodes),))
    if kind is FaultKind.PARTITION:
        side = sorted(rng.sample(everyone, rng.choice([1, nodes // 2])))
        return Fault(kind, start, length, nodes=tuple(side))
    all_pairs = [(a, b) for a in everyone for b in everyone if a < b]
    pairs = tuple(sorted(rng.sample(all_pairs, rng.randint(1, len(all_pairs)))))
    if kind is FaultKind.LATENCY:
        return Fault(kind, start, length, pairs=pairs, delay=round(rng.uniform(0.02, 0.4), 3))
    return Fault(kind, start, length, pairs=pairs, loss=round(rng.uniform(0.02, 0.3), 3))


def cut_links(fault: Fault, nodes: int) -> list[tuple[int, int]]:
    """The directed links a PARTITION cuts: every link crossing between its two sides."""
    side = set(fault.nodes)
    return [(a, b) for a in range(nodes) for b in range(nodes)
            if a != b and (a in side) != (b in side)]


def directed(pairs: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    return [link for a, b in pairs for link in ((a, b), (b, a))]
