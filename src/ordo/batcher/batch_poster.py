"""Posting signed batches to the RollupInbox: the shell around L1 transactions.

The inbox's state at the confirmed L1 block is the only truth the poster believes: a batch is
done when ``batch_hash(index)`` there is its header hash, and it is (re)posted whenever the inbox
does not have it and no transaction of ours carrying it is in flight: unmined, or mined above
the confirmed block (it either confirms, or a reorg takes it out and the same bytes are
re-broadcast; sending another would only pay for the inbox's no-op). That one rule covers
restarts (read the inbox, post what is missing; re-posting an accepted header is a no-op, so a
batch sent just before a crash and sent again after it is accepted once), L1 reorgs (a batch
whose block was reorged out is missing again, and its transaction is re-broadcast) and other
posters (a batch someone else landed is done).

Transactions:
- Nonces: the account's pending nonce at start, then one per new transaction. A nonce is only
  ever re-used for the same content: a fee bump re-signs the same call, and a transaction that
  vanished from the L1 (reorged out and not back in the pool) is re-broadcast byte for byte.
- Fee bumping: a transaction not mined ``bump_after`` seconds after it was (re)sent is replaced
  at the same nonce with fees from :func:`ordo.batcher.fee_bump.bumped_fees`.
- Nonce holes: when nothing in the L1's pool holds the account's next nonce while ours wait
  above it (a reorg took out a transaction nobody sends again), a copy of our lowest waiting
  transaction fills the hole after ``bump_after`` (:meth:`BatchPoster._fill_gap`).
- Blobs by default; an L1 that refuses type-3 transactions (the embedded dev L1) is detected on
  the first refusal and calldata is used from then on. ``prefer_blobs=False`` posts calldata.
- Before each new transaction the call is estimated: a batch the inbox would refuse is reported
  (BatchRejected with the inbox's reason) instead of paying for a revert.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.batcher.batch_attestations import AttestationCollector
from ordo.batcher.batch_header import BatchHeader, DataKind, batch_digest
from ordo.batcher.batch_plan import PlannedBatch
from ordo.batcher.blob_packing import BlobSidecar
from ordo.batcher.blob_transaction import BlobTransactionFields, sign_blob_transaction
from ordo.batcher.fee_bump import PostFees, bumped_fees
from ordo.batcher.posting_turn import may_post
from ordo.core.call import CallRequest
from ordo.l1.client import L1Client
from ordo.l1.rollup_deploy import inbox_at
from ordo.l1.rpc_errors import L1Error, L1ResponseError, L1RpcError
from ordo.l1.wire_values import quantity

log = logging.getLogger(__name__)

POSITION_READS = 3
"""Tries at reading the inbox's position from one state (an L1 serving its newest block from
the database it is mining into can answer calls at one block number from two states)."""

GAS_MARGIN_NUMERATOR = 5
GAS_MARGIN_DENOMINATOR = 4
MIN_BLOB_FEE = 1
SENT_RECORDS_KEPT = 64
"""How many of our latest transactions are remembered for re-broadcast after a reorg."""


class BatchPosterError(Exception):
    """Posting cannot go on for this batch; the message says why."""


class BatchConflict(BatchPosterError):
    """The inbox accepted another header at this batch's index: this node's plan diverged."""


class BatchRejected(BatchPosterError):
    """The inbox refuses the batch (its reason is in the message): re-posting will not help."""


@dataclass(frozen=True)
class PosterConfig:
    confirmations: int = 3
    """L1 blocks on top of a batch's block (counting it) before it counts as landed."""
    bump_after: float = 30.0
    """Seconds a transaction may wait unmined before it is replaced with higher fees."""
    poll_interval: float = 1.0
    prefer_blobs: bool = True

    def __post_init__(self) -> None:
        if self.confirmations < 1:
            raise ValueError(f"confirmations: {self.confirmations} must be at least 1")
        if self.bump_after <= 0 or self.poll_interval <= 0:
            raise ValueError("bump_after and poll_interval must be positive")


@dataclass(frozen=True)
class PostableHeader:
    """A header with signatures of more than 2/3 of its epoch's stake, in ascending signer
    order."""

    header: BatchHeader
    signatures: tuple[bytes, ...]


