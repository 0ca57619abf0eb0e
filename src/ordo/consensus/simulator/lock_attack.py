"""The classic counterexample to Tendermint without locks, played on purpose.

Attack round r (the round before a Byzantine proposer's turn): value A reaches the deciders D
and the lockers L but never the unaware U, who prevote nil. The Byzantine validators Z prevote
A to D and L only, and precommit A to D only. So D and L see a prevote quorum for A (they lock
and precommit A), D alone sees a precommit quorum (it decides A), and nobody else can decide A:
D's later messages and its catch-up answers are kept back until the network stabilises.

Round r + 1: a Byzantine validator proposes a new block B. As each of L and U enters the round,
U gets B as a fresh proposal (valid round -1); L first gets B as a re-proposal claiming valid
round r (for which there is no prevote quorum for B), then, once it could have judged that one,
B as a fresh proposal. Z prevotes and precommits B to both. L + U + Z is a quorum: if the
lockers prevote B (no lock taken, rule 1 ignoring the lock, rule 2 without its quorum check),
L and U decide B while D decided A. With the rules intact L prevotes nil and nothing happens.
"""

from __future__ import annotations

from ordo.consensus.messages import NIL, ConsensusMessage, Proposal, ProposedValue, VoteType
from ordo.consensus.simulator.adversary import Adversary
from ordo.consensus.simulator.scenario import Scenario
from ordo.consensus.simulator.sim_node import VALIDATE_MS, NodeEnvironment

FOLLOW_UP_MS = VALIDATE_MS + 25  # the re-proposal has been validated and judged by then


class LockAttack(Adversary):
    def __init__(self, scenario: Scenario, environment: NodeEnvironment) -> None:
        super().__init__(scenario, environment)
        self.deciders, self.lockers, self.unaware = scenario.attack_groups
        self.value_a: ProposedValue | None = None
        self.value_b: ProposedValue | None = None
        self.split: set[int] = set()
        self.tempted: set[int] = set()

    def choose_round(self) -> int | None:
        for round_ in range(3 * len(self.environment.nodes)):
            if (
                self.proposer_index(round_ + 1) in self.signers
                and self.proposer_index(round_) not in self.unaware
            ):
                return round_
        return None

    def allows_in_attack(
        self, sender: int, receiver: int, message: ConsensusMessage, attack_round: int
    ) -> bool:
        """U never sees A; B reaches L and U only from the adversary, in its order (an honest
        peer re-broadcasting its round's proposals could hand L the fresh B first)."""
        if not isinstance(message, Proposal):
            return True
        if message.round == attack_round:
            return receiver not in self.unaware
        return message.round != attack_round + 1

    def act(self) -> None:
        attack_round = self.attack_round
        assert attack_round is not None
        if self.value_a is None:
            self.value_a = self._find_value_a(attack_round)
        if self.value_a is not None:
            self._split(attack_round, self.value_a)
            self._check_decision()
            self._tempt(attack_round + 1)

    def _find_value_a(self, round_: int) -> ProposedValue | None:
        """A: the Byzantine proposer's own block, or the honest proposer's once it is built."""
        proposer = self.proposer_index(round_)
        if proposer in self.signers:
            return self.build(proposer, round_, nonce=2**58 + round_)
        state = self.environment.nodes[proposer].state
        if state is None or state.height != self.height:
            return None
        for proposal in state.proposals.get(round_, ()):
            if proposal.proposer == state.address and proposal.valid_round == -1:
                return proposal.value
        return None

    def _split(self, round_: int, value: ProposedValue) -> None:
        """Round r's messages, to each honest node as soon as it runs the attack height."""
        proposer = self.proposer_index(round_)
        honest = self.deciders + self.lockers + self.unaware
        for index, _ in self.honest_states(0, honest):
            if index in self.split:
                continue
            self.split.add(index)
            if index in self.unaware:
                self.vote(round_, VoteType.PREVOTE, NIL, (index,))
                self.vote(round_, VoteType.PRECOMMIT, NIL, (index,))
                continue
            if proposer in self.signers:
                self.propose(proposer, round_, -1, value, (index,))
            self.vote(round_, VoteType.PREVOTE, value.block_hash, (index,))
            decides = index in self.deciders
            self.vote(round_, VoteType.PRECOMMIT, value.block_hash if decides else NIL, (index,))
        if len(self.split) == len(honest):
            self.mark("split")

    def _check_decision(self) -> None:
        assert self.value_a is not None
        for index in self.deciders:
            decided = self.environment.nodes[index].decided
            if len(decided) >= self.height and (
                decided[self.height - 1][0].block_hash == self.value_a.block_hash
            ):
                self.mark("decided")

    def _tempt(self, round_: int) -> None:
        proposer = self.proposer_index(round_)
        for index, _ in self.honest_states(round_, self.lockers + self.unaware):
            if index in self.tempted:
                continue
            self.tempted.add(index)
            if self.value_b is None:
                self.value_b = self.build(proposer, round_, nonce=2**57 + round_)
            value = self.value_b
            delay = 1
            if index in self.lockers:
                self.propose(proposer, round_, round_ - 1, value, (index,))
                delay = FOLLOW_UP_MS
            self.propose(proposer, round_, -1, value, (index,), delay)
            self.vote(round_, VoteType.PREVOTE, value.block_hash, (index,), delay)
            self.vote(round_, VoteType.PRECOMMIT, value.block_hash, (index,), delay)
            if self.tempted == set(self.lockers + self.unaware):
                self.mark("tempted")
