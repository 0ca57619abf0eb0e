"""Where the bridge reads L2 from: an Ordo node over JSON-RPC, or a chain derived from L1 alone.

Proving a withdrawal needs three things of L2: the withdrawal a transaction made, the output
root of a batch's last block with its parts, and a storage proof of the withdrawal's slot.
A node answers them (``eth_getTransactionReceipt``, ``ordo_outputAtBlock``, ``eth_getProof``);
when every sequencer is gone, a data directory that derivation filled from L1 answers the same
from its own store, so a withdrawal still finalizes with no L2 node at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ordo.chain.chain import Chain
from ordo.core.genesis import Genesis
from ordo.core.output_root import OutputRoot
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS
from ordo.derivation.derivation_run import DerivationOptions, run_derivation
from ordo.execution.output_roots import output_root_at
from ordo.l1.chain_records import L1Receipt
from ordo.l1.client import L1Client
from ordo.settlement.withdrawal import NotAWithdrawal, Withdrawal, withdrawal_from_log
from ordo.storage.chain_store import ChainStore


class L2Unavailable(RuntimeError):
    """The L2 source cannot answer: the message says what is missing."""


@dataclass(frozen=True)
class InitiatedWithdrawal:
    tx_hash: bytes
    l2_block: int
    withdrawal: Withdrawal


@dataclass(frozen=True)
class StorageProof:
    storage_root: bytes
    nodes: tuple[bytes, ...]


class L2Reader(Protocol):
    where: str

    async def withdrawal(self, tx_hash: bytes) -> InitiatedWithdrawal: ...

    async def output_at(self, number: int) -> OutputRoot: ...

    async def storage_proof(self, slot: int, number: int) -> StorageProof: ...

    async def account_nonce(self, address: bytes) -> int: ...

    async def next_base_fee(self) -> int: ...


class RpcL2Reader:
    """An Ordo node's JSON-RPC."""

    def __init__(self, client: L1Client) -> None:
        self.client = client
        self.where = f"the L2 node at {client.url}"

    async def withdrawal(self, tx_hash: bytes) -> InitiatedWithdrawal:
        receipt = await self.client.get_transaction_receipt(tx_hash)
        if receipt is None:
            raise L2Unavailable(f"L2 transaction 0x{tx_hash.hex()} is unknown to {self.where} "
                                "(not sent, not mined yet, or another network)")
        return initiated_withdrawal(receipt)

    async def output_at(self, number: int) -> OutputRoot:
        answer = await self.client.request("ordo_outputAtBlock", [hex(number)])
        if not isinstance(answer, dict):
            raise L2Unavailable(f"{self.where} has no block {number}")
        parts = [bytes.fromhex(str(answer[key])[2:]) for key in
                 ("stateRoot", "messagePasserStorageRoot", "blockHash")]
        return OutputRoot(number, *parts)

    async def storage_proof(self, slot: int, number: int) -> StorageProof:
        proof = await self.client.request("eth_getProof", [
            "0x" + MESSAGE_PASSER_ADDRESS.hex(), [hex(slot)], hex(number)])
        return StorageProof(bytes.fromhex(str(proof["storageHash"])[2:]),
                            tuple(bytes.fromhex(str(node)[2:])
                                  for node in proof["storageProof"][0]["proof"]))

    async def account_nonce(self, address: bytes) -> int:
        return await self.client.get_transaction_count(address, "pending")

    async def next_base_fee(self) -> int:
        return (await self.client.suggest_fees()).base_fee


