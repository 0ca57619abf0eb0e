"""Split brain at exact thirds: the attack that a ">= 2/3" quorum cannot survive.

The Byzantine validators hold exactly a third of the stake and the honest ones are two halves
G1 and G2 of a third each. In the attack round (a Byzantine proposer's) G1 gets block A and G2
block A', each backed by the Byzantine prevotes and precommits. With quorums of > 2/3 neither
half ever sees one (a third of its own plus the Byzantine third is exactly 2/3); with ">= 2/3"
G1 decides A and G2 decides A'.
"""

from __future__ import annotations

from ordo.consensus.messages import VoteType
from ordo.consensus.simulator.adversary import Adversary
from ordo.consensus.simulator.scenario import Scenario
from ordo.consensus.simulator.sim_node import NodeEnvironment


class ThirdAttack(Adversary):
    def __init__(self, scenario: Scenario, environment: NodeEnvironment) -> None:
        super().__init__(scenario, environment)
        self.halves = scenario.attack_groups
        self.done = False

    def choose_round(self) -> int | None:
        for round_ in range(3 * len(self.environment.nodes)):
            if self.proposer_index(round_) in self.signers:
                return round_
        return None

    def act(self) -> None:
        round_ = self.attack_round
        assert round_ is not None
        if self.done or not self.honest_states(round_):
            return
        self.done = True
        proposer = self.proposer_index(round_)
        for nonce, half in enumerate(self.halves):
            value = self.build(proposer, round_, nonce=2**56 + nonce)
            self.propose(proposer, round_, -1, value, half)
            self.vote(round_, VoteType.PREVOTE, value.block_hash, half)
            self.vote(round_, VoteType.PRECOMMIT, value.block_hash, half)
        self.mark("split")
