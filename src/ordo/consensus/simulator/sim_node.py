"""A simulated node: the thin shell around the state machine, as the real node will be.

It turns actions into virtual-network sends and virtual timers, "executes" fake blocks, keeps
what a real node persists (decided blocks with certificates, and the RecoveryRecord written
before sending), re-broadcasts periodically, and serves and requests catch-up.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ordo.consensus.actions import (
    Broadcast,
    Commit,
    Evidence,
    IgnoreReason,
    MessageIgnored,
    ProposeRequest,
    RequestValidation,
    RequestValidatorSet,
    ScheduleTimeout,
)
from ordo.consensus.certificate import CommitCertificate
from ordo.consensus.events import (
    BlockBuilt,
    BlockValidated,
    DecisionReceived,
    Event,
    ProposalReceived,
    Start,
    TimeoutFired,
    ValidatorSetResolved,
    VoteReceived,
)
from ordo.consensus.machine import step
from ordo.consensus.messages import ConsensusMessage, Proposal, ProposedValue
from ordo.consensus.params import ConsensusParams
from ordo.consensus.rebroadcast import compute_rebroadcast, compute_recovery_record
from ordo.consensus.schedule import EpochValidators, compute_tip, get_epoch
from ordo.consensus.signing import LocalSigner
from ordo.consensus.simulator.byzantine import forge, forge_decision
from ordo.consensus.simulator.fake_block import is_fake_value_valid, make_fake_value
from ordo.consensus.simulator.invariants import SafetyMonitor
from ordo.consensus.simulator.network import VirtualNetwork
from ordo.consensus.simulator.scenario import Behaviour
from ordo.consensus.simulator.wire import SYNC_BATCH, Payload, SyncRequest, SyncResponse
from ordo.consensus.state import ConsensusState, RecoveryRecord, create_state

BUILD_MS = 60
VALIDATE_MS = 15
SET_LOOKUP_MS = 5
"""How long a node takes to learn the next epoch's set (a real node reads it from L1)."""
RESEND_MS = 250
ANSWER_INTERVAL_MS = 200


Silencer = Callable[[int, ConsensusMessage], bool]


@dataclass
class NodeEnvironment:
    """What every simulated node shares: the network, the rules, and the judge. ``silences``
    (node, message) is the scripted adversary's say over what its validators send."""

    network: VirtualNetwork
    params: ConsensusParams
    validators_of: EpochValidators
    genesis_hash: bytes
    monitor: SafetyMonitor
    rng: random.Random
    nodes: list[SimNode] = field(default_factory=list)
    silences: Silencer | None = None