class StoreL2Reader:
    """A chain in a data directory (filled by derivation from L1), read in place."""

    def __init__(self, store: ChainStore, genesis: Genesis) -> None:
        self.chain = Chain(store, genesis)
        self.store = store
        self.where = f"the derived chain in {store.path}"

    async def withdrawal(self, tx_hash: bytes) -> InitiatedWithdrawal:
        return await asyncio.to_thread(self._withdrawal, tx_hash)

    def _withdrawal(self, tx_hash: bytes) -> InitiatedWithdrawal:
        location = self.store.get_transaction_location(tx_hash)
        if location is None:
            raise L2Unavailable(f"L2 transaction 0x{tx_hash.hex()} is not in {self.where} "
                                "(not in a landed batch yet?)")
        receipt = self.store.get_receipts(location.block_hash)[location.index]
        if not receipt.state_root:  # EIP-658: empty status is failure
            raise L2Unavailable(f"L2 transaction 0x{tx_hash.hex()} failed in block "
                                f"{location.block_number}: it withdrew nothing")
        found = []
        for log in receipt.logs:
            try:
                found.append(withdrawal_from_log(
                    bytes(log.address), [topic.to_bytes(32, "big") for topic in log.topics],
                    bytes(log.data)))
            except NotAWithdrawal:
                continue
        return _single(tx_hash, location.block_number, found)

    async def output_at(self, number: int) -> OutputRoot:
        return await asyncio.to_thread(self._output_at, number)

    def _output_at(self, number: int) -> OutputRoot:
        if number > self.chain.head_number():
            raise L2Unavailable(f"{self.where} ends at block {self.chain.head_number()}, not "
                                f"{number}")
        return output_root_at(self.chain.engine, self.chain.header_at(number))

    async def storage_proof(self, slot: int, number: int) -> StorageProof:
        return await asyncio.to_thread(self._storage_proof, slot, number)

    def _storage_proof(self, slot: int, number: int) -> StorageProof:
        proof = self.chain.engine.get_proof(self.chain.header_at(number),
                                            MESSAGE_PASSER_ADDRESS, [slot])
        return StorageProof(proof.storage_hash, tuple(proof.storage_proofs[0].proof))

    async def account_nonce(self, address: bytes) -> int:
        return self.chain.engine.get_nonce(self.chain.head_header(), address)

    async def next_base_fee(self) -> int:
        return self.chain.engine.next_base_fee(self.chain.head_header())


def initiated_withdrawal(receipt: L1Receipt) -> InitiatedWithdrawal:
    """The one withdrawal an L2 receipt records."""
    if not receipt.succeeded:
        raise L2Unavailable(f"L2 transaction 0x{receipt.transaction_hash.hex()} failed in "
                            f"block {receipt.block_number}: it withdrew nothing")
    found = []
    for log in receipt.logs:
        try:
            found.append(withdrawal_from_log(log.address, list(log.topics), log.data))
        except NotAWithdrawal:
            continue
    return _single(receipt.transaction_hash, receipt.block_number, found)


def _single(tx_hash: bytes, block: int, found: list[Withdrawal]) -> InitiatedWithdrawal:
    if len(found) != 1:
        raise L2Unavailable(f"L2 transaction 0x{tx_hash.hex()} holds {len(found)} "
                            "withdrawals; prove and finalize take a transaction with exactly "
                            "one (a direct initiate_withdrawal call)")
    return InitiatedWithdrawal(tx_hash, block, found[0])


@asynccontextmanager
async def derived_reader(l1_rpc: str, inbox: bytes, genesis: Genesis, data_dir: Path,
                         from_block: int = 0) -> AsyncIterator[StoreL2Reader]:
    """A StoreL2Reader over ``data_dir`` once derivation brought it up to every batch L1 has
    accepted; L2Unavailable when L1 cannot be read or a batch does not derive (a wrong batch
    is disputed, never built on)."""
    summary = await run_derivation(DerivationOptions(
        l1_rpc=l1_rpc, inbox=inbox, genesis=genesis, data_dir=data_dir, from_block=from_block))
    if summary.error is not None:
        raise L2Unavailable(f"deriving L2 from L1 into {data_dir}: {summary.error}")
    if summary.invalid_batch is not None:
        raise L2Unavailable(f"batch {summary.invalid_batch['index']} on L1 does not derive "
                            f"({summary.invalid_batch['message']}): it must be disputed")
    with ChainStore(data_dir) as store:
        yield StoreL2Reader(store, genesis)
