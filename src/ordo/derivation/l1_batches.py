"""Reading batches from L1: the inbox's BatchAccepted events, and each batch's data.

Calldata batches: the payload is the ``payload`` argument of the ``submit_batch`` call, read from
the L1 transaction's input (``eth_getTransactionByHash``).

Blob batches: an execution node does not serve blobs over standard JSON-RPC (geth prunes the
sidecar once the transaction is mined; blobs live on the consensus layer). Two sources, tried in
order:

1. the transaction itself, when the node returns its sidecar (anvil includes ``blobs`` in
   ``eth_getTransactionByHash``);
2. a beacon node (``--beacon-url``): the standard ``GET /eth/v1/beacon/blobs/{block_id}``
   with the batch's versioned hashes. The block id is the beacon block root that holds the L1
   block (the next L1 block's ``parentBeaconBlockRoot``); an L1 without a consensus layer
   (anvil, whose roots are zero) is asked by the execution block hash, which it accepts.

Whatever the source, :mod:`ordo.derivation.batch_data` checks every blob against the versioned
hash the event names before using it. Beacon nodes keep blobs for about 18 days only: deriving
older batches needs an archive serving the same endpoint.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from ordo.batcher.batch_header import DataKind
from ordo.batcher.blob_packing import blob_sidecar
from ordo.derivation.batch_data import checked_blobs, checked_calldata
from ordo.derivation.errors import DerivationError
from ordo.derivation.inbox_batches import (
    AcceptedBatch,
    accepted_batch,
    batch_accepted_topic,
    calldata_payload,
)
from ordo.derivation.removed_batches import (
    InboxEvent,
    batches_removed_topic,
    in_l1_order,
    removed_batches,
)
from ordo.l1.capped_body import read_capped
from ordo.l1.chain_records import LogFilter
from ordo.l1.client import L1Client
from ordo.l1.wire_values import data, object_of

BEACON_TIMEOUT_S = 30.0
MAX_BEACON_RESPONSE_BYTES = 16 * 1024 * 1024
ZERO_ROOT = "0x" + "00" * 32


class L1BatchReader:
    def __init__(self, client: L1Client, inbox: bytes, l2_chain_id: int,
                 beacon_url: str | None = None) -> None:
        if len(inbox) != 20:
            raise ValueError(f"inbox 0x{inbox.hex()} is not a 20-byte address")
        self.client = client
        self.inbox = inbox
        self.l2_chain_id = l2_chain_id
        self.beacon_url = beacon_url.rstrip("/") if beacon_url else None

    async def accepted_between(self, from_block: int, to_block: int) -> list[AcceptedBatch]:
        """The inbox's BatchAccepted events in L1 blocks ``from_block..to_block``."""
        logs = await self.client.get_logs(LogFilter(from_block, to_block, (self.inbox,),
                                                    (batch_accepted_topic(),)))
        return [accepted_batch(log) for log in logs]

    async def events_between(self, from_block: int, to_block: int) -> list[InboxEvent]:
        """BatchAccepted and BatchesRemoved events in ``from_block..to_block``, in L1 order:
        a batch whose root lost its dispute is removed with every later one, and the indexes
        are accepted again (``removed_batches``)."""
        accepted_topic, removed_topic = batch_accepted_topic(), batches_removed_topic()
        logs = await self.client.get_logs(LogFilter(from_block, to_block, (self.inbox,),
                                                    ((accepted_topic, removed_topic),)))
        return in_l1_order((accepted_batch(log) for log in logs
                            if log.topics[:1] == (accepted_topic,)),
                           (removed_batches(log) for log in logs
                            if log.topics[:1] == (removed_topic,)))

    async def payload(self, batch: AcceptedBatch) -> bytes:
        """The batch's compressed payload, checked against its header's data commitment."""
        transaction = await self._transaction(batch)
        if batch.data_kind is DataKind.CALLDATA:
            call_input = data(transaction.get("input"), "transaction.input")
            return checked_calldata(batch, calldata_payload(batch, call_input, self.l2_chain_id,
                                                            self.inbox))
        carried = transaction.get("blobs")
        if isinstance(carried, list) and carried:
            blobs = [data(value, "transaction.blobs[]") for value in carried]
        elif self.beacon_url is not None:
            blobs = await self._beacon_blobs(batch)
        else:
            raise DerivationError(
                f"batch {batch.index} is in blobs and the L1 node does not return blobs with "
                f"transaction 0x{batch.l1_transaction.hex()}: pass a beacon node (--beacon-url)")
        return checked_blobs(batch, blobs)

    async def _transaction(self, batch: AcceptedBatch) -> dict[str, Any]:
        answer = await self.client.request("eth_getTransactionByHash",
                                           ["0x" + batch.l1_transaction.hex()])
        if answer is None:
            raise DerivationError(f"batch {batch.index}: the L1 node does not know transaction "
                                  f"0x{batch.l1_transaction.hex()} (reorganised away?)")
        return object_of(answer, "transaction")

    async def _beacon_blobs(self, batch: AcceptedBatch) -> list[bytes]:
        block_id = await self._beacon_block_id(batch)
        query = "&".join(f"versioned_hashes=0x{value.hex()}" for value in batch.blob_hashes)
        url = f"{self.beacon_url}/eth/v1/beacon/blobs/{block_id}?{query}"
        try:
            async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=BEACON_TIMEOUT_S)) as session, \
                    session.get(url) as response:
                if response.status != 200:
                    raise DerivationError(f"batch {batch.index}: beacon node answered HTTP "
                                          f"{response.status} for {url}")
                # Six blobs are 1.5 MB as hex: the cap leaves room and stops a hostile node.
                answer = json.loads(await read_capped(response, MAX_BEACON_RESPONSE_BYTES,
                                                      f"beacon node {self.beacon_url}"))
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise DerivationError(f"batch {batch.index}: beacon node {self.beacon_url}: "
                                  f"{error}") from error
        served = object_of(answer, "beacon blobs").get("data")
        if not isinstance(served, list):
            raise DerivationError(f"batch {batch.index}: beacon answer without a data list")
        blobs = [data(value, "beacon blobs.data[]") for value in served]
        # A beacon node returns them in block order; put them in the event's order.
        by_hash = dict(zip(blob_sidecar(blobs).versioned_hashes, blobs, strict=True))
        missing = [value for value in batch.blob_hashes if value not in by_hash]
        if missing:
            raise DerivationError(f"batch {batch.index}: beacon node did not serve blob "
                                  f"0x{missing[0].hex()} of block {block_id}")
        return [by_hash[value] for value in batch.blob_hashes]

    async def _beacon_block_id(self, batch: AcceptedBatch) -> str:
        child = await self.client.request("eth_getBlockByNumber",
                                          [hex(batch.l1_block_number + 1), False])
        if child is None:
            raise DerivationError(f"batch {batch.index}: its beacon block is named by L1 block "
                                  f"{batch.l1_block_number + 1}, not there yet")
        root = object_of(child, "block").get("parentBeaconBlockRoot")
        if isinstance(root, str) and root != ZERO_ROOT:
            return root
        return "0x" + batch.l1_block_hash.hex()
