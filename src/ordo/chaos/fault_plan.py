"""The seeded schedule of faults of one chaos run.

Pure: the same seed, duration and node count always give the same faults, so a failing run is
repeated by its seed alone (wall-clock timing still varies, the schedule does not).
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, replace


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
    L1_DOWN = "l1_down"
    """Cut every node's link to the L1 endpoint (a proxy in front of it), heal when it ends."""
    L1_REORG = "l1_reorg"
    """Replace the L1's newest blocks, deeper than the genesis's confirmation depth (anvil)."""
    POSTER_KILL = "poster_kill"
    """SIGKILL the node that is posting a batch, at one point of its posting, restart it."""
    DISK_FULL = "disk_full"
    """Fill the small file system under one node's data directory, free it when it ends."""
    HOST_CUT = "host_cut"
    """Take one host's network link down (hosts in network namespaces): peers, L1, clients."""


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
    point: str = ""
    """POSTER_KILL: where in the posting the poster dies (one of POSTER_KILL_POINTS)."""
    depth: int = 0
    """L1_REORG: how many of the L1's newest blocks are replaced."""

    @property
    def end(self) -> float:
        return self.start + self.duration

    def describe(self) -> str:
        if self.kind is FaultKind.POSTER_KILL:
            return f"kill the poster ({self.point}) for {self.duration:.1f}s"
        if self.kind is FaultKind.L1_REORG:
            return f"L1 reorg {self.depth} blocks deep, then {self.duration:.1f}s"
        if self.kind is FaultKind.L1_DOWN:
            return f"L1 endpoint down for {self.duration:.1f}s"
        if self.kind is FaultKind.DISK_FULL:
            return f"disk full under node {self.nodes[0]} for {self.duration:.1f}s"
        if self.kind in (FaultKind.KILL, FaultKind.PAUSE, FaultKind.HOST_CUT):
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
    l1_kinds: tuple[FaultKind, ...] = ()
    """Faults that need a network on an L1 (L1_DOWN, L1_REORG, POSTER_KILL, DISK_FULL) or
    hosts of their own (HOST_CUT) the plan may draw besides the genesis-only ones."""
    only: tuple[FaultKind, ...] = ()
    """If given, exactly these kinds, in this order and then again (a short run that must
    cover each); else kinds are drawn by weight."""
    l1_down: tuple[float, float] = (20.0, 40.0)
    """Seconds an L1_DOWN lasts: tens of seconds, longer than any single L1 request's retry."""

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
L1_KIND_WEIGHT = 2
POSTER_KILL_POINTS = ("building", "sent", "accepted")
"""Where in its posting the poster dies: while its batch gathers signatures (nothing sent), with
its batch transaction in the L1's pool, or with the batch accepted at the L1 head but not yet
seen confirmed by the poster."""
REORG_DEPTHS = (3, 6)
"""An L1_REORG replaces this many blocks (inclusive range): deeper than the devnet's 2
confirmations, shallower than the chaos anvil's finality (l1_chain.ANVIL_SLOTS_PER_EPOCH)."""


def plan_faults(seed: int, duration: float, shape: PlanShape | None = None) -> list[Fault]:
    """Faults one after another (never overlapping) between warm-up and cool-down.

    One fault at a time keeps every fault's effect attributable; partitions that split the
    stake in half still take the quorum away, which is the stall operators report.
    """
    shape = shape or PlanShape()
    rng = random.Random(seed)
    weighted = [*KIND_WEIGHTS, *((kind, L1_KIND_WEIGHT) for kind in shape.l1_kinds)]
    kinds = [kind for kind, _ in weighted]
    weights = [weight for _, weight in weighted]
    faults: list[Fault] = []
    now = shape.warmup
    last_fault_end = duration - shape.cooldown
    while True:
        length = round(rng.uniform(shape.min_duration, shape.max_duration), 2)
        if shape.only:
            kind = shape.only[len(faults) % len(shape.only)]
        else:
            kind = rng.choices(kinds, weights)[0]
        if kind is FaultKind.L1_DOWN:
            length = round(rng.uniform(*shape.l1_down), 2)
        if now + length > last_fault_end:
            break
        fault = _fault(rng, kind, round(now, 2), length, shape.nodes)
        if kind is FaultKind.POSTER_KILL:  # every point in turn, whatever the seed
            earlier = sum(1 for planned in faults if planned.kind is FaultKind.POSTER_KILL)
            fault = replace(fault, point=POSTER_KILL_POINTS[earlier % len(POSTER_KILL_POINTS)])
        faults.append(fault)
        now += length + rng.uniform(shape.min_gap, shape.max_gap)
    return faults


def _fault(rng: random.Random, kind: FaultKind, start: float, length: float,
           nodes: int) -> Fault:
    everyone = list(range(nodes))
    if kind in (FaultKind.KILL, FaultKind.PAUSE, FaultKind.HOST_CUT):
        return Fault(kind, start, length, nodes=(rng.randrange(nodes),))
    if kind is FaultKind.POSTER_KILL:
        return Fault(kind, start, length, point=POSTER_KILL_POINTS[0])
    if kind is FaultKind.L1_REORG:
        return Fault(kind, start, length, depth=rng.randint(*REORG_DEPTHS))
    if kind is FaultKind.DISK_FULL:
        return Fault(kind, start, length, nodes=(nodes - 1,))
    if kind is FaultKind.L1_DOWN:
        return Fault(kind, start, length)
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
