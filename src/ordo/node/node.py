"""One Ordo node: chain, mempool and transaction intake, seen by the RPC server as an RpcBackend.

Everything here runs on the asyncio thread except block building and committing, which the
producer hands to a worker thread; reads go to committed data only, so they never see a
half-built block.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Sequence
from typing import Any

from eth.abc import ReceiptAPI, SignedTransactionAPI

from ordo import __version__
from ordo.chain.chain import Chain
from ordo.consensus.schedule import epoch_heights, get_epoch
from ordo.core.block import Block, ExecutedBlock, LogRecord, TransactionLocation
from ordo.core.call import AccountProof, CallRequest
from ordo.core.errors import RejectedTransaction
from ordo.core.l1_fee import header_l1_prices
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.execution.access_list import AccessListResult
from ordo.execution.call_overrides import NO_OVERRIDES, CallOverrides
from ordo.execution.engine import BlockEnvironment
from ordo.execution.pending_block import PendingBlockCache
from ordo.execution.simulation import SimulatedBlock, SimulationRequest
from ordo.mempool import Mempool
from ordo.node.consensus_view import ConsensusView
from ordo.node.dropped_transactions import DroppedTransactions
from ordo.node.fee_book import FeeBook, block_tips
from ordo.node.head_accounts import HeadAccounts
from ordo.node.journal_writer import JournalWriter
from ordo.node.production_policy import next_block_timestamp
from ordo.rpc.backend import NewBlockListener, PendingTransactionListener

log = logging.getLogger(__name__)

MIN_SUGGESTED_PRIORITY_FEE = 1_000_000  # 0.001 gwei: the tip a quiet L2 suggests
PRIORITY_FEE_SAMPLE_BLOCKS = 20


class Node:
    """Implements ordo.rpc.backend.RpcBackend for a single sequencer."""

    def __init__(self, chain: Chain, mempool: Mempool, signer_address: bytes | None) -> None:
        self.chain = chain
        self.mempool = mempool
        mempool.set_l1_prices(header_l1_prices(chain.head_header()))
        self.chain_id = chain.genesis.chain_id
        self.l1_fee_rules = chain.genesis.l1_fee
        self.fee_book = None if self.l1_fee_rules is None else \
            FeeBook(chain.genesis.consensus.epoch_length)
        """Per sequencer blocks, tips and the vault's income of this epoch and the last."""
        self.client_version = f"Ordo/v{__version__}/python"
        self.signer_address = signer_address
        self.dropped = DroppedTransactions()
        self._journal = JournalWriter(chain.store.journal_add)
        self._block_listeners: list[NewBlockListener] = []
        self._pending_listeners: list[PendingTransactionListener] = []
        self.started_at = time.time()
        self._pending_block = PendingBlockCache(chain.engine)
        self.consensus: ConsensusView | None = None
        """Set by the runner once the consensus driver exists; answers the network questions."""
        self._gossip_tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self._journal.start()
        self._replay_journal()
        self._backfill_fees()

    async def stop(self) -> None:
        await self._journal.stop()

    def _replay_journal(self) -> None:
        """Re-admit transactions that were acknowledged but not yet included before a restart."""
        stale: list[bytes] = []
        admitted = 0
        accounts = self.head_accounts()
        for raw in self.chain.store.journal_entries():
            try:
                decoded = decode_transaction(raw)
            except RejectedTransaction as error:
                log.warning("journal entry undecodable, dropped: %s", error.message)
                continue
            if self.chain.store.get_transaction_location(decoded.hash) is not None:
                stale.append(decoded.hash)
                continue
            try:
                admission = self.mempool.add(decoded, accounts)
                admitted += 1
                stale.extend(self._record_removals(admission.removed))
            except RejectedTransaction as error:
                stale.append(decoded.hash)
                self.dropped.record(decoded.hash, error.message)
        if stale:
            self.chain.store.journal_remove(stale)
        if admitted:
            log.info("re-admitted %d journaled transactions", admitted)

    def head_accounts(self) -> HeadAccounts:
        return HeadAccounts(self.chain, self.chain.head_header())

    # --- block notifications (called by the consensus driver after each commit) -------------
    def _record_removals(self, removals: Sequence[tuple[bytes, str]]) -> list[bytes]:
        for tx_hash, reason in removals:
            self.dropped.record(tx_hash, reason)
        return [tx_hash for tx_hash, _ in removals]

    async def on_block_committed(self, block: Block, skipped: Sequence[tuple[bytes, str]]) -> None:
        removed: list[bytes] = []
        for tx_hash, reason in skipped:
            removed.extend(self._record_removals(self.mempool.drop_skipped(tx_hash, reason)))
        included = [bytes(tx.hash) for tx in block.transactions]
        self.mempool.set_l1_prices(header_l1_prices(block.header))
        removed.extend(self._record_removals(self.mempool.on_block(
            included, self.head_accounts(), block_number=block.number,
            base_fee=self.next_base_fee(),
        )))
        if removed:
            await asyncio.to_thread(self.chain.store.journal_remove, removed)
        if self.fee_book is not None:
            self._record_fees(block)
        for listener in self._block_listeners:
            await _call_listener(listener, block)

    def _backfill_fees(self) -> None:
        """Tallies the stored blocks of the last and the current epoch, so a restarted node's
        ``economics`` counts from each epoch's first block, not from its restart (at most two
        epochs: a header, its receipts and two vault balances per block, about 0.4 ms each)."""
        if self.fee_book is None:
            return
        head = self.chain.head_number()
        epoch = get_epoch(max(head, 1), self.fee_book.epoch_length)
        first, _ = epoch_heights(max(epoch - 1, 0), self.fee_book.epoch_length)
        for number in range(first, head + 1):
            block = self.chain.store.get_block_by_number(number)
            if block is not None:
                self._record_fees(block)

    def _record_fees(self, block: Block) -> None:
        assert self.fee_book is not None and self.l1_fee_rules is not None
        header = block.header
        vault = self.l1_fee_rules.vault
        engine = self.chain.engine
        parent = self.chain.header_at(block.number - 1)
        income = engine.get_balance(header, vault) - engine.get_balance(parent, vault)
        tips = block_tips(block.transactions, self.chain.store.get_receipts(block.hash),
                          int(header.base_fee_per_gas or 0))
        self.fee_book.record(block.number, bytes(header.extra_data), tips, income)

    # --- RpcBackend: chain ---------------------------------------------------------------------
    def head_number(self) -> int:
        return self.chain.head_number()

    def finalized_number(self) -> int:
        number = self.chain.store.finalized_number()
        return 0 if number is None else number

    def get_block_by_number(self, number: int) -> Block | None:
        return self.chain.store.get_block_by_number(number)

    def get_block_by_hash(self, block_hash: bytes) -> Block | None:
        return self.chain.store.get_block_by_hash(block_hash)

    def get_receipts(self, block_hash: bytes) -> Sequence[ReceiptAPI]:
        return self.chain.store.get_receipts(block_hash)

    def pending_block(self) -> ExecutedBlock:
        head = self.chain.head_header()
        base_fee = self.chain.engine.next_base_fee(head)
        version = (len(self.mempool), tuple(sorted(self.mempool.counters.items())))
        env = BlockEnvironment(
            coinbase=self.signer_address or b"\x00" * 20,
            timestamp=next_block_timestamp(time.time(), int(head.timestamp)),
            gas_limit=int(head.gas_limit),
        )
        return self._pending_block.get(head, version, lambda: self.mempool.select(base_fee), env)

    def get_transaction_location(self, tx_hash: bytes) -> TransactionLocation | None:
        return self.chain.store.get_transaction_location(tx_hash)

    def get_block_logs(self, number: int) -> Sequence[LogRecord]:
        return self.chain.store.get_block_logs(number)

    # --- RpcBackend: state ---------------------------------------------------------------------
    def get_balance(self, address: bytes, number: int) -> int:
        return self.chain.engine.get_balance(self.chain.header_at(number), address)

    def get_nonce(self, address: bytes, number: int) -> int:
        return self.chain.engine.get_nonce(self.chain.header_at(number), address)

    def get_code(self, address: bytes, number: int) -> bytes:
        return self.chain.engine.get_code(self.chain.header_at(number), address)

    def get_storage_at(self, address: bytes, slot: int, number: int) -> int:
        return self.chain.engine.get_storage_at(self.chain.header_at(number), address, slot)

    def get_proof(self, address: bytes, slots: Sequence[int], number: int) -> AccountProof:
        return self.chain.engine.get_proof(self.chain.header_at(number), address, slots)

    def get_state_node(self, key: bytes) -> bytes | None:
        return self.chain.store.state_reader().get(key)

    def call(self, request: CallRequest, number: int,
             overrides: CallOverrides = NO_OVERRIDES) -> bytes:
        return self.chain.engine.call(self.chain.header_at(number), request, overrides)

    def estimate_gas(self, request: CallRequest, number: int,
                     overrides: CallOverrides = NO_OVERRIDES) -> int:
        return self.chain.engine.estimate_gas(self.chain.header_at(number), request, overrides)

    def create_access_list(self, request: CallRequest, number: int,
                           overrides: CallOverrides = NO_OVERRIDES) -> AccessListResult:
        return self.chain.engine.create_access_list(self.chain.header_at(number), request,
                                                    overrides)

    def simulate(self, request: SimulationRequest, number: int) -> list[SimulatedBlock]:
        return self.chain.engine.simulate(self.chain.header_at(number), request)

    # --- RpcBackend: fees ----------------------------------------------------------------------
    def next_base_fee(self) -> int:
        return self.chain.engine.next_base_fee(self.chain.head_header())

    def blob_base_fee(self) -> int:
        return self.chain.engine.blob_base_fee(self.chain.head_header())

    def suggested_priority_fee(self) -> int:
        """The median tip paid in recent blocks, at least a small floor (like geth's oracle)."""
        tips: list[int] = []
        head = self.head_number()
        for number in range(max(1, head - PRIORITY_FEE_SAMPLE_BLOCKS + 1), head + 1):
            block = self.get_block_by_number(number)
            if block is None:
                continue
            base_fee = int(block.header.base_fee_per_gas or 0)
            for tx in block.transactions:
                tips.append(_effective_tip(tx, base_fee))
        if not tips:
            return MIN_SUGGESTED_PRIORITY_FEE
        tips.sort()
        return max(MIN_SUGGESTED_PRIORITY_FEE, tips[len(tips) // 2])

    # --- RpcBackend: mempool -------------------------------------------------------------------
    async def submit_raw_transaction(self, raw: bytes) -> bytes:
        decoded = decode_transaction(raw)
        if self.chain.store.get_transaction_location(decoded.hash) is not None:
            raise RejectedTransaction("already known")
        admission = self.mempool.add(decoded, self.head_accounts())
        evicted = self._record_removals(admission.removed)
        if evicted:
            await asyncio.to_thread(self.chain.store.journal_remove, evicted)
        try:
            await self._journal.append(decoded.hash, decoded.raw)
        except Exception as error:
            self.mempool.drop_skipped(decoded.hash, "journal write failed")
            log.error("journal write failed: %s", error)
            raise RejectedTransaction("internal error: transaction could not be stored") from error
        self.dropped.forget(decoded.hash)
        for listener in self._pending_listeners:
            await _call_listener(listener, decoded.hash)
        return decoded.hash

    def admit_gossiped_transaction(self, raw: bytes) -> bool:
        """A transaction from a peer: the same admission as over RPC, synchronously, so that the
        network relays only what was accepted; journaling and listeners follow in a task.
        Duplicates are no-ops (not relayed again)."""
        try:
            decoded = decode_transaction(raw)
        except RejectedTransaction:
            return False
        if decoded.hash in self.mempool or \
                self.chain.store.get_transaction_location(decoded.hash) is not None:
            return False
        try:
            admission = self.mempool.add(decoded, self.head_accounts())
        except RejectedTransaction:
            return False
        task = asyncio.create_task(self._journal_gossiped(decoded, admission.removed))
        self._gossip_tasks.add(task)
        task.add_done_callback(self._gossip_tasks.discard)
        return True

    async def _journal_gossiped(self, decoded: DecodedTransaction,
                                removed: Sequence[tuple[bytes, str]]) -> None:
        evicted = self._record_removals(removed)
        try:
            if evicted:
                await asyncio.to_thread(self.chain.store.journal_remove, evicted)
            await self._journal.append(decoded.hash, decoded.raw)
        except Exception as error:
            self.mempool.drop_skipped(decoded.hash, "journal write failed")
            log.error("journal write of a gossiped transaction failed: %s", error)
            return
        for listener in self._pending_listeners:
            await _call_listener(listener, decoded.hash)

    def pending_nonce(self, address: bytes) -> int:
        state_nonce = self.get_nonce(address, self.head_number())
        return self.mempool.pending_nonce(address, state_nonce)

    def get_pending_transaction(self, tx_hash: bytes) -> tuple[SignedTransactionAPI, bytes] | None:
        decoded: DecodedTransaction | None = self.mempool.get(tx_hash)
        if decoded is None:
            return None
        return decoded.tx, decoded.sender

    def transaction_status(self, tx_hash: bytes) -> dict[str, Any]:
        """Where an acknowledged transaction is now: included, pending, dropped (why) or unknown."""
        location = self.get_transaction_location(tx_hash)
        if location is not None:
            return {"status": "included", "blockNumber": hex(location.block_number),
                    "blockHash": "0x" + location.block_hash.hex()}
        if tx_hash in self.mempool:
            return {"status": "pending"}
        reason = self.dropped.reason(tx_hash)
        if reason is not None:
            return {"status": "dropped", "reason": reason}
        return {"status": "unknown"}

    # --- RpcBackend: node ----------------------------------------------------------------------
    def peer_count(self) -> int:
        return 0 if self.consensus is None else self.consensus.peer_count()

    def syncing(self) -> dict[str, int] | None:
        return None if self.consensus is None else self.consensus.syncing()

    def get_commit(self, number: int) -> dict[str, Any] | None:
        return None if self.consensus is None else self.consensus.get_commit(number)

    def evidence(self) -> list[dict[str, Any]]:
        return [] if self.consensus is None else self.consensus.evidence_list()

    def fault_counters(self) -> dict[str, int]:
        """Storage and commit faults this node rode out since it started, by kind: writes the
        store refused whole (full disk or another write error), consensus steps that rested on
        a refused write, decided blocks whose commit failed. ``ordo_status.faults`` and the
        ``ordo_node_faults`` series read this one dict, so they cannot disagree."""
        counters = {"write_refusals": self.chain.store.write_refusals}
        if self.consensus is not None:
            counters["disk_full_waits"] = self.consensus.disk_full_waits
            counters["commit_failures"] = self.consensus.commit_failures
        return counters

    def status(self) -> dict[str, Any]:
        head = self.head_number()
        status: dict[str, Any] = {
            "chainId": hex(self.chain_id),
            "clientVersion": self.client_version,
            "latestBlock": hex(head),
            "finalizedBlock": hex(self.finalized_number()),
            "signer": None if self.signer_address is None else "0x" + self.signer_address.hex(),
            "mempool": {"pending": self.mempool.pending_count(),
                        "queued": self.mempool.queued_count()},
            "droppedTransactions": len(self.dropped),
            "peers": [],
            "validators": [],
            "uptimeSeconds": int(time.time() - self.started_at),
        }
        if self.consensus is not None:
            status.update(self.consensus.status_fields())
        status["faults"] = self.fault_counters()
        if self.fee_book is not None:
            status["economics"] = self.fee_book.status()
        return status

    def add_new_block_listener(self, listener: NewBlockListener) -> None:
        self._block_listeners.append(listener)

    def add_pending_transaction_listener(self, listener: PendingTransactionListener) -> None:
        self._pending_listeners.append(listener)


def _effective_tip(tx: SignedTransactionAPI, base_fee: int) -> int:
    max_fee = int(tx.max_fee_per_gas)
    return max(0, min(int(tx.max_priority_fee_per_gas), max_fee - base_fee))


async def _call_listener(listener: Any, argument: Any) -> None:
    """Listeners may be sync or async; one failing listener must not stop block processing."""
    try:
        result = listener(argument)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("listener failed")
