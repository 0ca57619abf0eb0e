"""The scripted adversary's common machinery: it holds the Byzantine validators' keys, sees every
node's state (a simulator may be omniscient), and until the network stabilises it decides which
messages get through.

At its attack height it speaks for the Byzantine validators itself (their state machines are
silenced from the attack round on), and it keeps every later height and every catch-up answer
for the attack height out of the network, so a node that decided early cannot hand its decision
to the others before they had their chance to decide something else. Earlier rounds of the
attack height fail on purpose: their proposals are dropped, so nobody has a lock or a valid
value when the attack round begins. A subclass says what happens in the attack round.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.consensus.messages import (
    ConsensusMessage,
    Proposal,
    ProposedValue,
    VoteType,
    sign_proposal,
    sign_vote,
)
from ordo.consensus.schedule import get_proposer
from ordo.consensus.signing import LocalSigner
from ordo.consensus.simulator.fake_block import make_fake_value
from ordo.consensus.simulator.identities import sim_private_key
from ordo.consensus.simulator.scenario import Scenario
from ordo.consensus.simulator.sim_node import NodeEnvironment
from ordo.consensus.simulator.wire import Payload, SyncResponse
from ordo.consensus.state import ConsensusState

POLL_MS = 5


@dataclass(frozen=True)
class HeightView:
    """The schedule of the attack height, as every honest node at that height computes it."""

    order: tuple[bytes, ...]
    proposer_offset: int
    parent_hash: bytes


class Adversary:
    def __init__(self, scenario: Scenario, environment: NodeEnvironment) -> None:
        self.scenario = scenario
        self.environment = environment
        self.height = scenario.attack_height
        self.byzantine = tuple(sorted(scenario.byzantine_nodes))
        self.signers = {index: LocalSigner(sim_private_key(index)) for index in self.byzantine}
        self.view: HeightView | None = None
        self.attack_round: int | None = None
        self.stages: list[str] = []

    # --- hooks into the network and the nodes ----------------------------------------------

    def install(self) -> None:
        self.environment.network.gate = self.allows
        self.environment.silences = self.silences
        self._schedule_poll()

    def _schedule_poll(self) -> None:
        network = self.environment.network
        if network.now_ms + POLL_MS < self.scenario.stable_at_ms:
            network.schedule(POLL_MS, self._poll)

    def _poll(self) -> None:
        if self._plan() is not None:
            self.act()
        self._schedule_poll()

    def silences(self, node: int, message: ConsensusMessage) -> bool:
        """Whether a Byzantine node's own state machine is kept quiet (the adversary speaks)."""
        if message.height != self.height:
            return False
        attack_round = self._plan()
        return attack_round is None or message.round >= attack_round

    def allows(self, sender: int, receiver: int, payload: Payload) -> bool:
        if isinstance(payload, SyncResponse):
            return all(value.height < self.height for value, _ in payload.decisions)
        if not isinstance(payload, ConsensusMessage):
            return True
        if payload.height != self.height:
            return payload.height < self.height
        attack_round = self._plan()
        if attack_round is None:
            return True
        if isinstance(payload, Proposal) and payload.round < attack_round:
            return False
        return self.allows_in_attack(sender, receiver, payload, attack_round)

    # --- what a concrete attack decides ----------------------------------------------------

    def choose_round(self) -> int | None:
        """The attack round for this height's schedule (None: the schedule never allows it)."""
        raise NotImplementedError

    def allows_in_attack(
        self, sender: int, receiver: int, message: ConsensusMessage, attack_round: int
    ) -> bool:
        return True

    def act(self) -> None:
        raise NotImplementedError

    # --- what attacks are made of ----------------------------------------------------------

    def _plan(self) -> int | None:
        if self.view is None:
            found = self.honest_states(0)
            if not found:
                return None
            state = found[0][1]
            self.view = HeightView(state.order, state.tip.proposer_offset, state.tip.parent_hash)
            self.attack_round = self.choose_round()
            self.mark("planned" if self.attack_round is not None else "no-turn")
        return self.attack_round

    def honest_states(
        self, min_round: int, among: tuple[int, ...] | None = None
    ) -> list[tuple[int, ConsensusState]]:
        """Honest nodes (of ``among``) at the attack height in round >= min_round, with states."""
        states = []
        for node in self.environment.nodes:
            if not node.is_honest or (among is not None and node.index not in among):
                continue
            state = node.state
            if (
                node.alive
                and state is not None
                and state.started
                and state.height == self.height
                and state.round >= min_round
            ):
                states.append((node.index, state))
        return states

    def proposer_index(self, round_: int) -> int:
        assert self.view is not None
        address = get_proposer(self.view.order, self.view.proposer_offset, round_)
        for node in self.environment.nodes:
            if node.signer.address == address:
                return node.index
        raise ValueError("proposer is not a simulated validator")

    def build(self, builder: int, round_: int, nonce: int) -> ProposedValue:
        assert self.view is not None
        return make_fake_value(
            self.height,
            self.view.parent_hash,
            self.signers[builder].address,
            round_,
            nonce=nonce,
            valid=True,
        )

    def propose(
        self,
        proposer: int,
        round_: int,
        valid_round: int,
        value: ProposedValue,
        receivers: tuple[int, ...],
        delay_ms: int = 1,
    ) -> None:
        chain_id = self.environment.params.chain_id
        proposal = sign_proposal(self.signers[proposer], chain_id, round_, valid_round, value)
        for receiver in receivers:
            self.send(proposer, receiver, proposal, delay_ms)

    def vote(
        self,
        round_: int,
        vote_type: VoteType,
        block_hash: bytes,
        receivers: tuple[int, ...],
        delay_ms: int = 1,
    ) -> None:
        """Every Byzantine validator votes ``block_hash``, as far as ``receivers`` can tell."""
        assert self.view is not None
        chain_id = self.environment.params.chain_id
        for index, signer in self.signers.items():
            vote = sign_vote(signer, chain_id, self.height, round_, vote_type,
                             self.view.parent_hash, block_hash)
            for receiver in receivers:
                self.send(index, receiver, vote, delay_ms)

    def send(self, sender: int, receiver: int, message: ConsensusMessage, delay_ms: int) -> None:
        deliver = self.environment.nodes[receiver].receive
        self.environment.network.inject(sender, receiver, message, deliver, delay_ms)

    def mark(self, stage: str) -> None:
        if stage not in self.stages:
            self.stages.append(stage)
