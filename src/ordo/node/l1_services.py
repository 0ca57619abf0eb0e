"""The node's L1 side on an L1-anchored network: one client, the L1 view, epoch sets from the
pool, automatic evidence reporting, and the staking and settlement views of ordo_status.

Built once by the runner when the genesis names a locking pool; everything here is a background
task or a cache, so a slow or absent L1 endpoint delays epoch changes and reports but never
blocks RPC or consensus at a height whose set is known.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from eth.abc import BlockHeaderAPI

from ordo.challenger.l1_game import DisputeChain
from ordo.challenger.service import ChallengerService
from ordo.challenger.trace_source import (
    L2TraceSource,
    OutputSource,
    StepTraceFactory,
    missing_steps,
)
from ordo.config.node_config import ConfigError
from ordo.consensus import Equivocation
from ordo.core.genesis import GenesisL1
from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error
from ordo.l1.view_cache import L1ViewCache
from ordo.node.batcher_service import BatcherService
from ordo.node.evidence_book import MAX_EVIDENCE
from ordo.node.l1_epoch_sets import L1EpochSets
from ordo.node.l1_watch import L1Watch
from ordo.settlement.settlement_view import (
    SettlementView,
    settlement_cache,
    settlement_status,
)
from ordo.staking.epoch_keeper import EpochKeeper
from ordo.staking.evidence_reporter import EvidenceReporter
from ordo.staking.staking_view import StakingViewCache, confirmed_view_reader
from ordo.storage.chain_store import ChainStore

log = logging.getLogger(__name__)

REPORTED_META_PREFIX = "evidence_reported/"
KEEPER_INTERVAL_S = 2.0


class L1Services:
    def __init__(self, anchor: GenesisL1, url: str, header_at: Callable[[int], BlockHeaderAPI],
                 epoch_length: int, load: Callable[[str], bytes | None],
                 save: Callable[[str, bytes], None], signer_key: bytes | None) -> None:
        self.anchor = anchor
        self.client = L1Client(url)
        self.watch = L1Watch(self.client, anchor.confirmations)
        self.epoch_sets = L1EpochSets(self.client, anchor.locking_pool, header_at, epoch_length,
                                      load, save, self.watch.confirmed_origin)
        self._load = load
        self._save = save
        # Only new evidence the book verified (a validator's two signatures) is queued, and the
        # book keeps at most MAX_EVIDENCE: the queue's bound states that, it never binds first.
        self._evidence: asyncio.Queue[Equivocation] = asyncio.Queue(maxsize=MAX_EVIDENCE)
        self.evidence_dropped = 0
        self.reporter: EvidenceReporter | None = None
        self.keeper: EpochKeeper | None = None
        self.staking: StakingViewCache | None = None
        self._account: LocalAccount | None = None
        if signer_key is not None:
            # The signer pays for reports (and gets the reporter's share): the operator funds
            # it with a little L1 ETH, as the devnet does.
            account = LocalAccount(self.client, signer_key)
            self._account = account
            self.reporter = EvidenceReporter(self.client, anchor.locking_pool, account,
                                             self._is_reported, self._mark_reported)
            # advance_epoch() is permissionless and someone must call it for set changes to
            # take effect; every sequencer node does, and a rival's win is no error.
            self.keeper = EpochKeeper(self.client, anchor.locking_pool, account)
            self.staking = StakingViewCache(confirmed_view_reader(
                self.client, anchor.locking_pool, account.address, anchor.confirmations))
        self.settlement: L1ViewCache[SettlementView] | None = None
        if anchor.inbox is not None and anchor.forced_queue is not None:
            # Every node shows it, signer or not: it reads only public views of the inbox.
            self.settlement = settlement_cache(self.client, anchor.inbox, anchor.forced_queue,
                                               anchor.confirmations)
        self._tasks: list[asyncio.Task[None]] = []
        self.batcher: BatcherService | None = None
        self.challenger: ChallengerService | None = None
        self._challenger_off: str | None = "not started"

    async def check_chain(self) -> None:
        """Refuse an endpoint of another chain; an endpoint that is down only gets a warning
        (the node serves RPC meanwhile and consensus waits for it at the next set)."""
        try:
            chain_id = await self.client.chain_id()
        except (TimeoutError, L1Error, OSError) as error:
            log.warning("L1 endpoint %s not reachable yet: %s", self.client.url, error)
            return
        if chain_id != self.anchor.chain_id:
            raise ConfigError(f"l1_rpc: {self.client.url} serves chain {chain_id}; the genesis "
                              f"anchors this network to L1 chain {self.anchor.chain_id}")

    def attach_batcher(self, store: ChainStore, l2_chain_id: int, epoch_length: int,
                       signer_key: bytes, producer: Callable[[], bytes | None],
                       broadcast: Callable[[bytes], None],
                       output_root_of: Callable[[BlockHeaderAPI], bytes],
                       takeover_after: float) -> BatcherService | None:
        """A sequencer posts final blocks to the inbox the genesis names (none: no batches)."""
        if self.anchor.inbox is None:
            return None
        self.batcher = BatcherService(store, self.client, self.anchor.inbox, l2_chain_id,
                                      signer_key, epoch_length, self.epoch_sets.record, producer,
                                      broadcast, self.anchor.confirmations, output_root_of,
                                      takeover_after)
        return self.batcher

    def attach_challenger(self, outputs: OutputSource, enabled: bool,
                          steps: StepTraceFactory = missing_steps) -> None:
        """Every node with an L1 key plays the dispute game for its own chain (bonds from that
        key; ``--no-challenger`` turns it off). Without a key it cannot bond: off, and
        ``l1.disputes`` says why."""
        if not enabled:
            self._challenger_off = "turned off (--no-challenger)"
        elif self.anchor.inbox is None:
            self._challenger_off = "the genesis names no inbox: no batches to dispute"
        elif self._account is None:
            self._challenger_off = "no L1 key to bond with (--signer-key)"
        else:
            chain = DisputeChain(self.client, self.anchor.inbox, self.anchor.origin_number)
            self.challenger = ChallengerService(chain, self._account,
                                                L2TraceSource(outputs, steps))
            self._challenger_off = None

    def start(self, stored_evidence: list[Equivocation]) -> None:
        self.watch.start()
        if self.batcher is not None:
            self.batcher.start()
        if self.challenger is not None:
            self.challenger.start()
        if self.reporter is not None:
            for evidence in stored_evidence:
                self.on_evidence(evidence)
            self._tasks.append(asyncio.create_task(self.reporter.run(self._evidence),
                                                   name="evidence-reporter"))
        if self.keeper is not None:
            self._tasks.append(asyncio.create_task(self.keeper.run(KEEPER_INTERVAL_S),
                                                   name="epoch-keeper"))

    def on_evidence(self, evidence: Equivocation) -> None:
        try:
            self._evidence.put_nowait(evidence)
        except asyncio.QueueFull:
            self.evidence_dropped += 1
            log.error("evidence queue full (%d waiting for L1): evidence against 0x%s at height "
                      "%d is kept in the book but not reported now", self._evidence.qsize(),
                      evidence.validator.hex(), evidence.height)

    def status(self) -> dict[str, Any]:
        origin = self.watch.confirmed_origin()
        fields: dict[str, Any] = {
            "rpc": self.client.url,
            "chainId": self.anchor.chain_id,
            "lockingPool": "0x" + self.anchor.locking_pool.hex(),
            "head": self.watch.head,
            "confirmedOrigin": None if origin is None else origin.number,
            "finalized": self.watch.finalized,
            "deepReorgs": self.watch.deep_reorgs,
            "error": self.watch.last_error,
        }
        if self.staking is not None:
            fields["staking"] = self.staking.current().to_json()
        if self.batcher is not None:
            fields["batcher"] = self.batcher.status()
        if self.settlement is not None:
            fields["settlement"] = settlement_status(self.settlement.current())
        fields["disputes"] = {"enabled": False, "reason": self._challenger_off} \
            if self.challenger is None else \
            {"enabled": True, **self.challenger.state.to_json()}
        return fields

    async def stop(self) -> None:
        if self.challenger is not None:
            await self.challenger.stop()
        if self.batcher is not None:
            await self.batcher.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.staking is not None:
            await self.staking.close()
        if self.settlement is not None:
            await self.settlement.close()
        await self.epoch_sets.close()
        await self.watch.stop()
        await self.client.close()

    def _is_reported(self, key: bytes) -> bool:
        return self._load(REPORTED_META_PREFIX + key.hex()) is not None

    def _mark_reported(self, key: bytes) -> None:
        self._save(REPORTED_META_PREFIX + key.hex(), b"\x01")
