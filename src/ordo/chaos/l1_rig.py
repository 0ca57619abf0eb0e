"""The L1 side of a chaos run on an L1: the chain, the proxy every node reaches it through, the
small file system under one node's data directory, and the faults that use them.

The nodes' ``--l1-rpc`` is the proxy, so cutting it takes the L1 endpoint away from every node at
once (L1_DOWN) while the harness still reads the inbox and reorganises the chain directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from ordo.chaos.inbox_check import batches_off_chain, inbox_problems, origin_problems
from ordo.chaos.link_proxy import LinkProxy
from ordo.chaos.rpc_client import RpcClient, RpcError, RpcUnavailable
from ordo.core.block_extra import decode_anchored_extra
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.derivation.l1_batches import L1BatchReader
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.provision import DevnetShape, ProvisionedDevnet
from ordo.l1.client import L1Client
from ordo.l1.rpc_errors import L1Error

POSTER_WAIT = 45.0
"""Seconds to wait for a poster at the planned point before killing the producer instead."""
POLL = 0.05
REORG_MARKER_ACCOUNT = "0xa0ee7a142d267c1f36714e4a8f75612f20a79720"
"""anvil's dev account 9 (unlocked on anvil): no part of the devnet sends from it."""
L1_LOG_CHUNK = 2000


@dataclass
class L1Book:
    """What the L1 faults did, for the summary."""

    poster_kills: dict[str, int] = field(default_factory=dict)
    poster_missed: list[str] = field(default_factory=list)
    reorgs: list[dict[str, Any]] = field(default_factory=list)
    disk_filled_bytes: list[int] = field(default_factory=list)
    l1_down_s: float = 0.0
    heal_batch_index: list[int] = field(default_factory=list)
    """The inbox's next index at each heal; a later batch shows posting resumed."""


