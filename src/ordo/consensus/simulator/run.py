"""One simulated run: build the network and nodes from a scenario, play it, judge it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ordo.consensus.params import ConsensusParams
from ordo.consensus.schedule import get_epoch
from ordo.consensus.simulator.adversary import Adversary
from ordo.consensus.simulator.attack_scenario import make_attack_scenario
from ordo.consensus.simulator.identities import (
    sim_address,
    sim_epoch_validators,
    sim_genesis_hash,
    sim_private_key,
)
from ordo.consensus.simulator.invariants import InvariantViolationError, SafetyMonitor
from ordo.consensus.simulator.liveness import LivenessPromise, make_promise
from ordo.consensus.simulator.lock_attack import LockAttack
from ordo.consensus.simulator.network import VirtualNetwork
from ordo.consensus.simulator.scenario import Attack, Scenario, make_scenario
from ordo.consensus.simulator.sim_node import NodeEnvironment, SimNode
from ordo.consensus.simulator.third_attack import ThirdAttack

SIM_CHAIN_ID = 77077


@dataclass(frozen=True)
class RunResult:
    seed: int
    nodes: int
    byzantine: int
    kind: str
    ok: bool
    failure: str
    heights: tuple[int, ...]
    messages_sent: int
    evidence: int
    attack: Attack = Attack.NONE
    attack_stages: tuple[str, ...] = ()
    recovery_ms: int | None = None
    """How long after the heal every honest node was past the height then undecided (None
    when liveness is not checked or the run failed), and the bound it was held to."""
    recovery_bound_ms: int = 0

    def reproduce_command(self) -> str:
        command = (
            f"python -m ordo.consensus.simulator --seeds {self.seed} "
            f"--nodes {self.nodes} --byzantine {self.byzantine}"
        )
        if self.attack != Attack.NONE:
            command += f" --attack {self.attack.value}"
        return command


def build_scenario(seed: int, nodes: int, byzantine: int, attack: Attack) -> Scenario:
    if attack == Attack.NONE:
        return make_scenario(seed, nodes, byzantine)
    return make_attack_scenario(seed, nodes, byzantine, attack)


def sim_params(epoch_length: int) -> ConsensusParams:
    return ConsensusParams(
        chain_id=SIM_CHAIN_ID,
        epoch_length=epoch_length,
        propose_base_ms=400,
        propose_delta_ms=100,
        prevote_base_ms=200,
        prevote_delta_ms=50,
        precommit_base_ms=200,
        precommit_delta_ms=50,
    )


@dataclass
class Playback:
    """A played scenario: the nodes, the network, the judge and the adversary (if any)."""

    nodes: list[SimNode]
    network: VirtualNetwork
    monitor: SafetyMonitor
    adversary: Adversary | None
    promise: LivenessPromise | None = None
    recovered_at_ms: int | None = None


def _make_adversary(scenario: Scenario, environment: NodeEnvironment) -> Adversary | None:
    if scenario.attack == Attack.LOCK:
        return LockAttack(scenario, environment)
    if scenario.attack == Attack.THIRD:
        return ThirdAttack(scenario, environment)
    return None


def set_up(scenario: Scenario) -> Playback:
    """The network, nodes and adversary of ``scenario``, ready to play."""
    keys = [sim_private_key(index) for index in range(scenario.nodes)]
    addresses = [sim_address(index) for index in range(scenario.nodes)]
    validators_of = sim_epoch_validators(scenario.stakes, scenario.byzantine_nodes, scenario.seed,
                                         restake=scenario.attack == Attack.NONE)
    params = sim_params(scenario.epoch_length)
    genesis_hash = sim_genesis_hash(scenario.seed, scenario.genesis_salt)
    monitor = SafetyMonitor(
        validators_of,
        params.epoch_length,
        params.chain_id,
        genesis_hash,
        frozenset(addresses[index] for index in scenario.byzantine_nodes),
    )
    network = VirtualNetwork(scenario, random.Random(f"ordo-sim-network:{scenario.seed}"))
    environment = NodeEnvironment(
        network,
        params,
        validators_of,
        genesis_hash,
        monitor,
        random.Random(f"ordo-sim-nodes:{scenario.seed}"),
    )
    nodes = [
        SimNode(index, key, environment, scenario.behaviour_of(index))
        for index, key in enumerate(keys)
    ]
    environment.nodes.extend(nodes)
    adversary = _make_adversary(scenario, environment)
    if adversary is not None:
        adversary.install()
    return Playback(nodes, network, monitor, adversary)


def schedule_lifecycles(scenario: Scenario, playback: Playback) -> None:
    """Every node's start, and the scenario's crashes and restarts."""
    nodes, network = playback.nodes, playback.network
    for node in nodes:
        network.schedule(node.index, node.start)
    for crash in scenario.crashes:
        network.schedule(crash.at_ms, nodes[crash.node].crash)
        network.schedule(crash.restart_ms, nodes[crash.node].start)


def play_out(scenario: Scenario, playback: Playback) -> None:
    """Run the set-up ``playback``; raises InvariantViolationError as soon as a property
    breaks."""
    nodes, network = playback.nodes, playback.network
    schedule_lifecycles(scenario, playback)
    network.run_until(scenario.stable_at_ms)
    if scenario.check_liveness:
        promise = make_liveness_promise(scenario, playback)
        playback.promise = promise
        # until the promise is kept (or its deadline passes), then on to the scenario's end
        network.run_until(promise.deadline_ms, stop=lambda: promise.is_kept(nodes))
        promise.check(nodes, network.now_ms)
        playback.recovered_at_ms = network.now_ms
    if network.now_ms < scenario.end_ms:
        network.run_until(scenario.end_ms)


def make_liveness_promise(scenario: Scenario, playback: Playback) -> LivenessPromise:
    """What the honest nodes owe once ``scenario`` heals, from where they stand then."""
    environment = playback.nodes[0].environment
    baseline = max((node.height for node in playback.nodes if node.is_honest), default=0)
    epoch = get_epoch(baseline + 1, environment.params.epoch_length)
    return make_promise(
        playback.nodes,
        environment.params,
        len(environment.validators_of(epoch)),
        scenario.stable_at_ms,
        scenario.max_delay_ms,
    )


def play(scenario: Scenario) -> Playback:
    playback = set_up(scenario)
    play_out(scenario, playback)
    return playback


def run_seed(
    seed: int, nodes: int = 4, byzantine: int = 1, attack: Attack = Attack.NONE
) -> RunResult:
    scenario = build_scenario(seed, nodes, byzantine, attack)
    failure = ""
    playback = set_up(scenario)
    try:
        play_out(scenario, playback)
    except InvariantViolationError as violation:
        failure = str(violation)
    sim_nodes = playback.nodes if not failure else []
    promise = playback.promise
    recovery_ms = None
    if not failure and promise is not None and playback.recovered_at_ms is not None:
        recovery_ms = playback.recovered_at_ms - promise.heal_ms
    return RunResult(
        seed=seed,
        nodes=nodes,
        byzantine=byzantine,
        kind=scenario.kind,
        ok=not failure,
        failure=failure,
        heights=tuple(node.height for node in sim_nodes),
        messages_sent=playback.network.sent if not failure else 0,
        evidence=playback.monitor.evidence_count if not failure else 0,
        attack=attack,
        attack_stages=tuple(playback.adversary.stages) if playback.adversary else (),
        recovery_ms=recovery_ms,
        recovery_bound_ms=promise.bound_ms if promise is not None else 0,
    )
