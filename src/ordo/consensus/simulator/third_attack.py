"""Split brain at exact thirds: the attack that a ">= 2/3" quorum cannot survive.

The Byzantine validators hold exactly a third of the stake and the honest ones are two halves
G1 and G2 of a third each. In the attack round (a Byzantine proposer's) G1 gets block A and G2
block A', each backed by the Byzantine prevotes and precommits. With quorums of > 2/3 neither
half ever sees one (a third of its own plus the Byzantine third is exactly 2/3); with ">= 2/3"
G1 decides A and G2 decides A'.
"""

from __future__ import annotations

from ordo.consensus.messages import ConsensusMessage, Proposal, ProposedValue, VoteType
from ordo.consensus.simulator.adversary import Adversary
from ordo.consensus.simulator.scenario import Scenario
from ordo.consensus.simulator.sim_node import NodeEnvironment


class ThirdAttack(Adversary):
    def __init__(self, scenario: Scenario, environment: NodeEnvironment) -> None:
        super().__init__(scenario, environment)
        self.halves = scenario.attack_groups
        self.values: list[ProposedValue] = []
        self.served: set[int] = set()

    def choose_round(self) -> int | None:
        for round_ in range(3 * len(self.environment.nodes)):
            if self.proposer_index(round_) in self.signers:
                return round_
        return None

    def allows_in_attack(
        self, sender: int, receiver: int, message: ConsensusMessage, attack_round: int
    ) -> bool:
        """In the attack round the halves do not hear each other (the other half's votes would
        only start their timers early), nor the block an honest peer re-broadcasts."""
        if message.round != attack_round:
            return True
        if isinstance(message, Proposal):
            return False
        return (sender in self.halves[0]) == (receiver in self.halves[0])

    def act(self) -> None:
        """Round r's messages, to each honest node as soon as it runs the attack height."""
        round_ = self.attack_round
        assert round_ is not None
        proposer = self.proposer_index(round_)
        if not self.values:
            self.values = [self.build(proposer, round_, nonce=2**56 + half) for half in (0, 1)]
        for half, members in enumerate(self.halves):
            value = self.values[half]
            for index, _ in self.honest_states(0, members):
                if index in self.served:
                    continue
                self.served.add(index)
                self.propose(proposer, round_, -1, value, (index,))
                self.vote(round_, VoteType.PREVOTE, value.block_hash, (index,))
                self.vote(round_, VoteType.PRECOMMIT, value.block_hash, (index,))
        if len(self.served) == len(self.halves[0]) + len(self.halves[1]):
            self.mark("split")
