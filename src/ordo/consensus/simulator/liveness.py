"""The liveness promise a run is held to, computed when the network heals.

What Tendermint (Algorithm 1) promises after the last fault, and so what Ordo promises: let H be
the time the network heals (the scenario's ``stable_at_ms``), h the lowest height no honest node
has decided yet, R the highest round an honest validator has reached at h by H, and n the number
of validators of h's epoch. Then h is decided

- in a round of at most R + n: round R is where the honest nodes get in step again (a node
  that lags joins the higher round by the skip rule, rule 8), and the next n rounds give every
  validator one proposal (``proposer(h, r) = order[(k + r) mod n]`` visits each once), among
  them the honest validator holding the highest valid round of any honest node. Its
  re-proposal, justified by the prevote quorum it re-broadcasts, is one every honest node
  prevotes for (their locked rounds are at most its valid round), so that round decides. Before
  that, an honest minority locked during the partition refuses every other value, exactly as the
  paper's lock rule wants, so a whole rotation may be needed: issue 15's seeds are such runs;
- and every honest node is past h by H + sum over r = R .. R + n of D(r), where
  D(r) = timeout_propose(r) + timeout_prevote(r) + timeout_precommit(r) + the round's allowance
  for what is not a timer (building and validating the block, and two waits for the last vote
  of a quorum, each one delay plus one re-broadcast period for a lost copy). Timeouts grow
  linearly with the round, so the later the heal finds the honest nodes, the longer the bound.

The network still loses messages after it heals, so under loss the bound holds with high
probability rather than surely (a copy can be lost twice); sweeps of many thousand seeds show
recoveries well inside it. A protocol that is stuck, or that recovers only after more than a
rotation of rounds, fails the check: see ``tests/consensus/test_consensus_liveness.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.consensus.params import ConsensusParams, Step
from ordo.consensus.simulator.invariants import InvariantViolationError
from ordo.consensus.simulator.sim_node import BUILD_MS, RESEND_MS, VALIDATE_MS, SimNode


def round_allowance_ms(max_delay_ms: int) -> int:
    """What a round takes beyond its three timers once the network is synchronous: the proposal
    is built and validated, and each of the two quorum waits (prevotes, precommits) may wait
    for a delay and one re-broadcast period (RESEND_MS plus its jitter) after a lost copy."""
    resend_ms = RESEND_MS + RESEND_MS // 5
    return BUILD_MS + VALIDATE_MS + 2 * (max_delay_ms + resend_ms)


def round_duration_ms(params: ConsensusParams, round_: int, max_delay_ms: int) -> int:
    timers = sum(params.timeout_ms(step, round_) for step in Step)
    return timers + round_allowance_ms(max_delay_ms)


def recovery_bound_ms(
    params: ConsensusParams, from_round: int, last_round: int, max_delay_ms: int
) -> int:
    """The time rounds ``from_round`` .. ``last_round`` may take, one after the other."""
    return sum(
        round_duration_ms(params, round_, max_delay_ms)
        for round_ in range(from_round, last_round + 1)
    )


def _node_view(node: SimNode) -> str:
    state = node.state
    if state is None:
        return f"node {node.index}: down at height {node.height}"
    return (
        f"node {node.index}: decided {node.height}, round {state.round} {state.step.name.lower()},"
        f" locked round {state.locked_round}, valid round {state.valid_round}"
    )


def _honest_views(nodes: list[SimNode]) -> str:
    return "; ".join(_node_view(node) for node in nodes if node.is_honest)


@dataclass(frozen=True)
class LivenessPromise:
    """What the honest nodes owe after the heal at ``heal_ms``: a decision of ``baseline + 1``
    in a round of at most ``last_round``, known to every honest node by ``deadline_ms``."""

    heal_ms: int
    baseline: int
    from_round: int
    validators: int
    last_round: int
    deadline_ms: int
    at_heal: str

    @property
    def bound_ms(self) -> int:
        return self.deadline_ms - self.heal_ms

    def is_kept(self, nodes: list[SimNode]) -> bool:
        return all(node.height > self.baseline for node in nodes if node.is_honest)

    def check(self, nodes: list[SimNode], now_ms: int) -> None:
        """Raise InvariantViolationError unless the promise is kept by ``now_ms``."""
        where = (
            f"after the heal at {self.heal_ms} ms the honest nodes were at round "
            f"{self.from_round} of height {self.baseline + 1}, with {self.validators} validators"
        )
        if not self.is_kept(nodes):
            raise InvariantViolationError(
                "liveness",
                f"{where}: height {self.baseline + 1} was due in round {self.last_round} at the "
                f"latest, by {self.deadline_ms} ms (a {self.bound_ms} ms bound), and is not "
                f"decided at {now_ms} ms. At the heal: {self.at_heal}. Now: "
                f"{_honest_views(nodes)}",
            )
        decided_round = min(
            node.decided[self.baseline][1].round for node in nodes if node.is_honest
        )
        if decided_round > self.last_round:
            raise InvariantViolationError(
                "liveness",
                f"{where}: height {self.baseline + 1} was decided in round {decided_round}, "
                f"more than a rotation of proposers after round {self.from_round} (round "
                f"{self.last_round} at the latest)",
            )


def make_promise(
    nodes: list[SimNode],
    params: ConsensusParams,
    validators: int,
    heal_ms: int,
    max_delay_ms: int,
) -> LivenessPromise:
    """The promise as the honest nodes stand at ``heal_ms``."""
    honest = [node for node in nodes if node.is_honest]
    baseline = max((node.height for node in honest), default=0)
    rounds = [
        node.state.round
        for node in honest
        if node.state is not None
        and node.state.awaiting_set is None
        and node.state.height == baseline + 1
    ]
    from_round = max(rounds, default=0)
    last_round = from_round + validators
    bound = recovery_bound_ms(params, from_round, last_round, max_delay_ms)
    return LivenessPromise(
        heal_ms=heal_ms,
        baseline=baseline,
        from_round=from_round,
        validators=validators,
        last_round=last_round,
        deadline_ms=heal_ms + bound,
        at_heal=_honest_views(nodes),
    )

