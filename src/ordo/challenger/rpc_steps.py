"""The step half of the honest trace for a standalone challenger: the whole-block tracer over
data read from an L2 node's RPC that the challenger does not trust.

Nothing the node says is used unchecked (docs/challenger.md, "The step half from an L2 RPC"):

- the batch's blocks (``ordo_getRawBlock``) must give the ``inputs_root`` the batch carries on
  L1 (``ChainSteps`` refuses other blocks);
- the output root before the batch must be the one its game starts from on L1 (the previous
  batch's, or the game's genesis output root);
- the parent header of each block of the batch (``ordo_getRawHeader``, or the block's own
  header) must hash to the block hash of the output root the challenger plays for it, and each
  older header (up to 256 back: ``BLOCKHASH``) to the parent hash of the one after it;
- state trie nodes and contract code (``ordo_getStateNodes``) are asked for by hash and kept
  only when their keccak is that hash (``HashedNodes``), once per challenger; before a block
  is traced, the account paths of its senders, recipients and coinbase are fetched a trie
  level per request (``prefetch``), the rest as the tracer reads them;
- a block's trace must start in the first state of the output before it and end in the output
  root after it (the roots the output half plays): a node whose output roots and state do not
  agree is caught here. With ``verify_outputs`` (``ordo challenger --verify-outputs``) every
  block of a batch is traced so before the batch is judged, and every output root it plays is
  one execution gives from the start L1 agreed.

What cannot be had or does not check is a ``StepDataUnavailable`` naming it: the service
reports the game's claim as blocked and tries again next round; no move is made from it.
State nodes are fetched while tracing, in the worker thread the service traces in; each fetch
is run on the event loop (``run_coroutine_threadsafe``) and the thread waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

import rlp
from eth.abc import BlockHeaderAPI
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth_hash.auto import keccak

from ordo.challenger.honest_trace import StepDataUnavailable, StepTrace, first_state
from ordo.challenger.l1_game import LandedBatch
from ordo.challenger.node_steps import ChainSteps, MissingBlock, QueueLoader
from ordo.core.block import Block
from ordo.core.block_codec import BlockCodecError, decode_block
from ordo.core.genesis import Genesis
from ordo.core.output_root import OutputRoot
from ordo.execution.state_source import KeyValueReader
from ordo.faultproof.block_steps import MAX_ANCESTORS
from ordo.faultproof.block_tracer import BlockTrace, keep_all
from ordo.faultproof.mpt_proof import BLANK_ROOT
from ordo.l1.client import L1Client
from ordo.l1.rpc_errors import L1Error
from ordo.settlement.l2_readers import L2Unavailable, RpcL2Reader

log = logging.getLogger(__name__)
T = TypeVar("T")

AgreedStart = Callable[[int], Awaitable[bytes]]
"""The output root L1 says batch ``index``'s game starts from (``DisputeChain.agreed_start``)."""
FETCH_TIMEOUT_S = 30.0
PARALLEL_FETCHES = 8
"""Output roots, blocks and headers of a batch asked for at once (a 1,024-block batch is
about 2,300 requests)."""
NODES_PER_REQUEST = 256
"""``ordo_getStateNodes``'s default bound (``RpcLimits.max_state_nodes``)."""
MAX_CACHED_NODES = 500_000
"""Verified state nodes kept (about 250 MB at most); past it the cache starts again."""
FETCH_ERRORS = (L1Error, L2Unavailable, OSError, TimeoutError, ValueError, KeyError, TypeError)
"""What a failing, slow or malformed RPC answer raises through ``L1Client``."""


def _decoded(node: bytes | None) -> Any:
    """A trie node's RLP items; None for anything else (the prefetch then stops there)."""
    try:
        return None if node is None else rlp.decode(node)
    except rlp.exceptions.DecodingError:
        return None


def _nibbles(key: bytes) -> tuple[int, ...]:
    return tuple(nibble for byte in key for nibble in (byte >> 4, byte & 15))