@dataclass(frozen=True)
class ReadyBatch:
    """What the poster needs: the payload, its blobs, and each header variant with a quorum."""

    payload: bytes
    sidecar: BlobSidecar
    variants: tuple[PostableHeader, ...]

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError("ready batch: no header variant has a quorum")
        indexes = {variant.header.index for variant in self.variants}
        if len(indexes) != 1:
            raise ValueError(f"ready batch: variants of several indexes {sorted(indexes)}")

    @property
    def index(self) -> int:
        return self.variants[0].header.index

    def variant(self, kind: DataKind) -> PostableHeader | None:
        for variant in self.variants:
            if variant.header.data_kind is kind:
                return variant
        return None

    @classmethod
    def from_plan(cls, planned: PlannedBatch,
                  collectors: Mapping[DataKind, AttestationCollector],
                  excluded: Collection[bytes] = frozenset()) -> ReadyBatch:
        """The variants of ``planned`` whose collector (one per data kind, made with that
        variant's header hash) has a quorum without the signatures of ``excluded``, which are
        left out; ValueError when none has."""
        variants = tuple(
            PostableHeader(planned.header(kind),
                           tuple(collectors[kind].ordered_signatures(excluded)))
            for kind in (DataKind.BLOBS, DataKind.CALLDATA)
            if kind in collectors and collectors[kind].has_quorum_without(excluded))
        return cls(planned.payload, planned.sidecar, variants)


@dataclass(frozen=True)
class InboxPosition:
    """The inbox at one L1 block: where the next batch starts."""

    l1_block: int
    next_index: int
    last_block: int
    """The last L2 block posted (0 before any batch): the next batch starts after it."""
    last_header_hash: bytes | None
    """``batch_hash(next_index - 1)``: the last accepted header."""



@dataclass
class _Sent:
    """Our transaction at one nonce: its content (fixed for life) and its latest version."""

    nonce: int
    index: int
    header_hash: bytes
    kind: DataKind
    call_data: bytes
    sidecar: BlobSidecar | None
    gas: int
    fees: PostFees
    raw: bytes
    tx_hash: bytes
    sent_at: float
    hashes: list[bytes] = field(default_factory=list)
    """Every version's hash (a bump makes a new one; any of them may be the one mined)."""


class PostStatus(Enum):
    LANDED = "landed"
    """Accepted with one of the batch's headers at the confirmed block."""
    PENDING = "pending"
    """Sent, or accepted above the confirmed block: call again."""


