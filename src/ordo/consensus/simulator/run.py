"""One simulated run: build the network and nodes from a scenario, play it, judge it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from eth_hash.auto import keccak

from ordo.consensus.params import ConsensusParams
from ordo.consensus.signing import LocalSigner
from ordo.consensus.simulator.invariants import InvariantViolationError, SafetyMonitor
from ordo.consensus.simulator.network import VirtualNetwork
from ordo.consensus.simulator.scenario import Scenario, make_scenario
from ordo.consensus.simulator.sim_node import NodeEnvironment, SimNode
from ordo.consensus.validator_set import Validator, ValidatorSet

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

    def reproduce_command(self) -> str:
        return (
            f"python -m ordo.consensus.simulator --seeds {self.seed} "
            f"--nodes {self.nodes} --byzantine {self.byzantine}"
        )


def sim_private_key(index: int) -> bytes:
    return keccak(f"ordo-sim-validator-{index}".encode())


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


def _check_liveness(nodes: list[SimNode], baseline: int, scenario: Scenario) -> None:
    for node in nodes:
        if node.is_honest and node.height <= baseline:
            raise InvariantViolationError(
                "liveness",
                f"node {node.index} at height {node.height}, not past {baseline} (the highest "
                f"height at {scenario.stable_at_ms} ms) by {scenario.end_ms} ms",
            )


def play(scenario: Scenario) -> tuple[list[SimNode], VirtualNetwork, SafetyMonitor]:
    """Play ``scenario``; raises InvariantViolationError as soon as a property breaks."""
    keys = [sim_private_key(index) for index in range(scenario.nodes)]
    addresses = [LocalSigner(key).address for key in keys]
    validators = ValidatorSet.of(
        Validator(address, stake) for address, stake in zip(addresses, scenario.stakes, strict=True)
    )
    params = sim_params(scenario.epoch_length)
    genesis_hash = keccak(f"ordo-sim-genesis-{scenario.seed}".encode())
    monitor = SafetyMonitor(
        validators,
        params.chain_id,
        genesis_hash,
        frozenset(addresses[index] for index in scenario.byzantine_nodes),
    )
    network = VirtualNetwork(scenario, random.Random(f"ordo-sim-network:{scenario.seed}"))
    environment = NodeEnvironment(
        network,
        params,
        validators,
        genesis_hash,
        monitor,
        random.Random(f"ordo-sim-nodes:{scenario.seed}"),
    )
    nodes = [
        SimNode(index, key, environment, scenario.behaviour_of(index))
        for index, key in enumerate(keys)
    ]
    environment.nodes.extend(nodes)
    for node in nodes:
        network.schedule(node.index, node.start)
    for crash in scenario.crashes:
        network.schedule(crash.at_ms, nodes[crash.node].crash)
        network.schedule(crash.restart_ms, nodes[crash.node].start)
    network.run_until(scenario.stable_at_ms)
    baseline = max((node.height for node in nodes if node.is_honest), default=0)
    network.run_until(scenario.end_ms)
    _check_liveness(nodes, baseline, scenario)
    return nodes, network, monitor


def run_seed(seed: int, nodes: int = 4, byzantine: int = 1) -> RunResult:
    scenario = make_scenario(seed, nodes, byzantine)
    failure = ""
    sim_nodes: list[SimNode] = []
    sent = evidence = 0
    try:
        sim_nodes, network, monitor = play(scenario)
        sent, evidence = network.sent, monitor.evidence_count
    except InvariantViolationError as violation:
        failure = str(violation)
    return RunResult(
        seed=seed,
        nodes=nodes,
        byzantine=byzantine,
        kind=scenario.kind,
        ok=not failure,
        failure=failure,
        heights=tuple(node.height for node in sim_nodes),
        messages_sent=sent,
        evidence=evidence,
    )