def _children(node: Any, path: tuple[int, ...]) -> Iterator[tuple[bytes, tuple[int, ...]]]:
    """The hashed node ``path`` continues in below the decoded trie ``node`` (through nodes
    embedded in it), with the rest of the path; nothing where the path ends."""
    while isinstance(node, list):
        if len(node) == 17:
            if not path:
                return
            node, path = node[path[0]], path[1:]
        elif len(node) == 2 and isinstance(node[0], bytes) and node[0]:
            flag = node[0][0] >> 4
            prefix = ((node[0][0] & 15,) if flag & 1 else ()) + _nibbles(node[0][1:])
            if flag & 2 or path[:len(prefix)] != prefix:
                return  # a leaf, or the path leaves the trie here
            node, path = node[1], path[len(prefix):]
        else:
            return
    if isinstance(node, bytes) and len(node) == 32:
        yield node, path


def _running_loop() -> bool:
    """Whether this thread runs an event loop (the service's; a worker thread runs none)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@dataclass
class FetchCounts:
    """What the challenger asked the L2 RPC for (``ordo_status``-style counts, logged)."""

    blocks: int = 0
    headers: int = 0
    outputs: int = 0
    node_requests: int = 0
    nodes: int = 0
    cache_hits: int = 0
    refused: int = 0
    """Answers that did not check (a wrong hash, a block not of the batch): never used."""
    wait_ms: int = 0
    """Time the tracing thread waited for state nodes (prefetches included), in ms."""

    def to_json(self) -> dict[str, int]:
        return dict(vars(self))


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _data(answer: object, what: str) -> bytes:
    if not isinstance(answer, str) or not answer.startswith("0x"):
        raise ValueError(f"{what}: expected hex data, got {str(answer)[:40]!r}")
    return bytes.fromhex(answer[2:])


@dataclass
class HashedNodes:
    """State trie nodes and code by hash from an L2 RPC, each kept only when keccak(bytes) is
    the key asked for; one cache for every batch and block the challenger traces."""

    client: L1Client
    counts: FetchCounts = field(default_factory=FetchCounts)
    timeout: float = FETCH_TIMEOUT_S
    loop: asyncio.AbstractEventLoop | None = None
    """The event loop the client runs on (set by ``RpcSteps.load``)."""
    _cache: dict[bytes, bytes] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"the L2 node at {self.client.url}"

    def get(self, key: bytes) -> bytes:
        """The bytes whose keccak is ``key``; StepDataUnavailable when the RPC does not give
        them (absent, wrong, failed): never None, since every key a trace reads is a node or a
        code the parent state holds."""
        key = bytes(key)
        found = self._cache.get(key)
        if found is not None:
            self.counts.cache_hits += 1
            return found
        loop = self.loop
        if loop is None or _running_loop():
            raise StepDataUnavailable(
                f"state node {_hex(key)} is not fetched yet (fetched only in the worker thread "
                "that traces, never on the event loop)")
        future = asyncio.run_coroutine_threadsafe(self.fetch([key]), loop)
        started = time.monotonic()
        try:
            future.result(self.timeout)
        except FutureTimeout as error:
            future.cancel()
            raise StepDataUnavailable(f"{self.where} did not answer ordo_getStateNodes for "
                                      f"{_hex(key)} within {self.timeout:.0f} s") from error
        finally:
            self.counts.wait_ms += round(1000 * (time.monotonic() - started))
        return self._cache[key]

    async def prefetch(self, root: bytes, keys: Iterable[bytes]) -> None:
        """Fetch the nodes on the trie paths of ``keys`` below ``root``, one request per trie
        level for all of them, instead of one per node as the tracer reads them. Best effort:
        a node missing or refused here is left for the tracer's own read to report."""
        frontier = {(root, _nibbles(key)) for key in keys}
        while frontier:
            try:
                await self.fetch(sorted({node for node, _ in frontier}))
            except StepDataUnavailable:
                return
            frontier = {step for node, path in frontier
                        for step in _children(_decoded(self._cache.get(node)), path)}

    async def fetch(self, keys: list[bytes]) -> None:
        """Fetch and check ``keys`` (on the event loop); StepDataUnavailable for the first one
        that is not given or does not check."""
        wanted = [key for key in keys if key not in self._cache and key != BLANK_ROOT]
        for start in range(0, len(wanted), NODES_PER_REQUEST):
            chunk = wanted[start:start + NODES_PER_REQUEST]
            self.counts.node_requests += 1
            try:
                answer = await self.client.request("ordo_getStateNodes",
                                                   [[_hex(key) for key in chunk]])
                if not isinstance(answer, list) or len(answer) != len(chunk):
                    raise ValueError(f"expected a list of {len(chunk)} answers, got "
                                     f"{str(answer)[:60]!r}")
                values = [None if item is None else _data(item, "state node")
                          for item in answer]
            except FETCH_ERRORS as error:
                raise StepDataUnavailable(f"{self.where} failed to give state nodes "
                                          f"({type(error).__name__}: {error})") from error
            for key, value in zip(chunk, values, strict=True):
                if value is None:
                    raise StepDataUnavailable(
                        f"{self.where} does not hold state node {_hex(key)} (a trie node or "
                        "code of a parent state the trace reads): another chain, pruned, or "
                        "withheld")
                if keccak(value) != key:
                    self.counts.refused += 1
                    raise StepDataUnavailable(
                        f"{self.where} answered state node {_hex(key)} with bytes whose keccak "
                        f"is {_hex(keccak(value))}: refused")
                if len(self._cache) >= MAX_CACHED_NODES:
                    self._cache.clear()
                self._cache[key] = value
                self.counts.nodes += 1


