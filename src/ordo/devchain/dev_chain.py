"""The dev L1: Ordo's own chain parts (ChainStore, PyEvmEngine, Mempool, Node) driven by a
miner instead of consensus.

The Node already answers every RpcBackend question from the store and the engine, so it is
served as is; what differs on L1 is who makes blocks and when (a timer or each transaction),
their timestamps (strictly increasing, with time travel), and finality, which lags the head
by ``finality_depth`` blocks so that confirmation logic in Ordo meets a real "finalized" gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_utils import to_checksum_address

from ordo import __version__
from ordo.chain.chain import Chain
from ordo.core.block import Block
from ordo.core.genesis import DEV_L1_CHAIN_ID
from ordo.devchain.block_clock import BlockClock
from ordo.devchain.dev_genesis import (
    FAUCET_KEY,
    faucet_address,
    load_or_create_genesis,
)
from ordo.execution.engine import BlockEnvironment
from ordo.mempool import ChainRules, Mempool
from ordo.node.node import Node
from ordo.storage.chain_store import ChainStore

log = logging.getLogger(__name__)

MAX_TRANSACTIONS_PER_BLOCK = 2_000
TRANSFER_GAS = 21_000
SET_BALANCE_BLOCKS = 3
"""Blocks anvil_setBalance mines at most to include its faucet transfer."""
RECEIPT_SUCCESS = b"\x01"


@dataclass(frozen=True)
class DevChainConfig:
    data_dir: Path
    chain_id: int = DEV_L1_CHAIN_ID
    block_time: float | None = 1.0
    """Seconds between blocks (empty ones too, like anvil --block-time); None: no timer."""
    automine: bool = False
    """Mine a block as soon as a transaction is admitted (anvil's default mode)."""
    finality_depth: int = 2
    """Blocks by which the "safe" and "finalized" tags lag the head."""
    coinbase: bytes = b"\x00" * 20

    def __post_init__(self) -> None:
        if self.block_time is not None and not 0.01 <= self.block_time <= 3600:
            raise ValueError(f"block_time: {self.block_time!r} is not allowed; use seconds "
                             "between 0.01 and 3600")
        if self.block_time is None and not self.automine:
            raise ValueError("no way to make blocks: give a block_time or turn automine on")
        if not 0 <= self.finality_depth <= 1_000:
            raise ValueError(f"finality_depth: {self.finality_depth!r} is not allowed; use 0 "
                             "to 1000 blocks")
        if not 1 <= self.chain_id < 2**64:
            raise ValueError(f"chain_id: {self.chain_id!r} is not in 1..2^64-1")
        if len(self.coinbase) != 20:
            raise ValueError("coinbase must be a 20-byte address")


class BalanceChangeError(ValueError):
    """anvil_setBalance asked for something only a direct state write could do."""


class DevChain:
    """Owns the store, the node and the miner task. Use ``open``, ``start``, then ``close``."""

    def __init__(self, config: DevChainConfig, store: ChainStore, node: Node,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = store
        self.node = node
        self.clock = BlockClock()
        self._wall_clock = wall_clock
        self._mine_lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._automine_tasks: set[asyncio.Task[None]] = set()
        self.blocks_mined = 0

    @classmethod
    def open(cls, config: DevChainConfig) -> DevChain:
        genesis = load_or_create_genesis(config.data_dir, config.chain_id, int(time.time()))
        store = ChainStore(config.data_dir / "chain")
        try:
            chain = Chain(store, genesis)
            node = Node(chain, Mempool(ChainRules.from_genesis(genesis)), config.coinbase)
        except BaseException:
            store.close()
            raise
        node.client_version = f"Ordo-dev-L1/v{__version__}/python"
        return cls(config, store, node)

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self.node.start()
        if self.config.automine:
            self.node.add_pending_transaction_listener(self._on_transaction)
        if self.config.block_time is not None:
            self._timer = asyncio.create_task(self._mine_on_timer(self.config.block_time),
                                              name="dev-l1-miner")

    async def close(self) -> None:
        tasks = [task for task in (self._timer, *self._automine_tasks) if task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.node.stop()
        self.store.close()

    async def _mine_on_timer(self, block_time: float) -> None:
        """One block per ``block_time`` on a fixed schedule (building time is not added to
        the interval); a schedule fallen behind restarts from now instead of bursting."""
        loop = asyncio.get_running_loop()
        due = loop.time() + block_time
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                await self.mine()
            except Exception:
                log.exception("dev L1 block could not be mined")
            due = max(due + block_time, loop.time())

    def _on_transaction(self, tx_hash: bytes) -> None:
        task = asyncio.create_task(self._automine())
        self._automine_tasks.add(task)
        task.add_done_callback(self._automine_tasks.discard)

    async def _automine(self) -> None:
        # Transactions admitted while a block is being built wait for the lock and go into the
        # next block together, so a burst makes a few large blocks, not one block each.
        async with self._mine_lock:
            if self.node.mempool.pending_count() > 0:
                await self._mine_locked(None)

    # --- mining --------------------------------------------------------------------------------
    async def mine(self, timestamp: int | None = None) -> Block:
        """Make one block of whatever is pending (possibly empty) and commit it."""
        async with self._mine_lock:
            return await self._mine_locked(timestamp)

    async def _mine_locked(self, timestamp: int | None) -> Block:
        chain = self.node.chain
        parent = chain.head_header()
        if timestamp is not None:
            self.clock.pin_next(timestamp, int(parent.timestamp))
        base_fee = chain.engine.next_base_fee(parent)
        candidates = []
        for decoded in self.node.mempool.select(base_fee):
            candidates.append(decoded)
            if len(candidates) >= MAX_TRANSACTIONS_PER_BLOCK:
                break
        env = BlockEnvironment(
            coinbase=self.config.coinbase,
            timestamp=self.clock.timestamp_for_next_block(self._wall_clock(),
                                                          int(parent.timestamp)),
            gas_limit=int(parent.gas_limit),
        )
        result = await asyncio.to_thread(chain.engine.build_block, parent, candidates, env)
        block = result.executed.block
        finalized = max(0, block.number - self.config.finality_depth)
        await asyncio.to_thread(self.store.commit_block, result.executed, result.state_writes,
                                finalized_number=max(finalized, self.node.finalized_number()))
        self.blocks_mined += 1
        await self.node.on_block_committed(block, result.skipped)
        return block

    # --- dev methods ---------------------------------------------------------------------------
    def increase_time(self, seconds: int) -> int:
        latest = int(self.node.chain.head_header().timestamp)
        return self.clock.increase(seconds, self._wall_clock(), latest)

    def set_next_block_timestamp(self, timestamp: int) -> None:
        self.clock.pin_next(timestamp, int(self.node.chain.head_header().timestamp))

    async def set_balance(self, address: bytes, balance: int) -> None:
        """Raise ``address``'s balance to ``balance`` with a faucet transfer, mined at once.

        State is only ever changed by blocks here (every block's root is real), so lowering a
        balance, which would need the account's own key, is refused.
        """
        head = self.node.head_number()
        current = self.node.get_balance(address, head)
        if balance < current:
            raise BalanceChangeError(
                f"cannot lower the balance of 0x{address.hex()} from {current} to {balance} "
                "on this chain; only raising is supported")
        if balance == current:
            return
        if address == faucet_address():
            raise BalanceChangeError("the faucet's balance cannot be set")
        base_fee = self.node.next_base_fee()
        tx = {
            "type": 2, "chainId": self.node.chain_id, "to": to_checksum_address(address),
            "value": balance - current, "gas": TRANSFER_GAS,
            "maxFeePerGas": 2 * base_fee + 1, "maxPriorityFeePerGas": 1,
            "nonce": self.node.pending_nonce(faucet_address()),
        }
        raw = bytes(Account.sign_transaction(tx, FAUCET_KEY).raw_transaction)
        tx_hash = await self.node.submit_raw_transaction(raw)
        async with self._mine_lock:
            for _ in range(SET_BALANCE_BLOCKS):
                if self.node.get_transaction_location(tx_hash) is not None or \
                        tx_hash not in self.node.mempool:
                    break
                await self._mine_locked(None)
        location = self.node.get_transaction_location(tx_hash)
        if location is None:
            raise BalanceChangeError("the faucet transfer was not included: "
                                     + str(self.node.transaction_status(tx_hash)))
        receipt = self.node.get_receipts(location.block_hash)[location.index]
        if bytes(receipt.state_root) != RECEIPT_SUCCESS:
            raise BalanceChangeError(f"0x{address.hex()} refused the faucet's transfer (a "
                                     "contract without a payable receive): its balance cannot "
                                     "be set on this chain")
