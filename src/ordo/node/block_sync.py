"""Block sync: a node behind its peers pulls final blocks with their certificates, and answers
peers that pull from it (docs/consensus.md §13).

Whom to ask and when is ``SyncPlanner``'s (one request outstanding, 32 blocks, 3 s expiry); this
part keeps the planner informed (STATUS messages, certificates and messages of higher heights,
disconnects), sends the requests, serves requests within bounds, and hands each received block
to the driver as a decision, in height order, stopping at the first one not taken.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from ordo.chain.chain import Chain
from ordo.consensus import CommitCertificate, DecodeError, ProposedValue, decode_certificate
from ordo.core.block import Block
from ordo.core.block_codec import BlockCodecError, decode_block, encode_block
from ordo.core.block_extra import builder_of
from ordo.network import MessageKind
from ordo.node.consensus_transport import TransportRef
from ordo.node.sync_codec import (
    BlockRequest,
    BlockResponse,
    ChainStatus,
    encode_request,
    encode_response,
    encode_status,
)
from ordo.node.sync_planner import SyncPlanner

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
MAX_BLOCK_SERVES = 32
MAX_BLOCK_SERVES_PER_PEER = 4
"""Block requests being answered at once, in all and per peer: each holds a thread and up to
MAX_RESPONSE_BYTES of blocks, so a peer asking faster than we answer is refused, not queued."""

Deliver = Callable[[ProposedValue, CommitCertificate, Block], Awaitable[bool]]
"""Feeds a synced block to the machine as a decision; True when it became our head."""


class BlockSync:
    def __init__(self, chain: Chain, transport: TransportRef, finalized: Callable[[], int],
                 spawn: Callable[[Coroutine[Any, Any, None]], None],
                 penalize: Callable[[bytes, str], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.chain = chain
        self._transport = transport
        self._finalized = finalized
        self._spawn = spawn
        self._penalize = penalize
        self._clock = clock
        self.planner = SyncPlanner()
        self.serving: Counter[bytes] = Counter()
        """Block requests being answered, by peer."""

    # --- what we tell peers and learn from them ----------------------------------------------
    def status(self) -> ChainStatus:
        head = self.chain.head_header()
        return ChainStatus(int(head.block_number), bytes(head.hash), self._finalized())

    def status_payload(self) -> bytes:
        return encode_status(self.status())

    def on_status(self, peer: bytes, status: ChainStatus) -> None:
        self.planner.set_head(peer, status.head)
        self.request()

    def on_higher(self, peer: bytes | None, head: int) -> None:
        """A correctly signed message or a certificate shows ``peer`` has ``head``."""
        if peer is not None:
            self.planner.note_head(peer, head)
        self.request()

    def forget(self, peer: bytes) -> None:
        self.planner.forget(peer)

    def progress(self) -> dict[str, int] | None:
        return self.planner.progress(self.chain.head_number())

    def request(self) -> None:
        """Ask a peer ahead of us for the next blocks, if the planner says so now."""
        transport = self._transport()
        if transport is None:
            return
        planned = self.planner.next_request(self.chain.head_number(), self._clock())
        if planned is not None:
            peer, request = planned
            transport.send(peer, MessageKind.BLOCK_REQUEST, encode_request(request))

    # --- serving -----------------------------------------------------------------------------
    def serve_if_free(self, peer: bytes, request: BlockRequest) -> bool:
        """Answer in the background, or refuse (False) when too many answers are running."""
        if sum(self.serving.values()) >= MAX_BLOCK_SERVES or \
                self.serving[peer] >= MAX_BLOCK_SERVES_PER_PEER:
            return False
        self.serving[peer] += 1
        self._spawn(self._serve(peer, request))
        return True

    async def _serve(self, peer: bytes, request: BlockRequest) -> None:
        store = self.chain.store

        def collect() -> BlockResponse:
            entries: list[tuple[bytes, bytes]] = []
            size = 0
            for number in range(request.start, request.start + request.count):
                block = store.get_block_by_number(number)
                certificate = store.get_certificate(number)
                if block is None or certificate is None:
                    break
                encoded = encode_block(block)
                if entries and size + len(encoded) + len(certificate) > MAX_RESPONSE_BYTES:
                    break  # the first block goes out whatever its size, so sync never stalls
                size += len(encoded) + len(certificate)
                entries.append((encoded, certificate))
            return BlockResponse(tuple(entries))

        try:
            response = await asyncio.to_thread(collect)
            transport = self._transport()
            if response.entries and transport is not None:
                transport.send(peer, MessageKind.BLOCK_RESPONSE, encode_response(response))
        finally:
            self.serving[peer] -= 1
            if self.serving[peer] <= 0:
                del self.serving[peer]

    # --- applying ----------------------------------------------------------------------------
    async def apply(self, peer: bytes, response: BlockResponse, height: Callable[[], int],
                    deliver: Deliver) -> None:
        """Feed the blocks of ``response`` at the machine's ``height()`` one by one; a block
        that does not decode penalizes the peer; stop at the first one not taken."""
        self.planner.on_response(peer, delivered=bool(response.entries))
        for raw_block, raw_certificate in response.entries:
            try:
                certificate = decode_certificate(raw_certificate)
                block = await asyncio.to_thread(decode_block, raw_block)
            except (DecodeError, BlockCodecError) as error:
                log.info("peer 0x%s sent a bad synced block: %s", peer.hex(), error)
                self._penalize(peer, "bad_synced_block")
                break
            if block.number <= self.chain.head_number():
                continue
            if block.number != height():
                break
            value = ProposedValue(block.number, bytes(block.header.parent_hash), block.hash,
                                  builder_of(block.header), raw_block)
            if not await deliver(value, certificate, block):
                break
        self.request()