class BatchPoster:
    """Posts batches from one L1 account. Call :meth:`start` once, then :meth:`post` (or
    :meth:`step` from the node's own loop) for the batch at the inbox's ``next_index``."""

    def __init__(self, client: L1Client, private_key: bytes, inbox: bytes, l2_chain_id: int,
                 config: PosterConfig | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if len(private_key) != 32:
            raise ValueError("poster private key must be 32 bytes")
        self.client = client
        self.inbox = inbox_at(client, inbox)
        self.l2_chain_id = l2_chain_id
        self.config = config or PosterConfig()
        self.clock = clock
        self._key = private_key
        self.address = bytes.fromhex(Account.from_key(private_key).address[2:])
        self.blobs_supported = self.config.prefer_blobs
        """False once the L1 refused a type-3 transaction (or never tried, with
        ``prefer_blobs=False``)."""
        self._next_nonce: int | None = None
        self._sent: dict[int, _Sent] = {}
        self.gaps_filled = 0
        """Nonce holes below our waiting transactions filled with a copy (``_fill_gap``)."""

    # --- inbox ---------------------------------------------------------------------------------
    async def start(self) -> InboxPosition:
        """Take the L1's pending nonce and read where the inbox stands at the confirmed block:
        the node plans the next batch from there (index ``next_index``, first block
        ``last_block + 1``)."""
        self._next_nonce = await self.client.get_transaction_count(self.address, "pending")
        position = await self.position()
        log.info("batch poster 0x%s: nonce %d, inbox next index %d after L2 block %d",
                 self.address.hex(), self._next_nonce, position.next_index, position.last_block)
        return position

    async def position(self, confirmed: bool = True) -> InboxPosition:
        """The inbox at the confirmed block (or at the head)."""
        head = await self.client.block_number()
        block = max(0, head - self.config.confirmations + 1) if confirmed else head
        for _ in range(POSITION_READS):
            next_index = await self._next_index(block)
            last_block = 0 if next_index == 0 else \
                int(await self.inbox.call("last_block", block=block))
            last_hash = None if next_index == 0 else \
                bytes(await self.inbox.call("batch_hash", next_index - 1, block=block))
            # Three calls: consistent only if no block was mined under them (see
            # _accepted_hash); the index read again tells.
            if await self._next_index(block) == next_index:
                return InboxPosition(block, next_index, last_block, last_hash)
        raise L1ResponseError(f"the inbox's position at L1 block {block} changed under "
                              f"{POSITION_READS} reads in a row")

    async def _next_index(self, block: int) -> int:
        """``next_index`` at ``block``; 0 at a block before the inbox was deployed (a call to
        an address without code returns nothing)."""
        payload = await self.client.call(
            CallRequest(to=self.inbox.address, data=self.inbox.encode_call("next_index")),
            block)
        return 0 if payload == b"" else int(self.inbox.decode_result("next_index", 0, payload))

    async def _accepted_hash(self, index: int, block: int) -> bytes | None:
        """The header hash the inbox holds at ``index`` at ``block``; None when it holds none.

        The two reads are two calls: an L1 that serves the newest block's state from its live
        database while it mines the next block (anvil does) can answer the first from the new
        block and the second from ``block`` itself. The inbox never stores a zero hash below
        ``next_index``, so a zero answer means the reads straddled a block: nothing is known
        yet, and the next step reads again (a conflict must never be concluded from it)."""
        if await self._next_index(block) <= index:
            return None
        accepted = bytes(await self.inbox.call("batch_hash", index, block=block))
        if accepted == bytes(32):
            log.info("batch %d: the inbox's reads at L1 block %d straddled a new block; "
                     "reading again", index, block)
            return None
        return accepted

    def digest(self, header: BatchHeader) -> bytes:
        return batch_digest(header, self.l2_chain_id, self.inbox.address)

    # --- posting -------------------------------------------------------------------------------
    async def post(self, batch: ReadyBatch, *, delay: float | None = 0.0,
                   waiting_since: float | None = None, timeout: float | None = None) -> None:
        """Drive ``batch`` until it is accepted at the confirmed block, by us or anyone.

        ``delay`` is this sequencer's turn (:func:`ordo.batcher.posting_turn.posting_delay`;
        None: never post, only wait for someone else) counted from ``waiting_since`` (this
        poster's clock; now if None): until then it only watches the inbox, so a batch the
        producer lands in time costs this sequencer nothing.
        """
        started = self.clock()
        since = started if waiting_since is None else waiting_since
        while True:
            if may_post(self.clock(), since, delay):
                if await self.step(batch) is PostStatus.LANDED:
                    return
            elif await self.landed(batch):
                return
            if timeout is not None and self.clock() - started >= timeout:
                raise TimeoutError(f"batch {batch.index} not landed after {timeout}s")
            await asyncio.sleep(self.config.poll_interval)

    async def landed(self, batch: ReadyBatch) -> bool:
        """Whether the inbox holds ``batch`` at the confirmed block; BatchConflict if it holds
        another header at its index."""
        head = await self.client.block_number()
        accepted = await self._accepted_hash(batch.index,
                                             max(0, head - self.config.confirmations + 1))
        if accepted is None:
            return False
        if accepted not in {self.digest(variant.header) for variant in batch.variants}:
            raise BatchConflict(f"batch {batch.index} was accepted with header "
                                f"0x{accepted.hex()}, not one of ours")
        return True

    def sent_hashes(self, index: int) -> tuple[bytes, ...]:
        """Every transaction version this poster sent for batch ``index``, oldest first (the
        record is kept for the latest SENT_RECORDS_KEPT nonces)."""
        return tuple(tx_hash for nonce in sorted(self._sent) if self._sent[nonce].index == index
                     for tx_hash in self._sent[nonce].hashes)

    async def step(self, batch: ReadyBatch) -> PostStatus:
        """One look at the L1 and at most one round of sends. Raises BatchConflict,
        BatchRejected, BatchPosterError (not the inbox's next batch), or L1Error."""
        if self._next_nonce is None:
            await self.start()
        digests = {self.digest(variant.header) for variant in batch.variants}
        head = await self.client.block_number()
        confirmed = max(0, head - self.config.confirmations + 1)
        accepted = await self._accepted_hash(batch.index, confirmed)
        if accepted is not None:
            if accepted not in digests:
                raise BatchConflict(f"batch {batch.index} was accepted with header "
                                    f"0x{accepted.hex()}, not one of ours")
            return PostStatus.LANDED
        latest = await self._tend_sent()
        at_head = await self._accepted_hash(batch.index, head)
        if at_head is not None:
            if at_head not in digests:
                raise BatchConflict(f"batch {batch.index} was accepted at the head with header "
                                    f"0x{at_head.hex()}, not one of ours")
            return PostStatus.PENDING
        ours = [sent for sent in self._sent.values() if sent.header_hash in digests]
        for sent in ours:
            if sent.nonce < latest:
                await self._check_not_reverted(sent)
        if ours and await self._in_flight(ours, confirmed):
            return PostStatus.PENDING
        next_index = await self._next_index(head)
        if next_index != batch.index:
            raise BatchPosterError(f"batch {batch.index} is not the inbox's next "
                                   f"({next_index}): post that one first")
        await self._send_new(batch)
        return PostStatus.PENDING

    async def _in_flight(self, ours: list[_Sent], confirmed: int) -> bool:
        """Whether one of ``ours`` is not mined at the ``confirmed`` block. Counting at that
        block, not at the head: ``head`` was read before ``latest``, so a transaction mined in
        between is in ``latest`` but not in the inbox at ``head``; and one mined above the
        confirmed block is still in flight (it confirms, or a reorg takes it out and
        :meth:`_tend_sent` re-broadcasts it): a new transaction would only be the inbox's
        no-op."""
        mined = await self.client.get_transaction_count(self.address, confirmed)
        return any(sent.nonce >= mined for sent in ours)

    async def _tend_sent(self) -> int:
        """Re-broadcast what vanished, bump what is stuck (same content at the same nonce);
        the account's mined nonce count."""
        latest = await self.client.get_transaction_count(self.address, "latest")
        await self._fill_gap(latest)
        for nonce in sorted(self._sent):
            sent = self._sent[nonce]
            if nonce < latest:
                continue  # mined; if a reorg takes it out, the count drops and we come back
            seen = await self.client.request("eth_getTransactionByHash",
                                             ["0x" + sent.tx_hash.hex()])
            if seen is None:
                log.info("batch %d: transaction 0x%s (nonce %d) is gone from the L1, "
                         "re-broadcasting it", sent.index, sent.tx_hash.hex(), nonce)
                try:
                    await self._broadcast(sent.raw)
                    sent.sent_at = self.clock()
                except L1RpcError as error:
                    # A pool drops what the base fee outgrew (anvil does) and refuses it again.
                    log.info("batch %d: re-broadcast refused (%s), replacing it", sent.index,
                             error.message)
                    await self._bump(sent)
            elif self.clock() - sent.sent_at >= self.config.bump_after:
                await self._bump(sent)
        return latest

    async def _fill_gap(self, latest: int) -> None:
        """Fill a nonce below our waiting transactions that nothing in the L1's pool holds.

        A reorg can take out a transaction of this account that nobody sends again (one whose
        record we no longer keep, or another part's: the epoch keeper signs with the same
        key); every later transaction of the account then waits for ever, re-broadcast and
        bumped in vain. Once our lowest waiting transaction has waited ``bump_after`` above
        such a hole (the pool's pending count is the mined count: nothing executable at it), a
        copy of it goes in at the hole's nonce. Whichever copy is mined second is the inbox's
        no-op for a header it holds."""
        waiting = [self._sent[nonce] for nonce in sorted(self._sent) if nonce >= latest]
        if not waiting or waiting[0].nonce == latest:
            return
        lowest = waiting[0]
        if self.clock() - lowest.sent_at < self.config.bump_after:
            return
        if await self.client.get_transaction_count(self.address, "pending") > latest:
            return
        fees = await self._suggested_fees(lowest.kind)
        raw, tx_hash = await self._sign(lowest.kind, latest, lowest.gas, fees,
                                        lowest.call_data, lowest.sidecar)
        log.warning("batch %d: nonce %d is held by nothing in the L1's pool (a reorg took a "
                    "transaction of 0x%s out), so nonce %d and later wait; sending the batch "
                    "again at nonce %d as 0x%s", lowest.index, latest, self.address.hex(),
                    lowest.nonce, latest, tx_hash.hex())
        await self._broadcast(raw)
        self.gaps_filled += 1
        self._sent[latest] = _Sent(latest, lowest.index, lowest.header_hash, lowest.kind,
                                   lowest.call_data, lowest.sidecar, lowest.gas, fees, raw,
                                   tx_hash, self.clock(), [tx_hash])

    async def _check_not_reverted(self, sent: _Sent) -> None:
        """A mined transaction of ours for this batch that failed: forget it and report it
        once (posting again would pay for the same revert; the caller decides)."""
        for tx_hash in sent.hashes:
            receipt = await self.client.get_transaction_receipt(tx_hash)
            if receipt is not None and not receipt.succeeded:
                del self._sent[sent.nonce]
                raise BatchRejected(f"batch {sent.index}: transaction 0x{tx_hash.hex()} "
                                    f"reverted in L1 block {receipt.block_number}")

    async def _send_new(self, batch: ReadyBatch) -> None:
        variant = self._choose(batch)
        call_data = self.inbox.encode_call(
            "submit_batch", variant.header.as_abi_tuple(), list(variant.signatures),
            b"" if variant.header.data_kind is DataKind.BLOBS else batch.payload)
        blobs = variant.header.data_kind is DataKind.BLOBS
        sidecar = batch.sidecar if blobs else None
        try:
            gas = await self._estimate(call_data, sidecar)
        except BlobsRefused:
            self._refuse_blobs("the L1 does not expose blobs to calls")
            return await self._send_new(batch)
        fees = await self._suggested_fees(variant.header.data_kind)
        pending = await self.client.get_transaction_count(self.address, "pending")
        assert self._next_nonce is not None
        nonce = max(self._next_nonce, pending)
        raw, tx_hash = await self._sign(variant.header.data_kind, nonce, gas, fees, call_data,
                                        sidecar)
        try:
            await self._broadcast(raw)
        except L1RpcError as error:
            if blobs and _is_type_refusal(error):
                self._refuse_blobs(error.message)
                return await self._send_new(batch)
            raise
        self._next_nonce = nonce + 1
        self._sent[nonce] = _Sent(nonce, batch.index, self.digest(variant.header),
                                  variant.header.data_kind, call_data, sidecar, gas, fees, raw,
                                  tx_hash, self.clock(), [tx_hash])
        for old in sorted(self._sent)[:-SENT_RECORDS_KEPT]:
            del self._sent[old]
        log.info("batch %d (%s, blocks %d..%d) sent as 0x%s, nonce %d", batch.index,
                 variant.header.data_kind.name.lower(), variant.header.first_block,
                 variant.header.last_block, tx_hash.hex(), nonce)

    def _choose(self, batch: ReadyBatch) -> PostableHeader:
        blob_variant = batch.variant(DataKind.BLOBS)
        if self.blobs_supported and blob_variant is not None:
            return blob_variant
        calldata_variant = batch.variant(DataKind.CALLDATA)
        if calldata_variant is None:
            raise BatchPosterError(f"batch {batch.index}: only a blob header has a quorum and "
                                   f"this L1 takes no blob transactions")
        return calldata_variant

    def _refuse_blobs(self, why: str) -> None:
        if self.blobs_supported:
            log.warning("the L1 refuses blob transactions (%s): posting calldata from now on",
                        why)
        self.blobs_supported = False

    async def _estimate(self, call_data: bytes, sidecar: BlobSidecar | None) -> int:
        request: dict[str, Any] = {"from": to_checksum_address(self.address),
                                   "to": to_checksum_address(self.inbox.address),
                                   "input": "0x" + call_data.hex()}
        if sidecar is not None:
            request["blobVersionedHashes"] = ["0x" + value.hex()
                                              for value in sidecar.versioned_hashes]
        try:
            estimate = quantity(await self.client.request("eth_estimateGas", [request, "latest"]),
                                "eth_estimateGas")
        except L1RpcError as error:
            reason = error.revert_reason or error.message
            if sidecar is not None and "blob batch without blobs" in reason:
                raise BlobsRefused(reason) from error
            if "already accepted with another header" in reason:
                raise BatchConflict(reason) from error
            raise BatchRejected(f"the inbox refuses the batch: {reason}") from error
        return estimate * GAS_MARGIN_NUMERATOR // GAS_MARGIN_DENOMINATOR

    async def _suggested_fees(self, kind: DataKind) -> PostFees:
        suggestion = await self.client.suggest_fees()
        blob_fee = 0
        if kind is DataKind.BLOBS:
            blob_base = quantity(await self.client.request("eth_blobBaseFee", []),
                                 "eth_blobBaseFee")
            blob_fee = max(MIN_BLOB_FEE, 2 * blob_base)
        return PostFees(suggestion.max_fee_per_gas, suggestion.max_priority_fee_per_gas,
                        blob_fee)

    async def _sign(self, kind: DataKind, nonce: int, gas: int, fees: PostFees,
                    call_data: bytes, sidecar: BlobSidecar | None) -> tuple[bytes, bytes]:
        chain_id = await self.client.chain_id()
        if kind is DataKind.BLOBS:
            assert sidecar is not None
            signed = sign_blob_transaction(self._key, BlobTransactionFields(
                chain_id=chain_id, nonce=nonce, to=self.inbox.address, data=call_data, gas=gas,
                max_fee_per_gas=fees.max_fee_per_gas,
                max_priority_fee_per_gas=fees.max_priority_fee_per_gas,
                max_fee_per_blob_gas=fees.max_fee_per_blob_gas), sidecar)
            return signed.network_bytes, signed.tx_hash
        transaction = {"type": 2, "chainId": chain_id, "nonce": nonce, "gas": gas,
                       "maxFeePerGas": fees.max_fee_per_gas,
                       "maxPriorityFeePerGas": fees.max_priority_fee_per_gas, "value": 0,
                       "data": call_data, "to": to_checksum_address(self.inbox.address)}
        signed_type2 = Account.sign_transaction(transaction, self._key)
        return bytes(signed_type2.raw_transaction), bytes(signed_type2.hash)

    async def _broadcast(self, raw: bytes) -> None:
        """Send; an L1 that already has it (or already mined that nonce) is not an error: the
        next step reads the outcome from the chain."""
        try:
            await self.client.send_raw_transaction(raw)
        except L1RpcError as error:
            message = error.message.lower()
            if "already known" in message or "nonce too low" in message:
                return
            raise

    async def _bump(self, sent: _Sent) -> None:
        fees = bumped_fees(sent.fees, await self._suggested_fees(sent.kind),
                           blobs=sent.kind is DataKind.BLOBS)
        raw, tx_hash = await self._sign(sent.kind, sent.nonce, sent.gas, fees, sent.call_data,
                                        sent.sidecar)
        log.info("batch %d: nonce %d unmined for %.0fs, replacing it with max fee %d, tip %d",
                 sent.index, sent.nonce, self.clock() - sent.sent_at, fees.max_fee_per_gas,
                 fees.max_priority_fee_per_gas)
        sent.fees = fees  # even if refused: the next bump starts from these
        sent.sent_at = self.clock()
        try:
            await self._broadcast(raw)
        except L1RpcError as error:
            if "underpriced" in error.message.lower():
                log.info("batch %d: replacement refused (%s); bumping again later", sent.index,
                         error.message)
                return
            raise
        sent.raw, sent.tx_hash = raw, tx_hash
        sent.hashes.append(tx_hash)


class BlobsRefused(L1Error):
    """The L1 takes the type-3 fields but does not give the call its blobs."""


def _is_type_refusal(error: L1RpcError) -> bool:
    message = error.message.lower()
    return "type" in message and ("not supported" in message or "unsupported" in message)
