"""A deterministic network simulator for the consensus state machine.

N in-process nodes run the real :func:`ordo.consensus.step` over a seeded virtual network and
clock (delays, drops, duplicates, reordering, partitions, crashes and restarts, Byzantine
validators). Every run checks agreement, validity and liveness; a failing seed replays exactly.
"""

from ordo.consensus.simulator.run import RunResult, run_seed
from ordo.consensus.simulator.scenario import Scenario, make_scenario

__all__ = ["RunResult", "Scenario", "make_scenario", "run_seed"]
