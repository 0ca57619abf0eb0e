"""What the RollupInbox on L1 holds, read the way a verifier reads it (its BatchAccepted events);
the two properties every full-loop test checks on it (no gap, no duplicate) are
``ordo.chaos.inbox_check.inbox_problems``, shared with the chaos runs on an L1."""

from __future__ import annotations

import asyncio

from ordo.chaos.inbox_check import inbox_problems
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.derivation.l1_batches import L1BatchReader
from ordo.l1.client import L1Client
from ordo.l1.rollup_deploy import inbox_at

__all__ = ["accepted_batches", "inbox_problems", "inbox_transactions", "wait_for_batches"]


async def accepted_batches(client: L1Client, inbox: bytes, l2_chain_id: int) -> list[AcceptedBatch]:
    """Every BatchAccepted event up to the L1 head, in log order (duplicates kept: they are
    what :func:`inbox_problems` looks for)."""
    reader = L1BatchReader(client, inbox, l2_chain_id)
    return await reader.accepted_between(0, await client.block_number())


async def wait_for_batches(client: L1Client, inbox: bytes, count: int, timeout: float) -> int:
    """Until the inbox's ``next_index`` (at the head) reaches ``count``; that index."""
    contract = inbox_at(client, inbox)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (next_index := int(await contract.call("next_index"))) < count:
        assert loop.time() < deadline, \
            f"only {next_index} batches reached the inbox in {timeout} s (wanted {count})"
        await asyncio.sleep(0.25)
    return next_index


async def inbox_transactions(client: L1Client, inbox: bytes, from_block: int,
                             to_block: int) -> list[tuple[bytes, bool]]:
    """(sender, succeeded) of every L1 transaction sent to the inbox in the block range: a
    reverted one is a refused submission (a conflicting header, a stale or skipped index)."""
    found = []
    for number in range(from_block, to_block + 1):
        block = await client.request("eth_getBlockByNumber", [hex(number), True])
        for transaction in block["transactions"]:
            if (transaction.get("to") or "").lower() != "0x" + inbox.hex():
                continue
            receipt = await client.get_transaction_receipt(bytes.fromhex(transaction["hash"][2:]))
            assert receipt is not None, transaction["hash"]
            found.append((bytes.fromhex(transaction["from"][2:]), receipt.status == 1))
    return found