@dataclass
class FetchedChain:
    """The blocks and headers one batch's traces need, each checked on arrival; the
    ``BlockStore`` that ``ChainSteps`` reads."""

    nodes: HashedNodes
    blocks: dict[int, Block] = field(default_factory=dict)
    headers: dict[int, BlockHeaderAPI] = field(default_factory=dict)

    def get_block_by_number(self, number: int) -> Block | None:
        return self.blocks.get(number)

    def get_header_by_number(self, number: int) -> BlockHeaderAPI | None:
        return self.headers.get(number)

    def state_reader(self) -> KeyValueReader:
        return self.nodes


class RpcSteps(ChainSteps):
    """``StepTrace`` of one landed batch from an untrusted L2 RPC (module docstring)."""

    def __init__(self, outputs: RpcL2Reader, nodes: HashedNodes, genesis: Genesis,
                 batch: LandedBatch, queue_items: QueueLoader | None = None,
                 agreed_start: AgreedStart | None = None) -> None:
        self.fetched = FetchedChain(nodes)
        super().__init__(self.fetched, genesis, batch, queue_items)
        self.reader = outputs
        self.agreed_start = agreed_start
        self.nodes = nodes
        self.roots: dict[int, OutputRoot] = {}
        self._loaded = False
        self._load_error: StepDataUnavailable | None = None

    @property
    def where(self) -> str:
        return self.nodes.where

    async def load(self) -> None:
        """Read the forced queue (as ``ChainSteps``) and, once, the batch's blocks, the
        headers before them and their output roots, each checked. A failure is kept for this
        round's traces to report (and the load is tried again next round), not raised: one
        batch's L2 data must not stop the other games."""
        self.nodes.loop = asyncio.get_running_loop()
        try:
            await super().load()
            if not self._loaded:
                await self._fetch()
                self._loaded = True
            self._load_error = None
        except StepDataUnavailable as error:
            self._load_error = error
        except FETCH_ERRORS as error:
            self._load_error = StepDataUnavailable(
                f"batch {self.batch.index}: reading its blocks from {self.where} failed "
                f"({type(error).__name__}: {error})")
        if self._load_error is not None:
            log.warning("challenger: %s", self._load_error)

    async def _fetch(self) -> None:
        batch = self.batch
        lowest = max(batch.first_block - MAX_ANCESTORS, 0)
        numbers = range(batch.first_block - 1, batch.last_block + 1)
        roots = await _gather(self.reader.output_at(number) for number in numbers)
        self.roots.update(zip(numbers, roots, strict=True))
        self.nodes.counts.outputs += len(roots)
        if self.agreed_start is not None:
            agreed = await self.agreed_start(batch.index)
            given = self.roots[batch.first_block - 1].root
            if given != agreed:
                self.nodes.counts.refused += 1
                raise StepDataUnavailable(
                    f"{self.where} gives output root {_hex(given)} for L2 block "
                    f"{batch.first_block - 1}, but the game of batch {batch.index} starts from "
                    f"{_hex(agreed)} on L1: not the chain L1 agreed")
        numbers = range(batch.first_block, batch.last_block + 1)
        blocks = await _gather(self._fetch_block(number) for number in numbers)
        self.fetched.blocks.update(zip(numbers, blocks, strict=True))
        try:
            self._batch_blocks()  # refused here, before any trace, unless of the batch
        except MissingBlock as error:
            self.nodes.counts.refused += 1
            raise StepDataUnavailable(f"{self.where}: {error}") from error
        headers = self.fetched.headers
        for number in range(batch.first_block, batch.last_block):
            headers[number] = self._anchored(self.fetched.blocks[number].header, number)
        parent = batch.first_block - 1
        older = range(parent, lowest - 1, -1)
        fetched = dict(zip(older, await _gather(self._fetch_header(n) for n in older),
                           strict=True))
        headers[parent] = self._anchored(fetched[parent], parent)
        for number in older[1:]:
            header = fetched[number]
            child = headers[number + 1]
            if bytes(header.hash) != bytes(child.parent_hash):
                self.nodes.counts.refused += 1
                raise StepDataUnavailable(
                    f"{self.where} gave header {number} hashing to {_hex(header.hash)}, but "
                    f"header {number + 1} names parent {_hex(child.parent_hash)}: refused")
            headers[number] = header

    def _anchored(self, header: BlockHeaderAPI, number: int) -> BlockHeaderAPI:
        expected = self.roots[number].block_hash
        if bytes(header.hash) != expected or int(header.block_number) != number:
            self.nodes.counts.refused += 1
            raise StepDataUnavailable(
                f"{self.where} gave header {number} hashing to {_hex(header.hash)}, not the "
                f"block hash {_hex(expected)} of its output root: refused")
        return header

    async def _fetch_block(self, number: int) -> Block:
        answer = await self.nodes.client.request("ordo_getRawBlock", [hex(number)])
        self.nodes.counts.blocks += 1
        if answer is None:
            raise StepDataUnavailable(f"{self.where} has no block {number}")
        try:
            block = decode_block(_data(answer, f"block {number}"))
        except (BlockCodecError, ValueError) as error:
            self.nodes.counts.refused += 1
            raise StepDataUnavailable(f"{self.where} gave block {number} that does not "
                                      f"decode: {error}") from error
        if block.number != number:
            self.nodes.counts.refused += 1
            raise StepDataUnavailable(f"{self.where} gave block {block.number} when asked "
                                      f"for block {number}: refused")
        return block

    async def _fetch_header(self, number: int) -> BlockHeaderAPI:
        answer = await self.nodes.client.request("ordo_getRawHeader", [hex(number)])
        self.nodes.counts.headers += 1
        if answer is None:
            raise StepDataUnavailable(f"{self.where} has no header {number}")
        try:
            header: BlockHeaderAPI = rlp.decode(_data(answer, f"header {number}"),
                                                sedes=PragueBlockHeader, strict=True)
        except Exception as error:  # rlp and py-evm raise several types for bad fields
            self.nodes.counts.refused += 1
            raise StepDataUnavailable(f"{self.where} gave header {number} that does not "
                                      f"decode: {error}") from error
        return header

    def trace(self, block: int) -> BlockTrace:
        if self._load_error is not None:
            raise self._load_error
        if block not in self._traces and (not self._loaded or _running_loop()):
            raise StepDataUnavailable(
                f"block {block} of batch {self.batch.index} is not traced yet (its data is "
                "read and traced in a worker thread before the solver reads it)")
        return super().trace(block)

    def _trace_block(self, block: int, number: int,
                     keep: Callable[[int], bool] = keep_all) -> BlockTrace:
        self._prefetch(number)
        found = super()._trace_block(block, number, keep)
        try:
            self._check_ends(found, block, number)
        except StepDataUnavailable:
            self._loaded = False  # read the outputs, blocks and headers again next round
            raise
        return found

    def _prefetch(self, number: int) -> None:
        """Before tracing block ``number`` (in the worker thread): the account paths of its
        senders, recipients and coinbase in its parent's state, a trie level per request."""
        loop, parent = self.nodes.loop, self.fetched.headers.get(number - 1)
        block = self.fetched.blocks.get(number)
        if loop is None or parent is None or block is None:
            return
        addresses = {bytes(block.header.coinbase), *block.senders,
                     *(bytes(tx.to) for tx in block.transactions if tx.to)}
        keys = [keccak(address) for address in addresses]
        future = asyncio.run_coroutine_threadsafe(
            self.nodes.prefetch(bytes(parent.state_root), keys), loop)
        started = time.monotonic()
        try:
            future.result(self.nodes.timeout)
        except FutureTimeout:
            future.cancel()  # the tracer's own reads say what is missing
        finally:
            self.nodes.counts.wait_ms += round(1000 * (time.monotonic() - started))

    def _check_ends(self, found: BlockTrace, block: int, number: int) -> None:
        parent = self.roots[number - 1].root
        expected_first = first_state(parent, self.batch.inputs_root, block)
        if found.commitment(0) != expected_first:
            raise StepDataUnavailable(
                f"the trace of L2 block {number} starts in {_hex(found.commitment(0))}, not the "
                f"first state {_hex(expected_first)} of output root {_hex(parent)} that "
                f"{self.where} gives for block {number - 1}: its state and outputs disagree")
        if found.output_root != self.roots[number].root:
            raise StepDataUnavailable(
                f"the trace of L2 block {number} ends in output root {_hex(found.output_root)}, "
                f"{self.where} gives {_hex(self.roots[number].root)}: its state and outputs "
                "disagree")

    def verify_outputs(self) -> None:
        """Trace every block of the batch (in the worker thread, keeping no witness), so each
        of the RPC's output roots for it is checked by execution from the start L1 agreed:
        StepTraceUnavailable for the first that is not (``--verify-outputs``)."""
        if self._load_error is not None:
            raise self._load_error
        for block in range(self.batch.block_count):
            if block not in self._traces:
                self._trace_block(block, self.batch.first_block + block, keep=_keep_none)
        log.info("challenger: batch %d's %d output roots checked by execution (fetched so "
                 "far: %s)", self.batch.index, self.batch.block_count,
                 self.nodes.counts.to_json())

    def prepare(self, blocks: Iterable[int]) -> None:
        if self._load_error is not None:
            raise self._load_error
        super().prepare(blocks)
        log.info("challenger: batch %d traced from %s (fetched so far: %s)", self.batch.index,
                 self.where, self.nodes.counts.to_json())


def _keep_none(index: int) -> bool:
    return False


async def _gather(calls: Iterable[Awaitable[T]]) -> list[T]:
    """``calls`` with at most PARALLEL_FETCHES at once, in order."""
    gate = asyncio.Semaphore(PARALLEL_FETCHES)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call
    return list(await asyncio.gather(*(one(call) for call in calls)))


def rpc_steps(outputs: RpcL2Reader, genesis: Genesis, queue_items: QueueLoader | None = None,
              agreed_start: AgreedStart | None = None) -> Callable[[LandedBatch], StepTrace]:
    """The factory ``L2TraceSource`` takes: one ``HashedNodes`` cache for every batch."""
    nodes = HashedNodes(outputs.client)
    return lambda batch: RpcSteps(outputs, nodes, genesis, batch, queue_items, agreed_start)
