"""The shell around the pure consensus machine: one asyncio task owns the ConsensusState.

Network callbacks, timers and transaction arrivals only enqueue; the task applies each event with
``step`` and carries out the actions in an order that keeps the node safe across crashes:
decided blocks are committed first, then the RecoveryRecord is made durable, and only then is
anything this node signed sent. Building and re-executing blocks runs in a worker thread, one at
a time, so the store only ever sees one writer.

The driver routes; each job is a part of its own (docs/consensus.md §1, §15): timers and pacing
(``proposal_pacer``), block building (``block_builder`` with ``l1_block_inputs``), validation and
commit (``block_execution``), block sync (``block_sync``), peer penalties (``peer_penalties``),
the mempool re-announce (``pool_announcer``) and the RPC views (``consensus_status``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ordo.consensus import (
    BlockBuilt,
    BlockValidated,
    Broadcast,
    CatchUpNeeded,
    Commit,
    CommitCertificate,
    ConsensusMessage,
    ConsensusParams,
    ConsensusState,
    DecisionReceived,
    DecodeError,
    Event,
    Evidence,
    MessageIgnored,
    Proposal,
    ProposalReceived,
    ProposedValue,
    ProposeRequest,
    RequestValidation,
    RequestValidatorSet,
    ScheduleTimeout,
    Start,
    TimeoutFired,
    Validator,
    ValidatorSet,
    ValidatorSetResolved,
    VoteReceived,
    compute_held_messages,
    compute_rebroadcast,
    create_state,
    decode_certificate,
    decode_evidence,
    decode_proposal,
    decode_vote,
    get_epoch,
    step,
)
from ordo.core.block import Block
from ordo.l1.forced_queue_reader import ForcedQueueReader
from ordo.network import MessageKind
from ordo.node.block_builder import BlockBuilder
from ordo.node.block_execution import BlockExecution
from ordo.node.block_sync import BlockSync
from ordo.node.chain_tip import tip_after
from ordo.node.consensus_status import commit_json, current_producer, status_fields
from ordo.node.consensus_transport import Transport, framed
from ordo.node.epoch_sets import EpochSetSource, require_known, resolve_until_known
from ordo.node.evidence_book import EvidenceBook
from ordo.node.evidence_relay import EvidenceRelay
from ordo.node.l1_block_inputs import L1BlockInputs
from ordo.node.l1_watch import L1Watch
from ordo.node.node import Node
from ordo.node.peer_penalties import PeerPenalties
from ordo.node.pool_announcer import announce_pool
from ordo.node.production_policy import QUIET_PENDING
from ordo.node.proposal_pacer import ProposalPacer
from ordo.node.recovery_journal import load_recovery, save_recovery
from ordo.node.sync_codec import (
    BlockRequest,
    BlockResponse,
    SyncCodecError,
    decode_request,
    decode_response,
    decode_status,
)
from ordo.storage.chain_store import StoreWriteError

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
DISK_FULL_RETRY_S = 1.0
COMMIT_RETRY_S = 1.0
"""Rest after a decided block could not be stored (e.g. its forced items unreadable while L1 is
down) before the machine restarts: at once, every peer re-send would repeat the failing read."""
"""Rest after a step the full disk refused, before the machine is rebuilt from the store."""
UNRESOLVED_SET = ValidatorSet.of([Validator(bytes(20), 1)])
"""Stands in until the first set is resolved; the machine is not started with it."""
STALL_SECONDS = 1.0
MAX_QUEUED_PEER_ITEMS = 10_000
"""Peer events and block responses waiting for the driver; past it new ones are dropped and
counted (a flood of votes must not grow memory without bound; timers and builds still queue)."""


@dataclass(frozen=True)
class Pacing:
    """Shell policy of block production (see production_policy)."""

    block_time: float
    heartbeat_interval: float
    fee_recipient: bytes
    max_clock_drift_s: int
    quiet_pending: int = QUIET_PENDING


@dataclass(frozen=True)
class PeerEvent:
    event: Event
    peer: bytes | None


@dataclass(frozen=True)
class SyncedBlocks:
    peer: bytes
    response: BlockResponse


@dataclass(frozen=True)
class BuildNow:
    request: ProposeRequest


@dataclass(frozen=True)
class Tick:
    pass


WorkItem = PeerEvent | SyncedBlocks | BuildNow | Tick


def _is_from_peer(item: WorkItem) -> bool:
    """Counted against MAX_QUEUED_PEER_ITEMS (what a peer can make us queue)."""
    return isinstance(item, SyncedBlocks) or (isinstance(item, PeerEvent) and
                                              item.peer is not None)


class ConsensusDriver:
    def __init__(self, node: Node, params: ConsensusParams, epoch_sets: EpochSetSource,
                 signer_key: bytes | None, pacing: Pacing,
                 clock: Callable[[], float] = time.time,
                 l1_watch: L1Watch | None = None, l1_confirmations: int = 0) -> None:
        """``l1_watch`` is given on an L1-anchored network: blocks then name an L1 origin,
        chosen ``l1_confirmations`` deep. Until the set of the epoch after the stored head is
        known, the machine is a placeholder that is started once ``run`` resolves it."""
        self.node = node
        self.chain = node.chain
        self.params = params
        self.epoch_sets = epoch_sets
        self.pacing = pacing
        self._signer_key = signer_key
        self._clock = clock
        self.transport: Transport | None = None
        self.disk_full_waits = 0
        """Consensus steps the disk refused, full or short (each followed by DISK_FULL_RETRY_S
        of rest)."""
        self.commit_failures = 0
        """Decided blocks that could not be stored (each followed by COMMIT_RETRY_S of rest)."""
        self.l1_watch = l1_watch
        self.inputs = L1BlockInputs(l1_watch, l1_confirmations,
                                    self.chain.engine.genesis.l1_fee is not None)
        self.builder = BlockBuilder(self.chain, node.mempool, self.inputs, params,
                                    pacing.fee_recipient, clock)
        self.execution = BlockExecution(self.chain, self.inputs, pacing.max_clock_drift_s,
                                        self._count_invalid_block, clock)
        self.state: ConsensusState = create_state(
            params, epoch_sets.known(self._head_epoch()) or UNRESOLVED_SET, signer_key)
        self.evidence = EvidenceBook(params.chain_id, self._validators_at,
                                     self.chain.store.get_meta, self.chain.store.put_meta)
        self.evidence_relay = EvidenceRelay(self.evidence, lambda: self.transport)
        self.evidence_listeners = self.evidence_relay.listeners
        """Told of each new verified equivocation (the L1 reporter listens on L1 networks)."""
        self.extra_handlers: dict[MessageKind, Callable[[bytes], bool]] = {}
        """Handlers of message kinds other parts of the node own (batch attestations); each
        says whether the payload is worth relaying."""
        self.l1_status: Callable[[], dict[str, Any]] | None = None
        """Adds the L1 part of ordo_status (staking view, origin) on L1 networks."""
        self.penalties = PeerPenalties(lambda: self.transport, self._status_payload)
        self.ignored = self.penalties.ignored
        self.sync = BlockSync(self.chain, lambda: self.transport, node.finalized_number,
                              self._spawn, self.penalties.penalize)
        self.timeouts: Counter[str] = Counter()
        """Timeouts that fired while their (height, round, step) was current, by step."""
        self.blocks_committed = 0
        self._queue: asyncio.Queue[WorkItem] = asyncio.Queue()
        self._queued_from_peers = 0
        self._followups: deque[PeerEvent] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self.pacer = ProposalPacer(
            pacing.block_time, pacing.heartbeat_interval, node.mempool.pending_count,
            lambda: (self.state.height, self.state.round),
            lambda event: self._enqueue(event, None),
            lambda request: self._queue.put_nowait(BuildNow(request)),
            lambda delay, callback: asyncio.get_running_loop().call_later(delay, callback),
            quiet_pending=pacing.quiet_pending)
        self._height_since = time.monotonic()

    @property
    def forced_queue(self) -> ForcedQueueReader | None:
        """The L1 forced-inclusion queue (on L1 networks whose genesis names one)."""
        return self.inputs.forced_queue

    @forced_queue.setter
    def forced_queue(self, queue: ForcedQueueReader | None) -> None:
        self.inputs.forced_queue = queue

    @property
    def is_validator(self) -> bool:
        """Votes in the current epoch (a signer outside the set follows until it joins)."""
        address = self.state.address
        return address is not None and address in self.state.validators

    @property
    def validators(self) -> ValidatorSet:
        return self.state.validators

    def _head_epoch(self) -> int:
        return get_epoch(self.chain.head_number() + 1, self.params.epoch_length)

    def _validators_of(self, epoch: int) -> ValidatorSet:
        return require_known(self.epoch_sets, epoch)

    def _validators_at(self, height: int) -> ValidatorSet | None:
        return self.epoch_sets.known(get_epoch(max(height, 1), self.params.epoch_length))

    # --- lifecycle -----------------------------------------------------------------------------
    async def run(self) -> None:
        """Own the state machine until cancelled."""
        self.node.add_pending_transaction_listener(self._on_transaction_admitted)
        await self._restart_machine()
        ticker = asyncio.create_task(self._tick_forever(), name="consensus-tick")
        try:
            while True:
                item = await self._queue.get()
                if _is_from_peer(item):
                    self._queued_from_peers -= 1
                try:
                    await self._handle(item)
                except StoreWriteError as error:
                    # Nothing was written (the store aborts whole); retrying at once would spin
                    # on the same refusal with a traceback each time.
                    self.disk_full_waits += 1
                    log.error("%s; consensus retries in %g s (waits so far: %d)", error,
                              DISK_FULL_RETRY_S, self.disk_full_waits)
                    await asyncio.sleep(DISK_FULL_RETRY_S)
                    await self._restart_machine()
                except Exception:
                    # One bad input or a failed disk write must not stop consensus; the machine
                    # is rebuilt from the store, which is always consistent.
                    log.exception("consensus step failed; restarting the machine from the store")
                    await self._restart_machine()
        finally:
            ticker.cancel()
            self.pacer.stop()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker

    async def _restart_machine(self) -> None:
        epoch = self._head_epoch()
        anchor = self.chain.header_at(epoch * self.params.epoch_length)
        await self._resolve_set(epoch, bytes(anchor.hash))
        tip = tip_after(self.chain.head_number(), self.chain.header_at, self.params.epoch_length,
                        self._validators_of)
        recovery = load_recovery(self.chain.store)
        # Peers' messages the old machine held: the network will not deliver them again until a
        # peer re-sends after a stall (its seen cache outlives the machine), so they are handed
        # to the new one, queued like our own events (a message that made the old machine fail
        # cannot fail this restart). Stale ones are ignored by intake once the head moved on.
        held = compute_held_messages(self.state)
        self.execution.forget()
        self.pacer.reset()
        self._followups.clear()
        self.state = create_state(self.params, self._validators_of(epoch), self._signer_key)
        await self._process(PeerEvent(Start(tip, recovery), None))
        for message in held:
            event = ProposalReceived(message) if isinstance(message, Proposal) else \
                VoteReceived(message)
            self._queue.put_nowait(PeerEvent(event, None))

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            self._queue.put_nowait(Tick())

    # --- inputs (callbacks on the event loop: they only enqueue or touch pure helpers) ---------
    def on_peer_message(self, peer: bytes, kind: MessageKind, payload: bytes) -> bool | None:
        try:
            if kind == MessageKind.PROPOSAL:
                self._enqueue(ProposalReceived(decode_proposal(payload)), peer)
            elif kind == MessageKind.VOTE:
                self._enqueue(VoteReceived(decode_vote(payload)), peer)
            elif kind == MessageKind.TX:
                return self.node.admit_gossiped_transaction(payload)
            elif kind == MessageKind.STATUS:
                self.sync.on_status(peer, decode_status(payload))
            elif kind == MessageKind.BLOCK_REQUEST:
                self._serve_if_free(peer, decode_request(payload))
            elif kind == MessageKind.BLOCK_RESPONSE:
                self._put_from_peer(SyncedBlocks(peer, decode_response(payload)))
            elif kind == MessageKind.CERTIFICATE:
                self._on_certificate(peer, decode_certificate(payload))
            elif kind == MessageKind.EVIDENCE:
                return self.evidence_relay.from_peer(decode_evidence(payload))
            elif kind in self.extra_handlers:
                return self.extra_handlers[kind](payload)
            elif kind == MessageKind.BATCH_ATTESTATION:
                return False  # this node runs no batcher: nothing to check it against
        except (DecodeError, SyncCodecError) as error:
            self.penalties.malformed(peer, kind, error)
            return False
        return None

    def on_peer_connected(self, peer: bytes) -> None:
        transport = self.transport
        if transport is None:
            return
        transport.send(peer, MessageKind.STATUS, self._status_payload())
        for message in compute_rebroadcast(self.state):
            self._send_message(peer, message)
        self._spawn(self._announce_pool(peer))

    async def _announce_pool(self, peer: bytes) -> None:
        """Hand a (re)connected peer every transaction we hold (node/pool_announcer.py)."""
        def send(raw: bytes) -> bool:
            return self.transport is not None and self.transport.send(peer, MessageKind.TX, raw)

        await announce_pool(self.node.mempool, send)

    def on_peer_disconnected(self, peer: bytes, reason: str) -> None:
        self.sync.forget(peer)

    def _enqueue(self, event: Event, peer: bytes | None) -> None:
        if peer is None:  # our own (a resolved set): never dropped
            self._queue.put_nowait(PeerEvent(event, None))
        else:
            self._put_from_peer(PeerEvent(event, peer))

    def _put_from_peer(self, item: PeerEvent | SyncedBlocks) -> None:
        if self._queued_from_peers >= MAX_QUEUED_PEER_ITEMS:
            self.ignored["driver queue full"] += 1
            return
        self._queued_from_peers += 1
        self._queue.put_nowait(item)

    def _serve_if_free(self, peer: bytes, request: BlockRequest) -> None:
        if not self.sync.serve_if_free(peer, request):
            self.ignored["block request while busy"] += 1

    def _on_transaction_admitted(self, tx_hash: bytes) -> None:
        decoded = self.node.mempool.get(tx_hash)
        if decoded is not None and self.transport is not None:
            self.transport.broadcast(MessageKind.TX, decoded.raw)
        self.pacer.on_transaction()

    def _on_certificate(self, peer: bytes, certificate: CommitCertificate) -> None:
        if certificate.height > self.chain.head_number():
            self.sync.on_higher(peer, certificate.height)

    # --- the task ------------------------------------------------------------------------------
    async def _handle(self, item: WorkItem) -> None:
        if isinstance(item, PeerEvent):
            await self._process(item)
        elif isinstance(item, BuildNow):
            await self._build(item.request)
        elif isinstance(item, SyncedBlocks):
            await self._apply_synced(item)
        else:
            self._on_tick()

    async def _process(self, item: PeerEvent) -> None:
        """Apply an event and the answers it produced (validation verdicts) before anything else."""
        await self._apply(item)
        while self._followups:
            await self._apply(self._followups.popleft())

    async def _apply(self, item: PeerEvent) -> None:
        event = item.event
        if isinstance(event, TimeoutFired) and (event.height, event.round, event.step) == (
            self.state.height, self.state.round, self.state.step
        ):
            self.timeouts[event.step.name.lower()] += 1
        self.state, actions = step(self.state, event)
        commits = [action for action in actions if isinstance(action, Commit)]
        for commit in commits:
            if not await self._commit(commit):
                self.commit_failures += 1
                log.error("decided block %d not stored; consensus restarts in %g s "
                          "(failed commits so far: %d)", commit.value.height, COMMIT_RETRY_S,
                          self.commit_failures)
                await asyncio.sleep(COMMIT_RETRY_S)
                await self._restart_machine()
                return
        if any(isinstance(action, Broadcast) for action in actions):
            await save_recovery(self.chain.store, self.state)
        for action in actions:
            if isinstance(action, Broadcast):
                self._broadcast_message(action.message)
            elif isinstance(action, ScheduleTimeout):
                self.pacer.schedule(action)
            elif isinstance(action, ProposeRequest):
                self.pacer.request_build(action)
            elif isinstance(action, RequestValidation):
                await self._validate(action.value)
            elif isinstance(action, Evidence):
                self.evidence_relay.from_own_machine(action.equivocation)
            elif isinstance(action, RequestValidatorSet):
                self._spawn(self._resolve_validator_set(action))
            elif isinstance(action, CatchUpNeeded):
                self.sync.on_higher(item.peer, action.height - 1)
            elif isinstance(action, MessageIgnored):
                self.penalties.on_ignored(action, item.peer)

    async def _resolve_validator_set(self, request: RequestValidatorSet) -> None:
        validators = await self._resolve_set(request.epoch, request.anchor_hash)
        self._enqueue(ValidatorSetResolved(request.epoch, request.anchor_hash, validators), None)

    async def _resolve_set(self, epoch: int, anchor_hash: bytes) -> ValidatorSet:
        """The set of ``epoch``, asked until known (node/epoch_sets.resolve_until_known)."""
        known = self.epoch_sets.known(epoch)
        validators = await resolve_until_known(self.epoch_sets, epoch, anchor_hash)
        if known is None:
            address = self.state.address
            role = "" if address is None else (
                ", this node votes" if address in validators else ", this node follows")
            log.info("epoch %d: %d validators, total stake %d%s", epoch, len(validators),
                     validators.total_stake, role)
        return validators

    # --- building and validating ---------------------------------------------------------------
    async def _build(self, request: ProposeRequest) -> None:
        """Build the requested block (node/block_builder.py) and tell the machine."""
        state = self.state
        if state.awaiting_build != (request.height, request.round) or state.address is None:
            return
        parent = self.chain.head_header()
        if bytes(parent.hash) != request.parent_hash:
            log.warning("asked to build on 0x%s but the head is 0x%s", request.parent_hash.hex(),
                        bytes(parent.hash).hex())
            return
        built = await self.builder.build(parent, state.address, request.round,
                                         len(state.validators))
        if built is None:
            return
        value, executed = built
        self.execution.remember(value.block_hash, executed)
        await self._process(PeerEvent(BlockBuilt(request.height, request.round, value), None))

    async def _validate(self, value: ProposedValue) -> None:
        """Judge a proposal (node/block_execution.py); the verdict is the next event applied."""
        valid = await self.execution.validate(value)
        self._followups.append(PeerEvent(BlockValidated(value.block_hash, valid), None))

    def _count_invalid_block(self) -> None:
        self.ignored["invalid block"] += 1

    # --- committing ----------------------------------------------------------------------------
    async def _commit(self, commit: Commit) -> bool:
        stored = await self.execution.commit(commit)
        if stored is None:
            return False
        prepared, certificate = stored
        self.pacer.committed()
        self._height_since = time.monotonic()
        self.blocks_committed += 1
        block = prepared.executed.block
        log.info("block %d final (round %d): %d txs", block.number, commit.certificate.round,
                 len(block.transactions))
        await self.node.on_block_committed(block, prepared.skipped)
        if self.transport is not None:
            self.transport.broadcast(MessageKind.CERTIFICATE, certificate)
        return True

    # --- block sync (node/block_sync.py) ------------------------------------------------------
    def _status_payload(self) -> bytes:
        return self.sync.status_payload()

    async def _apply_synced(self, item: SyncedBlocks) -> None:
        async def deliver(value: ProposedValue, certificate: CommitCertificate,
                          block: Block) -> bool:
            self.execution.remember_decoded(block)
            before = self.chain.head_number()
            try:
                await self._process(PeerEvent(DecisionReceived(value, certificate), item.peer))
            finally:
                # Not taken (a refused certificate, a failed commit): a peer's block is not
                # kept until the next commit.
                self.execution.forget_decoded(block.hash)
            return self.chain.head_number() != before

        await self.sync.apply(item.peer, item.response, lambda: self.state.height, deliver)

    # --- periodic work -------------------------------------------------------------------------
    def _on_tick(self) -> None:
        transport = self.transport
        if transport is None:
            return
        transport.broadcast(MessageKind.STATUS, self._status_payload())
        self.sync.request()
        stall = self.pacing.heartbeat_interval + STALL_SECONDS
        if time.monotonic() - self._height_since < stall:
            return
        # No progress for a while: re-deliver what peers may have lost (send bypasses the
        # sender-side gossip dedup; receivers drop copies they already have).
        messages = compute_rebroadcast(self.state)
        for info in transport.peers():
            for message in messages:
                self._send_message(info.peer_id, message)

    # --- outputs -------------------------------------------------------------------------------
    def _broadcast_message(self, message: ConsensusMessage) -> None:
        if self.transport is not None:
            self.transport.broadcast(*framed(message))

    def _send_message(self, peer: bytes, message: ConsensusMessage) -> None:
        if self.transport is not None:
            self.transport.send(peer, *framed(message))

    def _spawn(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- views for RPC -------------------------------------------------------------------------
    def status_fields(self) -> dict[str, Any]:
        peers = self.transport.peers() if self.transport is not None else []
        return status_fields(self.state, self.params.epoch_length, peers,
                             self.syncing() is not None, self.ignored, self.timeouts,
                             len(self.evidence),
                             None if self.l1_status is None else self.l1_status())

    def current_producer(self) -> bytes | None:
        return current_producer(self.state)

    def broadcast(self, kind: MessageKind, payload: bytes) -> None:
        if self.transport is not None:
            self.transport.broadcast(kind, payload)

    def peer_count(self) -> int:
        return len(self.transport.peers()) if self.transport is not None else 0

    def syncing(self) -> dict[str, int] | None:
        return self.sync.progress()

    def get_commit(self, number: int) -> dict[str, Any] | None:
        raw = self.chain.store.get_certificate(number)
        if raw is None:
            return None
        return commit_json(raw, self.chain.store.get_header_by_number(number))

    def evidence_list(self) -> list[dict[str, Any]]:
        return self.evidence.as_json()
