"""Checking derived blocks against a live L2 node: block hash, state root and every raw
transaction, each difference reported as one line naming the block and the field."""

from __future__ import annotations

import asyncio

from ordo.core.block import Block
from ordo.l1.client import L1Client
from ordo.l1.wire_values import data, fixed, object_of


async def block_mismatches(node: L1Client, block: Block) -> list[str]:
    """How the node's block at ``block.number`` differs from ``block``; empty when it is the
    same block. ``node`` is any Ethereum JSON-RPC client (L1Client speaks to L2 nodes too)."""
    number = block.number
    answer = await node.request("eth_getBlockByNumber", [hex(number), False])
    if answer is None:
        return [f"block {number}: the node does not have it"]
    remote = object_of(answer, "block")
    problems: list[str] = []
    for name, field, ours in (("hash", "hash", block.hash),
                              ("state root", "stateRoot", bytes(block.header.state_root))):
        theirs = fixed(remote.get(field), 32, f"block.{field}")
        if theirs != ours:
            problems.append(f"block {number}: {name} 0x{ours.hex()} derived, the node has "
                            f"0x{theirs.hex()}")
    hashes = remote.get("transactions")
    count = len(hashes) if isinstance(hashes, list) else -1
    if count != len(block.transactions):
        problems.append(f"block {number}: {len(block.transactions)} transactions derived, the "
                        f"node has {count}")
        return problems
    raws = await asyncio.gather(*(
        node.request("eth_getRawTransactionByBlockNumberAndIndex", [hex(number), hex(index)])
        for index in range(count)))
    for index, (raw, transaction) in enumerate(zip(raws, block.transactions, strict=True)):
        theirs = data(raw, "raw transaction") if raw is not None else b""
        if theirs != transaction.encode():
            problems.append(f"block {number}: transaction {index} differs (derived "
                            f"0x{bytes(transaction.hash).hex()})")
    return problems
