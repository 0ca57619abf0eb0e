"""A deterministic network simulator for the consensus state machine.

N in-process nodes run the real :func:`ordo.consensus.step` over a seeded virtual network and
clock (delays, drops, duplicates, reordering, partitions, crashes and restarts, Byzantine
validators). Every run checks agreement, validity and liveness; a failing seed replays exactly.
Scripted attacks (``Attack.LOCK``, ``Attack.THIRD``) put an omniscient adversary in charge of
the Byzantine validators and the network, to play the schedules that random faults rarely hit.
"""

from ordo.consensus.simulator.attack_scenario import make_attack_scenario
from ordo.consensus.simulator.run import RunResult, run_seed
from ordo.consensus.simulator.scenario import Attack, Scenario, make_scenario

__all__ = ["Attack", "RunResult", "Scenario", "make_attack_scenario", "make_scenario", "run_seed"]
