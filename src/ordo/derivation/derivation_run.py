"""The derivation loop: read accepted batches from L1, check and replay them into the data
directory's chain, optionally compare every derived block with a live L2 node.

It stops at the first invalid batch (every later one builds on it) and at any error reading L1,
unless L1 removes that batch (its root lost a dispute game, ``BatchesRemoved``): then it goes on
with the batches accepted at its index after the removal. With ``follow`` it keeps polling L1
for new batches (and removals) until ``stop`` is set. When the genesis (or
the caller) names a ForcedInclusionQueue, its items are read from the same L1, up to each batch's
latest L1 origin, with the node's own ForcedQueueReader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from ordo.core.block import Block
from ordo.core.genesis import Genesis
from ordo.derivation.batch_data import decode_batch
from ordo.derivation.batch_sequence import BatchSequence
from ordo.derivation.derived_chain import DerivedChain
from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.derivation.forced_rules import ForcedQueueItems, latest_origin
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.derivation.l1_batches import L1BatchReader
from ordo.derivation.l1_origins import L1BlockHashes
from ordo.derivation.l2_comparison import block_mismatches
from ordo.derivation.origin_rules import batch_origins, l1_origin_error, l1_prices_error
from ordo.derivation.removed_batches import RemovedBatches, apply_removal
from ordo.derivation.summary import DerivationSummary
from ordo.l1.abi_codec import AbiError
from ordo.l1.client import L1Client
from ordo.l1.forced_queue_reader import ForcedQueueError, ForcedQueueReader
from ordo.l1.rollup_deploy import inbox_at
from ordo.l1.rpc_errors import L1Error
from ordo.storage.chain_store import ChainStore

MAX_REPORTED_MISMATCHES = 100

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DerivationOptions:
    l1_rpc: str
    inbox: bytes
    genesis: Genesis
    data_dir: Path
    from_block: int = 0
    follow: bool = False
    compare_rpc: str | None = None
    beacon_url: str | None = None
    confirmations: int = 1
    poll_interval: float = 2.0
    forced_queue: bytes | None = None
    """The ForcedInclusionQueue to read; None: the one the genesis names, if any."""

    @property
    def queue_address(self) -> bytes | None:
        """The queue blocks take forced items from: named here, or else in the genesis."""
        if self.forced_queue is not None:
            return self.forced_queue
        return None if self.genesis.l1 is None else self.genesis.l1.forced_queue

    def __post_init__(self) -> None:
        if len(self.inbox) != 20:
            raise ValueError(f"inbox 0x{self.inbox.hex()} is not a 20-byte address")
        if self.forced_queue is not None:
            if len(self.forced_queue) != 20:
                raise ValueError(f"forced queue 0x{self.forced_queue.hex()} is not a 20-byte "
                                 "address")
            if self.genesis.l1 is None:
                raise ValueError("a forced queue was named, but the genesis is not anchored to "
                                 "an L1 (its blocks take no forced items)")
        if self.from_block < 0:
            raise ValueError(f"from block {self.from_block} is negative")
        if self.confirmations < 1:
            raise ValueError(f"confirmations {self.confirmations} must be at least 1")
        for name, url in (("L1 RPC", self.l1_rpc), ("compare RPC", self.compare_rpc),
                          ("beacon", self.beacon_url)):
            if url is not None and not url.startswith(("http://", "https://")):
                raise ValueError(f"{name} URL {url!r}: use an http:// or https:// URL")
        if self.poll_interval <= 0:
            raise ValueError(f"poll interval {self.poll_interval} must be positive")


async def run_derivation(options: DerivationOptions,
                         stop: asyncio.Event | None = None) -> DerivationSummary:
    stopping = stop or asyncio.Event()
    summary = DerivationSummary(l1_from_block=options.from_block)
    started = time.monotonic()
    with ChainStore(options.data_dir) as store:
        chain = DerivedChain(store, options.genesis)
        async with contextlib.AsyncExitStack() as stack:
            l1 = await stack.enter_async_context(L1Client(options.l1_rpc))
            l2 = None if options.compare_rpc is None else \
                await stack.enter_async_context(L1Client(options.compare_rpc))
            try:
                await _check_inbox(l1, options)
                reader = L1BatchReader(l1, options.inbox, options.genesis.chain_id,
                                       options.beacon_url)
                origins = await _origin_hashes(l1, options.genesis)
                summary.l1_origins_checked = origins is not None
                forced = await _forced_queue(l1, options, origins is not None)
                await _derive(reader, chain, l2, origins, forced, options, summary, stopping)
            except (DerivationError, L1Error) as error:
                summary.error = str(error)
        head = chain.chain.head_header()
        summary.head_number = int(head.block_number)
        summary.head_hash = bytes(head.hash)
        summary.head_state_root = bytes(head.state_root)
    summary.seconds = time.monotonic() - started
    return summary


async def _check_inbox(l1: L1Client, options: DerivationOptions) -> None:
    """The inbox serves this genesis's chain: a wrong address or genesis fails here, once,
    instead of as a confusing header mismatch on the first batch."""
    try:
        chain_id = int(await inbox_at(l1, options.inbox).call("l2_chain_id"))
    except AbiError as error:
        raise DerivationError(f"inbox 0x{options.inbox.hex()}: not a RollupInbox ({error})") \
            from error
    if chain_id != options.genesis.chain_id:
        raise DerivationError(f"inbox 0x{options.inbox.hex()} records L2 chain {chain_id}, the "
                              f"genesis is chain {options.genesis.chain_id}")


async def _forced_queue(l1: L1Client, options: DerivationOptions, anchor_read: bool
                        ) -> ForcedQueueReader | None:
    """The reader of the queue blocks take forced items from, once the inbox is shown to use
    that queue (a wrong address would otherwise surface as a count mismatch far later)."""
    queue = options.queue_address
    if queue is None:
        return None
    if not anchor_read:
        raise DerivationError(f"forced queue 0x{queue.hex()} lives on the L1 the genesis is "
                              f"anchored to, not the one read: its items cannot be read here")
    try:
        used = _address(await inbox_at(l1, options.inbox).call("queue"))
    except AbiError as error:
        raise DerivationError(f"inbox 0x{options.inbox.hex()}: its queue cannot be read "
                              f"({error})") from error
    if used != queue:
        raise DerivationError(f"inbox 0x{options.inbox.hex()} takes forced items from queue "
                              f"0x{used.hex()}, not 0x{queue.hex()}")
    return ForcedQueueReader(l1, queue, options.from_block)


def _address(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))


async def _origin_hashes(l1: L1Client, genesis: Genesis) -> L1BlockHashes | None:
    """L1 block hashes to check origins against, when this L1 is the one the genesis is
    anchored to (a verifier reading the inbox on another chain cannot check them)."""
    if genesis.l1 is None or genesis.l1.chain_id != await l1.chain_id():
        return None
    return L1BlockHashes(l1)


async def _derive(reader: L1BatchReader, chain: DerivedChain, l2: L1Client | None,
                  origins: L1BlockHashes | None, forced: ForcedQueueReader | None,
                  options: DerivationOptions,
                  summary: DerivationSummary, stop: asyncio.Event) -> None:
    scan_from = options.from_block
    sequence: BatchSequence | None = None
    standing: list[AcceptedBatch] = []
    """Accepted batches L1 has not removed: derived, refused, or waiting behind a refused one."""
    refused: AcceptedBatch | None = None
    """The invalid batch: nothing after it is derived unless L1 removes it."""
    while True:
        confirmed = await reader.client.confirmed_block_number(options.confirmations)
        if confirmed is not None and confirmed >= scan_from:
            for event in await reader.events_between(scan_from, confirmed):
                if isinstance(event, RemovedBatches):
                    removed = next((batch for batch in standing
                                    if batch.index == event.index), None)
                    standing = apply_removal(standing, event)
                    if sequence is not None and removed is not None:
                        sequence.rewind(removed)
                    if refused is not None and refused.index >= event.index:
                        refused = None
                    summary.remove(event)
                    log.info("batches %d.. (%d) removed by L1 in block %d (a lost dispute)",
                             event.index, event.count, event.l1_block_number)
                    continue
                batch = event
                standing.append(batch)
                if refused is not None:
                    continue  # builds on the refused batch: derived only if that is removed
                if sequence is None:
                    sequence = BatchSequence(batch.index, batch.first_block) if batch.index \
                        else BatchSequence()
                try:
                    sequence.accept(batch)
                    committed = await derive_batch(reader, chain, origins, forced, batch)
                except InvalidBatch as error:
                    summary.refuse(batch, error)
                    refused = batch
                    log.warning("batch %d refused (%s): waiting for L1 to remove it", batch.index,
                                error)
                    continue
                summary.add_batch(committed)
                log.info("batch %d (L1 block %d): blocks %d..%d, %d newly derived", batch.index,
                         batch.l1_block_number, batch.first_block, batch.last_block,
                         len(committed))
                if l2 is not None:
                    await _compare(l2, committed, summary)
            summary.l1_to_block = confirmed
            scan_from = confirmed + 1
            if refused is not None and not options.follow:
                return
        if not options.follow or stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), options.poll_interval)
        if stop.is_set():
            return


async def derive_batch(reader: L1BatchReader, chain: DerivedChain,
                       origins: L1BlockHashes | None, forced: ForcedQueueReader | None,
                       batch: AcceptedBatch) -> list[Block]:
    """Read, check and replay one accepted batch into ``chain``: the blocks newly committed.
    Also how a returning sequencer node imports the batches L1 holds beyond its own chain."""
    payload = await reader.payload(batch)
    decoded = decode_batch(batch, payload)
    if origins is not None:
        numbers = [number for number in batch_origins(decoded) if number <= batch.l1_block_number]
        problem = l1_origin_error(decoded, await origins.hashes(numbers))
        if problem is None and chain.genesis.l1_fee is not None:
            problem = l1_prices_error(decoded, await origins.prices(numbers))
        if problem is not None:
            raise problem
    queue = None if forced is None else await _queue_items(forced, latest_origin(decoded))
    times = None
    if batch.fallback and origins is not None:
        times = await origins.timestamps(batch_origins(decoded))
    return await asyncio.to_thread(chain.apply, decoded, queue, times)


async def _queue_items(forced: ForcedQueueReader, through: int | None) -> ForcedQueueItems:
    """The queue's items up to L1 block ``through`` (no items when no block names an origin:
    the replay refuses such blocks on its own)."""
    if through is None:
        return ForcedQueueItems((), -1)
    try:
        return ForcedQueueItems(await forced.items_through(through), through)
    except ForcedQueueError as error:
        raise DerivationError(f"forced queue: {error} (read it from an earlier L1 block with "
                              f"--from-block)") from error


async def _compare(l2: L1Client, blocks: list[Block], summary: DerivationSummary) -> None:
    for block in blocks:
        problems = await block_mismatches(l2, block)
        summary.compared_blocks += 1
        room = MAX_REPORTED_MISMATCHES - len(summary.mismatches)
        summary.mismatches.extend(problems[:max(room, 0)])