class L1Rig:
    def __init__(self, chain_url: str, proxy: LinkProxy, devnet: ProvisionedDevnet,
                 can_reorg: bool, disk_node: int | None) -> None:
        self.chain_url = chain_url
        self.disk_node = disk_node
        """The node whose data directory is a small tmpfs; None: DISK_FULL is left out."""
        self.proxy = proxy
        self.devnet = devnet
        self.can_reorg = can_reorg
        anchor = devnet.genesis.l1
        assert anchor is not None and anchor.inbox is not None
        self.inbox = anchor.inbox
        self.confirmations = anchor.confirmations
        self.chain_id = devnet.genesis.chain_id
        self.book = L1Book()
        self.by_signer = {node.signer_address.lower(): node.index for node in devnet.nodes}

    # --- reading the inbox ----------------------------------------------------------------------

    async def accepted(self) -> list[AcceptedBatch]:
        async with L1Client(self.chain_url) as client:
            reader = L1BatchReader(client, self.inbox, self.chain_id)
            return await reader.accepted_between(0, await client.block_number())

    async def next_index(self) -> int:
        batches = await self.accepted()
        return max((batch.index for batch in batches), default=-1) + 1

    async def wait_for_batch_after(self, index: int, timeout: float) -> float | None:
        """Seconds until a batch with an index >= ``index`` is accepted; None if none was."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            with contextlib.suppress(L1Error, OSError, TimeoutError):
                if await self.next_index() > index:
                    return time.monotonic() - started
            await asyncio.sleep(1.0)
        return None

    # --- faults ---------------------------------------------------------------------------------

    async def reorg(self, depth: int) -> dict[str, Any]:
        """Replace the newest ``depth`` L1 blocks (anvil_reorg) with blocks holding only one
        transfer from an account nothing else on the L1 uses, in the first of them: the
        replacements differ from the blocks they replace even when those were empty."""
        async with L1Client(self.chain_url) as client:
            head = await client.block_number()
            numbers = range(head - depth + 1, head + 1)
            before = [await client.get_block(number) for number in numbers]
            marker = {"from": REORG_MARKER_ACCOUNT, "to": REORG_MARKER_ACCOUNT, "value": "0x1"}
            await client.request("anvil_reorg", [depth, [[marker, 0]]])
            after = [await client.get_block(number) for number in numbers]
        # Any of the blocks seen before that now differs (anvil may mine one in between, and
        # the reorg then starts a block later).
        entry = {"depth": depth, "head": head,
                 "replaced": any(old is not None and new is not None and old.hash != new.hash
                                 for old, new in zip(before, after, strict=True))}
        self.book.reorgs.append(entry)
        return entry

    async def find_poster(self, point: str, client: RpcClient, urls: list[str],
                          running: list[int]) -> int:
        """The node to kill at ``point`` of its posting (see fault_plan.POSTER_KILL_POINTS);
        the producer, counted as missed, when no poster is caught there in time."""
        deadline = time.monotonic() + POSTER_WAIT
        last_seen = await self.next_index()
        while time.monotonic() < deadline:
            found = None
            with contextlib.suppress(L1Error, OSError, TimeoutError, RpcUnavailable, RpcError):
                found = await self._poster_at(point, client, urls, running, last_seen)
            if found is not None:
                self.book.poster_kills[point] = self.book.poster_kills.get(point, 0) + 1
                return found
            await asyncio.sleep(POLL)
        self.book.poster_missed.append(point)
        return await self._producer(client, urls, running)

    async def _poster_at(self, point: str, client: RpcClient, urls: list[str],
                         running: list[int], last_seen: int) -> int | None:
        if point == "building":
            if await self.next_index() > last_seen:  # a batch just landed: the next one builds
                return await self._producer(client, urls, running)
            return None
        if point == "sent":
            async with L1Client(self.chain_url) as l1:
                pending = await l1.request("eth_getBlockByNumber", ["pending", True])
            for transaction in (pending or {}).get("transactions", []):
                if (transaction.get("to") or "").lower() == "0x" + self.inbox.hex():
                    node = self.by_signer.get(transaction["from"].lower())
                    if node in running:
                        return node
            return None
        batches = await self.accepted()
        if not batches:
            return None
        node = self.by_signer.get("0x" + batches[-1].submitter.hex())
        if node is None or node not in running:
            return None
        status = await client.call(urls[node], "ordo_status")
        recorded = (status.get("l1") or {}).get("batcher", {}).get("lastBatchIndex")
        return node if recorded is None or recorded < batches[-1].index else None

    async def _producer(self, client: RpcClient, urls: list[str], running: list[int]) -> int:
        status = await client.call(urls[running[0]], "ordo_status")
        node = self.by_signer.get(str(status.get("producer", "")).lower())
        return node if node is not None else running[0]

    # --- the end --------------------------------------------------------------------------------

    async def l2_origins(self, client: RpcClient, url: str, top: int) -> dict[int, set[str]]:
        """The L1 origins (number -> hashes) the node's blocks 1..top name (extra data bytes
        20..27 and the mix hash)."""
        origins: dict[int, set[str]] = {}
        for first in range(1, top + 1, 50):
            blocks = await asyncio.gather(*(client.call(url, "eth_getBlockByNumber", hex(number),
                                                        False)
                                            for number in range(first, min(first + 50,
                                                                           top + 1))))
            for block in blocks:
                if not isinstance(block, dict):
                    continue
                extra = decode_anchored_extra(bytes.fromhex(str(block["extraData"])[2:]))
                if extra is not None:
                    origins.setdefault(extra.origin_number, set()).add(str(block["mixHash"]))
        return origins

    async def l1_hashes(self, numbers: list[int]) -> dict[int, str | None]:
        async with L1Client(self.chain_url) as client:
            blocks = [await client.get_block(number) for number in numbers]
        return {number: None if block is None else "0x" + block.hash.hex()
                for number, block in zip(numbers, blocks, strict=True)}

    async def evaluate(self, canonical: dict[int, str], recovery_timeout: float,
                       origins: dict[int, set[str]]) -> tuple[dict[str, Any], list[str]]:
        """The inbox's summary and its violations: gaps, duplicates, batches off the final chain,
        no batch landing after the last heal, and final blocks whose L1 origin the L1 no longer
        holds."""
        violations: list[str] = []
        violations += origin_problems(origins, await self.l1_hashes(sorted(origins)))
        resumed_after = None
        if self.book.heal_batch_index:
            resumed_after = await self.wait_for_batch_after(self.book.heal_batch_index[-1],
                                                            recovery_timeout)
            if resumed_after is None:
                violations.append(f"no batch reached the inbox within {recovery_timeout:g}s "
                                  "after the last heal")
        batches = await self.accepted()
        violations += inbox_problems(batches)
        violations += batches_off_chain(batches, canonical)
        submitters: dict[str, int] = {}
        for batch in batches:
            node = str(self.by_signer.get("0x" + batch.submitter.hex(), "other"))
            submitters[node] = submitters.get(node, 0) + 1
        summary = {
            "batches": len(batches),
            "last_batch_block": batches[-1].last_block if batches else None,
            "batches_by_node": dict(sorted(submitters.items())),
            "batch_resumed_after_last_heal_s": None if resumed_after is None
            else round(resumed_after, 2),
            "poster_kills": self.book.poster_kills,
            "poster_missed": self.book.poster_missed,
            "reorgs": self.book.reorgs,
            "l1_origins_checked": len(origins),
            "disk_filled_bytes": self.book.disk_filled_bytes,
            "l1_down_s": round(self.book.l1_down_s, 2),
            "l1_proxy": {"connections": self.proxy.counters.connections,
                         "refused_while_cut": self.proxy.counters.refused,
                         "closed_by_fault": self.proxy.counters.closed_by_fault},
        }
        return summary, violations


async def provision_devnet_on_l1(layout: DevnetLayout, nodes: int,
                                 chain_url: str) -> ProvisionedDevnet:
    """Deploy and stake a ``nodes``-node devnet on the L1 (dev account 0 deploys)."""
    from ordo.devnet.l1_choice import DevL1
    from ordo.devnet.l1_provision import provision_on_l1

    devnet = await provision_on_l1(layout, DevnetShape(nodes=nodes), chain_url,
                                   DevL1.deployer_key(), lambda line: None)
    return devnet.devnet


async def wait_serving(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            async with L1Client(url) as client:
                await client.block_number()
                return
        except (L1Error, OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
