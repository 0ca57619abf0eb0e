"""Continuous transfer load from the development accounts, with a record of what every client
was told: which hashes a node acknowledged and which receipts it handed out.

Each account sends its nonces in order and retries a send that got no answer at another node
(the same signed bytes, so a retry can never double-spend). A transaction acknowledged long ago
and still not included is sent again, as a wallet would; those rebroadcasts are counted, so a
network that only keeps its promises with the client's help shows up in the numbers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account

from ordo.chaos.rpc_client import RpcClient, RpcError, RpcUnavailable

RECIPIENT = "0x" + "77" * 20
MAX_FEE = 100 * 10**9
PRIORITY_FEE = 10**9
WINDOW = 8
"""Acknowledged but not yet included transactions an account may have before it waits."""
REBROADCAST_AFTER = 15.0
"""Seconds after which a wallet sends a not yet included transaction again."""
KNOWN_ANSWERS = ("already known", "nonce too low")
"""Rejections that mean 'this node already has (or has included) these bytes'."""


@dataclass
class SentTransaction:
    account: int
    nonce: int
    raw: str
    hash: str
    acknowledged: bool = False
    receipt_block: tuple[int, str] | None = None
    """(number, hash) of the block of the receipt a client was given."""
    last_sent: float = 0.0
    acknowledged_at: float | None = None
    receipt_at: float | None = None
    """When the client first held the receipt (to within the one-second polling)."""


@dataclass
class LoadCounters:
    sent: int = 0
    """Transactions signed and offered to a node at least once."""
    attempts: int = 0
    unanswered: int = 0
    rebroadcasts: int = 0
    readmitted: int = 0
    """Rebroadcasts some node accepted as new: it did not have them any more."""
    rejections: Counter[str] = field(default_factory=Counter)


class TransferLoad:
    def __init__(self, client: RpcClient, urls: list[str], available: Callable[[], list[int]],
                 keys: list[bytes], chain_id: int, rate: float, seed: int,
                 rebroadcast_after: float | None = REBROADCAST_AFTER) -> None:
        if rate <= 0:
            raise ValueError(f"rate: {rate!r} is not allowed; use transactions per second > 0")
        self._client = client
        self._urls = urls
        self._available = available
        self._accounts = [Account.from_key(key) for key in keys]
        self._chain_id = chain_id
        self._interval = len(keys) / rate
        self._rebroadcast_after = rebroadcast_after
        self._rng = random.Random(seed)
        self.transactions: dict[str, SentTransaction] = {}
        self.by_account: list[list[SentTransaction]] = [[] for _ in keys]
        self.counters = LoadCounters()

    def _pick(self) -> str:
        nodes = self._available() or list(range(len(self._urls)))
        return self._urls[self._rng.choice(nodes)]

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(self._account_loop(index, stop))
                 for index in range(len(self._accounts))]
        tasks.append(asyncio.create_task(self._receipt_loop(stop)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _retry(self, stop: asyncio.Event, call: Callable[[str], Awaitable[Any]]) -> Any:
        while not stop.is_set():
            try:
                return await call(self._pick())
            except (RpcUnavailable, RpcError):
                await asyncio.sleep(0.3)
        return None

    async def _account_loop(self, index: int, stop: asyncio.Event) -> None:
        account = self._accounts[index]
        count = await self._retry(stop, lambda url: self._client.call(
            url, "eth_getTransactionCount", account.address, "latest"))
        if not isinstance(count, str):
            return
        nonce = int(count, 16)
        await asyncio.sleep(self._rng.uniform(0, self._interval))
        while not stop.is_set():
            mine = self.by_account[index]
            waiting = [tx for tx in mine if tx.acknowledged and tx.receipt_block is None]
            now = time.monotonic()
            for tx in waiting[:2]:
                if (self._rebroadcast_after is not None
                        and now - tx.last_sent > self._rebroadcast_after):
                    await self._rebroadcast(tx)
            if len(waiting) >= WINDOW:
                await asyncio.sleep(0.5)
                continue
            tx = self._sign(index, nonce)
            self.transactions[tx.hash] = tx
            mine.append(tx)
            self.counters.sent += 1
            while not stop.is_set() and not tx.acknowledged:
                if not await self._offer(tx):
                    await asyncio.sleep(0.3)
            nonce += 1
            await asyncio.sleep(self._interval)

    def _sign(self, index: int, nonce: int) -> SentTransaction:
        signed = self._accounts[index].sign_transaction({
            "chainId": self._chain_id, "nonce": nonce, "to": RECIPIENT, "value": 1,
            "gas": 21_000, "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": PRIORITY_FEE})
        return SentTransaction(account=index, nonce=nonce,
                               raw="0x" + bytes(signed.raw_transaction).hex(),
                               hash="0x" + bytes(signed.hash).hex())

    async def _offer(self, tx: SentTransaction) -> bool:
        """One send to one node; True when the node acknowledged the hash (or already had it)."""
        self.counters.attempts += 1
        tx.last_sent = time.monotonic()
        try:
            answer = await self._client.call(self._pick(), "eth_sendRawTransaction", tx.raw)
        except RpcUnavailable:
            self.counters.unanswered += 1
            return False
        except RpcError as error:
            if any(text in error.message for text in KNOWN_ANSWERS):
                self._acknowledge(tx)
                return True
            self.counters.rejections[error.message[:80]] += 1
            return False
        if answer != tx.hash:
            self.counters.rejections[f"acknowledged a different hash {answer!r}"[:80]] += 1
            return False
        self._acknowledge(tx)
        return True

    @staticmethod
    def _acknowledge(tx: SentTransaction) -> None:
        tx.acknowledged = True
        tx.acknowledged_at = time.monotonic()

    async def _rebroadcast(self, tx: SentTransaction) -> None:
        self.counters.rebroadcasts += 1
        tx.last_sent = time.monotonic()
        try:
            answer = await self._client.call(self._pick(), "eth_sendRawTransaction", tx.raw)
        except (RpcUnavailable, RpcError):
            return
        if answer == tx.hash:
            self.counters.readmitted += 1

    async def _receipt_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.collect_receipts()
            await asyncio.sleep(1.0)

    async def collect_receipts(self) -> None:
        """Ask for receipts of acknowledged transactions an account's nonce says are included."""
        for index, account in enumerate(self._accounts):
            waiting = [tx for tx in self.by_account[index]
                       if tx.acknowledged and tx.receipt_block is None]
            if not waiting:
                continue
            url = self._pick()
            try:
                included = int(await self._client.call(
                    url, "eth_getTransactionCount", account.address, "latest"), 16)
                for tx in waiting:
                    if tx.nonce >= included:
                        break
                    receipt = await self._client.call(url, "eth_getTransactionReceipt", tx.hash)
                    if isinstance(receipt, dict):
                        tx.receipt_block = (int(str(receipt["blockNumber"]), 16),
                                            str(receipt["blockHash"]))
                        tx.receipt_at = time.monotonic()
            except (RpcUnavailable, RpcError, KeyError, ValueError):
                continue

    def inclusion_delays(self) -> list[float]:
        """Seconds from acknowledgement to receipt, for every transaction that got both."""
        return sorted(tx.receipt_at - tx.acknowledged_at for tx in self.transactions.values()
                      if tx.receipt_at is not None and tx.acknowledged_at is not None)

    def outstanding(self) -> int:
        return sum(1 for tx in self.transactions.values()
                   if tx.acknowledged and tx.receipt_block is None)
