"""The node's batcher: plan batches of final blocks, attest them, gossip, and post to L1.

Every validator plans the same batches (a pure function of the final chain from the inbox's
position on), signs both header variants of each batch it is a validator for, and gossips the
signatures. Once more than 2/3 of the epoch's stake signed, the batch is ready; the epoch's
producer posts it at once, the others only after their takeover turn (``posting_turn``), and
racing posters are harmless because the inbox ignores a re-posted header. The inbox at the
confirmed L1 block is the truth: a restart reads the next index there, so a crash at any point
leaves no gap and no duplicate.

A signed batch that is not this node's chain (a wrong output root) stops the batcher: it is for
the dispute game, never for this node to build on. When the game removes it (the inbox's
``next_index`` goes back), the batcher forgets what it planned from there and posts its own
chain's batches again from the inbox's position.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from eth.abc import BlockHeaderAPI

from ordo.batcher.batch_attestations import (
    AttestationCodecError,
    AttestationCollector,
    AttestationOutcome,
    BatchAttestation,
    EarlyAttestations,
    attest,
    decode_attestation,
    encode_attestation,
    stake_leaving_signers,
)
from ordo.batcher.batch_header import DataKind
from ordo.batcher.batch_plan import (
    BatchPlanError,
    FinalBlock,
    PlannedBatch,
    PlanRules,
    final_block_of,
    plan_headers,
    plan_next_batch,
)
from ordo.batcher.batch_poster import (
    BatchConflict,
    BatchPoster,
    BatchPosterError,
    PosterConfig,
    PostStatus,
    ReadyBatch,
)
from ordo.batcher.posting_turn import may_post, posting_delay
from ordo.consensus import LocalSigner, ValidatorSet
from ordo.core.block_extra import decode_anchored_extra
from ordo.l1.client import L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.rollup_deploy import inbox_at
from ordo.l1.rpc_errors import L1Error
from ordo.l1.staking_contracts import pool_at
from ordo.node.l1_epoch_sets import EpochSetRecord
from ordo.storage.chain_store import ChainStore

log = logging.getLogger(__name__)

TAKEOVER_AFTER_S = 20.0
RETRY_S = 2.0
LOOK_AGAIN_S = 5.0
"""While no batch is ready: how often the inbox is read and our signatures gossiped again."""
KINDS = (DataKind.CALLDATA, DataKind.BLOBS)
STAKE_LEAVING_MARGIN_S = 0
"""How much later than the L1 head a posted batch is allowed to land when judging a signer's
stake: none, so a signature is left out exactly when the inbox would refuse it at the head. An
exiting sequencer may sign for only exit_delay - window - longest dispute seconds (10 s on a
devnet, whose re-posts after a lost dispute need the slashed, exiting signers in that time); a
batch landing later than the head and refused for it is estimated or reverted, reported, and
planned again without the signature."""


class BatcherService:
    def __init__(self, store: ChainStore, client: L1Client, inbox: bytes, l2_chain_id: int,
                 signer_key: bytes, epoch_length: int,
                 epoch_record: Callable[[int], EpochSetRecord | None],
                 producer: Callable[[], bytes | None],
                 broadcast: Callable[[bytes], None], confirmations: int,
                 output_root_of: Callable[[BlockHeaderAPI], bytes],
                 takeover_after: float = TAKEOVER_AFTER_S) -> None:
        self._store = store
        self._output_root_of = output_root_of
        self._client = client
        self._inbox = inbox
        self._chain_id = l2_chain_id
        self._signer = LocalSigner(signer_key)
        self._rules = PlanRules(epoch_length)
        self._epoch_record = epoch_record
        self._producer = producer
        self._broadcast = broadcast
        self._takeover_after = takeover_after
        self.poster = BatchPoster(client, signer_key, inbox, l2_chain_id,
                                  PosterConfig(confirmations=max(1, confirmations)))
        self._planned: dict[int, PlannedBatch] = {}
        self._collectors: dict[int, dict[DataKind, AttestationCollector]] = {}
        self._early = EarlyAttestations()
        self._next_index: int | None = None
        """The next batch index to plan (None until the inbox position is read)."""
        self._next_block = 1
        self._wake = asyncio.Event()
        self._ready_at: dict[int, float] = {}
        self._own: dict[int, list[bytes]] = {}
        """Our encoded signatures of batches not landed yet, gossiped again now and then."""
        self._last_landing = time.monotonic()
        self.last_batch: dict[str, Any] | None = None
        self.conflict: str | None = None
        """Why this node stopped batching: the inbox holds another chain than its own."""
        self._disputed: int | None = None
        """The index of the signed batch behind ``conflict`` (None for a fallback conflict):
        once the inbox removes it, batching resumes."""
        self.rewinds = 0
        """How often the inbox's next index went back (batches removed by a lost dispute)."""
        self.on_chain_replaced: Callable[[str], None] | None = None
        """Told the conflict once it is found: the runner stops the node, whose next start
        adopts L1's chain (``l1_chain_adoption``)."""
        self._unchecked: tuple[int, int] | None = None
        """(next index, last block) of an inbox position whose last block this node had not
        made final yet when read: checked once it has."""
        self.batches_posted = 0
        self.l1_gas_spent = 0
        self._dispute_times: tuple[int, int] | None = None
        """The inbox's challenge window and longest dispute, read once."""
        self._pool: ContractHandle | None = None
        self._locks: tuple[float, int, dict[bytes, int]] | None = None
        """(monotonic read time, L1 time, stake_locked_until by signer) of the last read."""
        self._leaving_noted: tuple[int, frozenset[bytes]] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._plan_forever(), name="batch-planner"),
                       asyncio.create_task(self._post_forever(), name="batch-poster")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def on_block_final(self, _block: object) -> None:
        self._wake.set()

    # --- gossip ----------------------------------------------------------------------------
    def on_attestation(self, payload: bytes) -> bool:
        """A peer's signature; whether it is worth relaying (new and counted or held)."""
        try:
            attestation = decode_attestation(payload)
        except AttestationCodecError as error:
            log.info("malformed batch attestation: %s", error)
            return False
        return self._take(attestation)

    def _take(self, attestation: BatchAttestation) -> bool:
        collectors = self._collectors.get(attestation.index)
        if collectors is None:
            next_index = self._next_index
            return next_index is not None and self._early.hold(attestation, next_index)
        for collector in collectors.values():
            outcome = collector.add(attestation)
            if outcome is AttestationOutcome.COUNTED:
                if collector.has_quorum and attestation.index not in self._ready_at:
                    self._ready_at[attestation.index] = time.monotonic()
                    self._wake.set()
                return True
            if outcome is not AttestationOutcome.OTHER_HEADER:
                return False
        return False

    # --- planning --------------------------------------------------------------------------
    async def _plan_forever(self) -> None:
        while self._next_index is None:
            try:
                position = await self.poster.start()
            except (TimeoutError, L1Error, OSError) as error:
                log.warning("batcher: inbox not readable yet (%s); retrying", error)
                await asyncio.sleep(RETRY_S)
                continue
            self._next_index, self._next_block = position.next_index, position.last_block + 1
            await self._check_inbox_chain(position.next_index, position.last_block)
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while await self._plan_one():
                    pass
            except (BatchPlanError, ValueError) as error:
                log.error("batcher: cannot plan the batch from block %d: %s",
                          self._next_block, error)

    async def _plan_one(self) -> bool:
        assert self._next_index is not None
        final = self._store.finalized_number() or 0
        if self._unchecked is not None and final >= self._unchecked[1]:
            unchecked, self._unchecked = self._unchecked, None
            await self._check_inbox_chain(*unchecked)
        if self.conflict is not None or self._unchecked is not None:
            return False
        batch_range = plan_next_batch(self._next_block, final, self._final_block, self._rules)
        if batch_range is None:
            return False
        record = self._epoch_record(self._rules.epoch_of(batch_range.first_block))
        if record is None:
            return False  # its set is not stored yet: planned once the node has it
        index = self._next_index
        last = decode_anchored_extra(batch_range.blocks[-1].batch_block.extra_data)
        forced_through = 0 if last is None else last.forced_through
        planned = await asyncio.to_thread(plan_headers, index, batch_range, record.l1_epoch,
                                          forced_through)
        self._add_planned(planned, record.validators)
        self._next_index, self._next_block = index + 1, batch_range.last_block + 1
        return True

    def _final_block(self, number: int) -> FinalBlock:
        block = self._store.get_block_by_number(number)
        if block is None:
            raise BatchPlanError(f"final block {number} is not stored")
        return final_block_of(block, self._output_root_of(block.header))

    def _add_planned(self, planned: PlannedBatch, validators: ValidatorSet) -> None:
        index = planned.index
        self._planned[index] = planned
        self._collectors[index] = {
            kind: AttestationCollector(self.poster.digest(planned.header(kind)), validators)
            for kind in KINDS}
        if self._signer.address in validators:
            for kind in KINDS:
                own = attest(self._signer, planned.header(kind), self._chain_id, self._inbox)
                self._take(own)
                payload = encode_attestation(own)
                self._own.setdefault(index, []).append(payload)
                self._broadcast(payload)
        for held in self._early.release(index):
            self._take(held)
        self._wake.set()

    # --- posting ---------------------------------------------------------------------------
    async def _post_forever(self) -> None:
        posted = 0  # the lowest index not known to have landed
        last_look = time.monotonic()
        while True:
            ready = None if self.conflict is not None else self._ready(posted)
            if ready is not None:
                leaving = await self._stake_leaving(ready[1].index)
                if leaving:
                    ready = self._ready(posted, leaving)
                    if ready is None:
                        self._note_leaving(posted, leaving)
            if ready is None:
                await asyncio.sleep(0.2)
                if time.monotonic() - last_look >= LOOK_AGAIN_S:
                    last_look = time.monotonic()
                    posted = await self._catch_up_with_inbox(posted)
                    self._gossip_own_again(posted)
                continue
            planned, batch = ready
            validators = next(iter(self._collectors[batch.index].values())).validators
            sequencers = [v.address for v in validators.validators]
            since = max(self._ready_at.get(batch.index, time.monotonic()), self._last_landing)
            try:
                # The turn is re-read on every look: a batch closes at an epoch's first height,
                # where the producer may be a dead node that the failover replaces a block later.
                while True:
                    delay = posting_delay(self._signer.address, self._producer() or b"",
                                          sequencers, self._takeover_after)
                    if may_post(time.monotonic(), since, delay):
                        if await self.poster.step(batch) is PostStatus.LANDED:
                            break
                    elif await self.poster.landed(batch):
                        break
                    await asyncio.sleep(self.poster.config.poll_interval)
            except (TimeoutError, BatchPosterError, L1Error, OSError) as error:
                log.warning("batcher: batch %d not posted yet: %s", batch.index, error)
                await asyncio.sleep(RETRY_S)
                if isinstance(error, BatchConflict):
                    # Another header holds the index: read the inbox, which names the conflict.
                    posted = await self._catch_up_with_inbox(posted)
                continue
            self._last_landing = time.monotonic()
            await self._record_landing(planned, batch)
            self._forget(batch.index)
            posted = batch.index + 1

    async def _catch_up_with_inbox(self, posted: int) -> int:
        """Batches that landed without reaching a quorum here (this node restarted after its
        peers had signed them, or was behind): the inbox is the truth, move past them."""
        try:
            position = await self.poster.position()
        except (TimeoutError, L1Error, OSError):
            return posted
        if position.next_index < posted:
            self._rewind(position.next_index, position.last_block)
            return position.next_index
        if position.next_index == posted:
            return posted
        landed = [index for index in self._planned if index < position.next_index]
        if landed:
            log.info("batches %d-%d landed without us", min(landed), max(landed))
        await self._check_inbox_chain(position.next_index, position.last_block)
        self._forget(position.next_index - 1)
        self._last_landing = time.monotonic()
        self.last_batch = {"index": position.next_index - 1, "firstBlock": None,
                           "lastBlock": position.last_block, "l1Tx": None, "l1Block": None,
                           "landedAt": time.time()}
        return position.next_index

    def _rewind(self, next_index: int, last_block: int) -> None:
        """The inbox removed batches ``next_index``.. (their root, or an earlier one's, lost a
        dispute): plan and post this node's chain again from there. A conflict over a removed
        batch is over: the inbox no longer holds it."""
        log.warning("batcher: the inbox went back to batch %d (after L2 block %d): batches were "
                    "removed by a lost dispute; posting this node's chain from there",
                    next_index, last_block)
        self.rewinds += 1
        for stale in [index for index in self._planned if index >= next_index]:
            self._planned.pop(stale, None)
            self._collectors.pop(stale, None)
            self._ready_at.pop(stale, None)
        for stale in [index for index in self._own if index >= next_index]:
            del self._own[stale]
        if self._disputed is not None and self._disputed >= next_index:
            self.conflict, self._disputed = None, None
        self._next_index, self._next_block = next_index, last_block + 1
        self._unchecked = None
        self._last_landing = time.monotonic()
        self._wake.set()

    async def _check_inbox_chain(self, next_index: int, last_block: int) -> None:
        """Stop planning and posting when the inbox's last output is not ours: L1 then holds
        another chain (a fallback batch posted while the sequencers were silent, or a wrong
        batch), and batches of our blocks could only be refused or build on nothing."""
        if next_index == 0 or self.conflict is not None:
            return
        try:
            recorded = bytes(await inbox_at(self._client, self._inbox).call(
                "output_roots", next_index - 1))
        except (TimeoutError, L1Error, OSError) as error:
            log.warning("batcher: cannot read the inbox's last output root: %s", error)
            return
        final = self._store.finalized_number() or 0
        block = self._store.get_block_by_number(last_block) if last_block <= final else None
        if block is None:
            # Behind the inbox (restarted while peers went on): compared once final here.
            self._unchecked = (next_index, last_block)
            return
        ours = self._output_root_of(block.header)
        if ours == recorded:
            return
        try:
            fallback = bool(await inbox_at(self._client, self._inbox).call(
                "fallback_batches", next_index - 1))
        except (TimeoutError, L1Error, OSError) as error:
            log.warning("batcher: cannot read whether batch %d is a fallback batch: %s",
                        next_index - 1, error)
            return
        where = (f"the inbox's batch {next_index - 1} ends at L2 block {last_block} with "
                 f"output root 0x{recorded.hex()}, this node's chain has 0x{ours.hex()} there")
        if not fallback:
            # A quorum signed another chain than this node's final one: that is for a dispute
            # (fault proofs), never for this node to adopt.
            self.conflict = (f"{where}: a quorum signed a batch this node's final chain "
                             "disagrees with; it must be disputed; batches are not posted "
                             "until the inbox removes it")
            self._disputed = next_index - 1
            log.error("batcher: %s", self.conflict)
            return
        self.conflict = (f"{where}: L1 went on with a fallback batch while the sequencers were "
                         "silent; the node restarts to adopt L1's chain")
        log.error("batcher: %s", self.conflict)
        if self.on_chain_replaced is not None:
            self.on_chain_replaced(self.conflict)

    def _gossip_own_again(self, lowest: int) -> None:
        """Our signatures of batches still waiting: a peer that restarted since we gossiped them
        has none of them, and without them it cannot post if it is the producer."""
        for index in sorted(self._own):
            if index >= lowest:
                for payload in self._own[index]:
                    self._broadcast(payload)

    def _ready(self, lowest: int, excluded: frozenset[bytes] = frozenset()
               ) -> tuple[PlannedBatch, ReadyBatch] | None:
        """The lowest planned batch from ``lowest`` on, if its signatures without those of
        ``excluded`` carry a quorum."""
        indexes = sorted(index for index in self._planned if index >= lowest)
        if not indexes:
            return None
        index = indexes[0]
        collectors = self._collectors[index]
        if not any(collector.has_quorum_without(excluded) for collector in collectors.values()):
            return None
        planned = self._planned[index]
        return planned, ReadyBatch.from_plan(planned, collectors, excluded)

    async def _stake_leaving(self, index: int) -> frozenset[bytes]:
        """The signers of batch ``index`` whose stake could be withdrawn before its window and
        longest dispute end (the inbox refuses a batch they sign), read from the pool at most
        every LOOK_AGAIN_S; empty when L1 cannot be read (the inbox stays the check)."""
        signers = {signer for collector in self._collectors[index].values()
                   for signer in collector.signers}
        now = time.monotonic()
        if self._locks is None or now - self._locks[0] >= LOOK_AGAIN_S or \
                not signers <= self._locks[2].keys():
            try:
                if self._dispute_times is None:
                    inbox = inbox_at(self._client, self._inbox)
                    self._dispute_times = (int(await inbox.call("challenge_window")),
                                           int(await inbox.call("max_dispute_duration")))
                    self._pool = pool_at(self._client, bytes.fromhex(
                        str(await inbox.call("pool")).removeprefix("0x")))
                assert self._pool is not None
                latest = await self._client.get_block("latest")
                if latest is None:
                    return frozenset()
                locked = {signer: int(await self._pool.call("stake_locked_until", signer))
                          for signer in sorted(signers)}
            except (TimeoutError, L1Error, OSError) as error:
                log.warning("batcher: cannot read whether a signer's stake is leaving: %s", error)
                return frozenset()
            self._locks = (now, latest.timestamp, locked)
        assert self._dispute_times is not None
        _, l1_time, locked = self._locks
        return stake_leaving_signers({signer: locked[signer] for signer in signers}, l1_time,
                                     *self._dispute_times, STAKE_LEAVING_MARGIN_S)

    def _note_leaving(self, index: int, leaving: frozenset[bytes]) -> None:
        if self._leaving_noted != (index, leaving):
            self._leaving_noted = (index, leaving)
            log.warning("batcher: batch %d has a quorum only with the signatures of %s, whose "
                        "stake could be withdrawn before its disputes end (the inbox refuses "
                        "them): waiting for other signers", index,
                        ", ".join("0x" + signer.hex() for signer in sorted(leaving)))

    async def _record_landing(self, planned: PlannedBatch, batch: ReadyBatch) -> None:
        """What ordo_status shows: the batch, and the L1 transaction if it was ours."""
        entry: dict[str, Any] = {"index": batch.index,
                                 "firstBlock": planned.batch_range.first_block,
                                 "lastBlock": planned.batch_range.last_block,
                                 "l1Tx": None, "l1Block": None, "landedAt": time.time()}
        for tx_hash in reversed(self.poster.sent_hashes(batch.index)):
            try:
                receipt = await self._client.get_transaction_receipt(tx_hash)
            except L1Error:
                break
            if receipt is not None and receipt.status == 1:
                entry["l1Tx"], entry["l1Block"] = "0x" + tx_hash.hex(), receipt.block_number
                self.batches_posted += 1
                self.l1_gas_spent += receipt.gas_used
                break
        self.last_batch = entry
        log.info("batch %d (blocks %d-%d) is in the inbox%s", batch.index,
                 planned.batch_range.first_block, planned.batch_range.last_block,
                 "" if entry["l1Tx"] is None else f", posted by us in {entry['l1Tx']}")

    def _forget(self, index: int) -> None:
        for older in [i for i in self._planned if i <= index]:
            self._planned.pop(older, None)
            self._collectors.pop(older, None)
            self._ready_at.pop(older, None)
        for older in [i for i in self._own if i <= index]:
            del self._own[older]

    def status(self) -> dict[str, Any]:
        last = self.last_batch or {}
        return {"nextIndex": self._next_index, "lastBatchIndex": last.get("index"),
                "lastBatchL1Tx": last.get("l1Tx"), "lastBatchL1Block": last.get("l1Block"),
                "lastBatchLastBlock": last.get("lastBlock"),
                "batchesPosted": self.batches_posted, "l1GasSpent": self.l1_gas_spent,
                "lastPostedAt": _whole_seconds(last.get("landedAt")),
                "conflict": self.conflict, "rewinds": self.rewinds}


def _whole_seconds(moment: float | None) -> int | None:
    """Unix seconds as ordo_status promises them (``ordo status`` and /metrics refuse a
    fraction, and would drop every L1 field over it)."""
    return None if moment is None else int(moment)
