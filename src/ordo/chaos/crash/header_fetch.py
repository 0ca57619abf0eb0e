"""Block hashes and state roots of a range of heights, read from a node over JSON-RPC."""

from __future__ import annotations

import asyncio

from ordo.chaos.crash.header_compare import BlockHeader
from ordo.chaos.rpc_client import RpcClient, RpcUnavailable

BATCH = 50
"""Requests in flight at once: enough to be quick, few enough not to starve a 2-core machine."""


async def block_header(client: RpcClient, url: str, number: int) -> BlockHeader | None:
    block = await client.call(url, "eth_getBlockByNumber", hex(number), False)
    if block is None:
        return None
    if not isinstance(block, dict):
        raise RpcUnavailable(f"block {number} at {url}: not a block: {block!r}")
    block_hash, state_root = block.get("hash"), block.get("stateRoot")
    if not isinstance(block_hash, str) or not isinstance(state_root, str):
        raise RpcUnavailable(f"block {number} at {url}: hash {block_hash!r} or stateRoot "
                             f"{state_root!r} is not a hex string")
    return BlockHeader(block_hash, state_root)


async def block_headers(client: RpcClient, url: str, first: int, last: int
                        ) -> dict[int, BlockHeader | None]:
    """Headers of heights first..last inclusive (None where the node has no block)."""
    headers: dict[int, BlockHeader | None] = {}
    for start in range(first, last + 1, BATCH):
        numbers = range(start, min(start + BATCH, last + 1))
        answers = await asyncio.gather(*(block_header(client, url, number)
                                         for number in numbers))
        headers.update(zip(numbers, answers, strict=True))
    return headers