class SimNode:
    def __init__(
        self,
        index: int,
        private_key: bytes,
        environment: NodeEnvironment,
        behaviour: Behaviour | None,
    ) -> None:
        self.index = index
        self.private_key = private_key
        self.signer = LocalSigner(private_key)
        self.environment = environment
        self.behaviour = behaviour
        self.state: ConsensusState | None = None
        self.alive = False
        self.incarnation = 0
        self.decided: list[tuple[ProposedValue, CommitCertificate]] = []
        self.recovery: RecoveryRecord | None = None
        self.last_answer: dict[tuple[int, int], int] = {}

    @property
    def is_honest(self) -> bool:
        return self.behaviour is None

    @property
    def height(self) -> int:
        return len(self.decided)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """(Re)start from what is on "disk": decided blocks and the recovery record."""
        if self.behaviour == Behaviour.SILENT:
            return
        env = self.environment
        self.alive = True
        self.incarnation += 1
        tip = compute_tip(
            env.genesis_hash,
            [(value.block_hash, value.proposer) for value, _ in self.decided],
            env.params.epoch_length,
            env.validators_of,
        )
        validators = env.validators_of(get_epoch(tip.height, env.params.epoch_length))
        self.state = create_state(env.params, validators, self.private_key)
        self.apply(Start(tip, self.recovery))
        self._schedule_tick()

    def crash(self) -> None:
        self.alive = False
        self.state = None
        self.incarnation += 1

    # --- the shell -------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if not self.alive or self.state is None:
            return
        self.state, actions = step(self.state, event)
        if any(isinstance(action, Broadcast) for action in actions):
            self.recovery = compute_recovery_record(self.state)
        for action in actions:
            if isinstance(action, Broadcast):
                self.broadcast(action.message)
            elif isinstance(action, ScheduleTimeout):
                timeout = TimeoutFired(action.height, action.round, action.step)
                self._later(action.duration_ms, timeout)
            elif isinstance(action, Commit):
                self._commit(action)
            elif isinstance(action, RequestValidation):
                verdict = BlockValidated(action.value.block_hash, is_fake_value_valid(action.value))
                self._later(VALIDATE_MS, verdict)
            elif isinstance(action, ProposeRequest):
                self._later(BUILD_MS, self._build(action))
            elif isinstance(action, RequestValidatorSet):
                validators = self.environment.validators_of(action.epoch)
                resolved = ValidatorSetResolved(action.epoch, action.anchor_hash, validators)
                self._later(SET_LOOKUP_MS, resolved)
            elif isinstance(action, Evidence):
                self.environment.monitor.on_evidence(self.index, action.equivocation)
            elif isinstance(action, MessageIgnored) and action.reason == IgnoreReason.STALE_HEIGHT:
                self._answer_stale(action.signer, action.height)

    def _later(self, delay_ms: int, event: Event) -> None:
        incarnation = self.incarnation

        def fire() -> None:
            if self.incarnation == incarnation:
                self.apply(event)

        self.environment.network.schedule(delay_ms, fire)

    def _build(self, request: ProposeRequest) -> BlockBuilt:
        nonce = self.environment.rng.getrandbits(63)
        value = make_fake_value(
            request.height,
            request.parent_hash,
            self.signer.address,
            request.round,
            nonce,
            valid=True,
        )
        return BlockBuilt(request.height, request.round, value)

    def _commit(self, commit: Commit) -> None:
        self.decided.append((commit.value, commit.certificate))
        if self.is_honest:
            env = self.environment
            env.monitor.on_commit(self.index, env.network.now_ms, self.decided)

    # --- sending ---------------------------------------------------------------------------

    def broadcast(self, message: ConsensusMessage) -> None:
        env = self.environment
        if self.behaviour == Behaviour.ADVERSARY:
            if env.silences is None or not env.silences(self.index, message):
                for peer in env.nodes:
                    if peer.index != self.index:
                        self.send(peer.index, message)
            return
        for peer in env.nodes:
            if peer.index == self.index:
                continue
            payload: ConsensusMessage | None = message
            if self.behaviour is not None and self.state is not None:
                payload = forge(
                    message,
                    peer.index,
                    self.index,
                    self.behaviour,
                    self.state,
                    self.signer,
                    env.rng,
                )
            if payload is not None:
                self.send(peer.index, payload)

    def send(self, peer: int, payload: Payload) -> None:
        env = self.environment
        env.network.send(self.index, peer, payload, env.nodes[peer].receive)

    def _schedule_tick(self) -> None:
        incarnation = self.incarnation
        delay = RESEND_MS + self.environment.rng.randint(0, RESEND_MS // 5)

        def tick() -> None:
            if self.incarnation == incarnation and self.alive:
                self._tick()
                self._schedule_tick()

        self.environment.network.schedule(delay, tick)

    def _tick(self) -> None:
        state = self.state
        if state is None:
            return
        for message in compute_rebroadcast(state):
            self.broadcast(message)
        if state.highest_seen_height > state.height:
            for peer in self.environment.nodes:
                if peer.index != self.index:
                    self.send(peer.index, SyncRequest(state.height))

    # --- receiving -------------------------------------------------------------------------

    def receive(self, sender: int, payload: Payload) -> None:
        if not self.alive:
            return
        if isinstance(payload, Proposal):
            self.apply(ProposalReceived(payload))
        elif isinstance(payload, SyncRequest):
            self._serve(sender, payload.from_height)
        elif isinstance(payload, SyncResponse):
            for value, certificate in payload.decisions:
                self.apply(DecisionReceived(value, certificate))
        else:
            self.apply(VoteReceived(payload))

    def _serve(self, peer: int, from_height: int) -> None:
        if from_height < 1 or from_height > self.height:
            return
        if (
            self.behaviour not in (None, Behaviour.ADVERSARY)
            and self.environment.rng.random() < 0.5
        ):
            parent = self.decided[from_height - 2][0].block_hash if from_height > 1 else None
            forged = forge_decision(
                from_height,
                parent or self.environment.genesis_hash,
                self.signer,
                self.environment.params.chain_id,
            )
            self.send(peer, SyncResponse((forged,)))
            return
        batch = tuple(self.decided[from_height - 1 : from_height - 1 + SYNC_BATCH])
        self.send(peer, SyncResponse(batch))

    def _answer_stale(self, signer: bytes, height: int) -> None:
        """A peer is still voting at a height we decided: send it what it lacks, at most once
        per ANSWER_INTERVAL_MS per (peer, height)."""
        peer = self._peer_of(signer)
        if peer is None:
            return
        now = self.environment.network.now_ms
        key = (peer, height)
        if now - self.last_answer.get(key, -ANSWER_INTERVAL_MS) < ANSWER_INTERVAL_MS:
            return
        self.last_answer[key] = now
        self._serve(peer, height)

    def _peer_of(self, signer: bytes) -> int | None:
        for node in self.environment.nodes:
            if node.signer.address == signer:
                return node.index
        return None
