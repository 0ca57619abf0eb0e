"""Re-executing a decoded batch: every block rebuilt on its parent from the posted fields and
transactions, and the batch's last block checked against the signed header.

Blocks are rebuilt with the engine's ``build_block`` (the posted transactions as candidates, in
order), not checked with ``execute_block``: a batch carries no header, so the header is what
execution gives, and the only claims to check are that every posted transaction was included and
that the last block's hash and output root are the ones the quorum signed. A batch is replayed on
an in-memory layer over the committed state and committed only once its end matched, so the store
never holds a block of a batch that turned out invalid. No disk or network here.

On an L1-anchored network with a forced queue each block first takes its forced-queue items
(:mod:`forced_rules` says which); the valid forced transactions among them lead the posted list,
so they are checked against what the engine executes and only the rest are candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from eth.abc import BlockHeaderAPI
from eth_hash.auto import keccak

from ordo.core.batch_blocks import BatchBlock
from ordo.core.block import ExecutedBlock
from ordo.core.block_extra import origin_layout_error
from ordo.core.errors import RejectedTransaction
from ordo.core.forced_item import ForcedTransaction
from ordo.core.genesis import Genesis
from ordo.core.l1_fee import L1Prices
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.derivation.batch_data import DecodedBatch
from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.derivation.fallback_rules import fallback_block_error
from ordo.derivation.forced_rules import ForcedQueueItems, forced_items_of, header_forced_error
from ordo.derivation.origin_rules import named_origin
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.output_roots import output_root_at
from ordo.execution.state_source import KeyValueReader

BLOCKHASH_WINDOW = 256

AncestorLookup = Callable[[bytes], Sequence[bytes]]


@dataclass(frozen=True)
class ReplayedBlock:
    executed: ExecutedBlock
    state_writes: dict[bytes, bytes]


class PendingState:
    """The state writes of the batch's blocks replayed so far, over the committed state."""

    def __init__(self, committed: KeyValueReader) -> None:
        self._committed = committed
        self.writes: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self._committed.get(key)


class PendingAncestry:
    """BLOCKHASH answers across the replayed blocks and then the committed chain."""

    def __init__(self, committed: AncestorLookup) -> None:
        self._committed = committed
        self._parents: dict[bytes, bytes] = {}

    def add(self, block_hash: bytes, parent_hash: bytes) -> None:
        self._parents[block_hash] = parent_hash

    def __call__(self, block_hash: bytes) -> Sequence[bytes]:
        hashes: list[bytes] = []
        current = block_hash
        while current in self._parents and len(hashes) < BLOCKHASH_WINDOW:
            hashes.append(current)
            current = self._parents[current]
        if len(hashes) < BLOCKHASH_WINDOW:
            hashes.extend(self._committed(current))
        return hashes[:BLOCKHASH_WINDOW]


def replay_batch(batch: DecodedBatch, parent: BlockHeaderAPI, genesis: Genesis,
                 committed: KeyValueReader, ancestors: AncestorLookup,
                 queue: ForcedQueueItems | None = None,
                 origin_times: Mapping[int, int] | None = None) -> list[ReplayedBlock]:
    """The blocks of ``batch`` above ``parent``, rebuilt; InvalidBatch names the first block and
    transaction that does not replay, or the header claim the batch's end breaks. ``queue``
    holds the forced-queue items up to the batch's latest L1 origin (None: the genesis names no
    forced queue). ``origin_times`` gives the L1 timestamp of every origin a fallback batch's
    blocks name (``fallback_rules``); a fallback batch cannot be checked without them."""
    accepted = batch.accepted
    if accepted.fallback and origin_times is None:
        raise DerivationError(f"batch {accepted.index} is a fallback batch: its blocks' times "
                              "follow their L1 origins, which this verifier does not read (it "
                              "reads another L1 than the genesis is anchored to)")
    refused = header_forced_error(batch)
    if refused is not None:
        raise refused
    state = PendingState(committed)
    ancestry = PendingAncestry(ancestors)
    engine = PyEvmEngine(genesis, state, ancestry)
    replayed: list[ReplayedBlock] = []
    for posted in batch.blocks:
        if posted.number <= int(parent.block_number):
            continue  # committed before a restart; the batch's end check still covers it
        if posted.number != int(parent.block_number) + 1:
            raise InvalidBatch(accepted.index, f"does not follow block {parent.block_number}",
                               posted.number)
        problem = origin_layout_error(posted.extra_data, posted.mix_hash,
                                      bytes(parent.extra_data), bytes(parent.mix_hash),
                                      anchored=genesis.l1 is not None)
        if problem is not None:
            raise InvalidBatch(accepted.index, problem, posted.number)
        forced = forced_items_of(accepted.index, posted, bytes(parent.extra_data), queue)
        env = BlockEnvironment(coinbase=posted.coinbase, timestamp=posted.timestamp,
                               gas_limit=posted.gas_limit, extra_data=posted.extra_data,
                               prev_randao=posted.mix_hash, forced=forced,
                               l1_prices=L1Prices.of_word(posted.l1_fee_word))
        if accepted.fallback:
            assert origin_times is not None
            _check_fallback_block(accepted.index, posted, parent, origin_times)
        try:
            leading = _leading_forced(engine, parent, env, accepted.index, posted)
            if accepted.fallback and leading != len(posted.transactions):
                raise InvalidBatch(accepted.index, f"transaction {leading} is not one of the "
                                                   "block's executed forced transactions: a "
                                                   "fallback block carries nothing else",
                                   posted.number)
            candidates = _decoded(accepted.index, posted.number, posted.transactions, leading)
            result = engine.build_block(parent, candidates, env)
        except ValueError as error:
            raise InvalidBatch(accepted.index, f"header fields refused: {error}",
                               posted.number) from error
        _check_all_included(accepted.index, posted.number, leading, candidates, result.skipped,
                            len(result.executed.block.transactions) - leading)
        state.writes.update(result.state_writes)
        header = result.executed.block.header
        ancestry.add(bytes(header.hash), bytes(header.parent_hash))
        replayed.append(ReplayedBlock(result.executed, result.state_writes))
        parent = header
    if int(parent.block_number) != accepted.last_block:
        raise InvalidBatch(accepted.index, f"replay ended at block {parent.block_number}, the "
                                           f"header's last block is {accepted.last_block}")
    got_hash, got_root = bytes(parent.hash), output_root_at(engine, parent).root
    if got_hash != accepted.last_block_hash or got_root != accepted.output_root:
        raise InvalidBatch(
            accepted.index,
            f"re-executed to hash 0x{got_hash.hex()} and output root 0x{got_root.hex()}, the "
            f"signed header says hash 0x{accepted.last_block_hash.hex()} and output root "
            f"0x{accepted.output_root.hex()}", accepted.last_block)
    return replayed


def _check_fallback_block(index: int, posted: BatchBlock, parent: BlockHeaderAPI,
                          origin_times: Mapping[int, int]) -> None:
    origin = named_origin(posted.extra_data, posted.mix_hash)
    if origin is None or origin.number not in origin_times:
        raise InvalidBatch(index, "a fallback block must name an L1 origin the verifier can "
                                  "read", posted.number)
    problem = fallback_block_error(posted, int(parent.timestamp), int(parent.gas_limit),
                                   origin_times[origin.number])
    if problem is not None:
        raise InvalidBatch(index, problem, posted.number)


def _leading_forced(engine: PyEvmEngine, parent: BlockHeaderAPI, env: BlockEnvironment,
                    index: int, posted: BatchBlock) -> int:
    """How many posted transactions are the block's executed forced transactions, once they
    are shown to be exactly those, in queue order.

    Which forced transactions execute depends on the state (nonce, funds, deposits earlier in
    the queue), so the engine is asked: building on ``parent`` with no candidates leaves just
    the forced prelude in the block. Matching raw bytes instead would misplace a forced
    transaction that failed in the prelude but was then posted as an ordinary one."""
    if not any(isinstance(item, ForcedTransaction) for item in env.forced):
        return 0
    executed = engine.build_block(parent, [], env).executed.block.transactions
    for position, forced in enumerate(executed):
        raw = bytes(forced.encode())
        if position >= len(posted.transactions) or posted.transactions[position] != raw:
            shown = "missing" if position >= len(posted.transactions) else \
                f"0x{keccak(posted.transactions[position]).hex()}"
            raise InvalidBatch(index, f"transaction {position} is {shown}, but the block's "
                                      f"forced-queue items execute forced transaction "
                                      f"0x{bytes(forced.hash).hex()} there (the "
                                      f"{len(executed)} valid forced transactions lead the "
                                      f"block)", posted.number)
    return len(executed)


def _decoded(index: int, number: int, raw_transactions: Sequence[bytes], skip: int
             ) -> list[DecodedTransaction]:
    """The posted transactions after the ``skip`` leading forced ones, decoded."""
    decoded: list[DecodedTransaction] = []
    for position, raw in enumerate(raw_transactions):
        if position < skip:
            continue
        try:
            decoded.append(decode_transaction(raw))
        except RejectedTransaction as error:
            raise InvalidBatch(index, f"transaction {position} does not decode: "
                                      f"{error.message}", number) from error
    return decoded


def _check_all_included(index: int, number: int, leading: int,
                        candidates: Sequence[DecodedTransaction],
                        skipped: Sequence[tuple[bytes, str]], included: int) -> None:
    """Every posted transaction is in the rebuilt block: the engine skipping one, or stopping
    for lack of gas before it, means the batch is not the chain its producers executed.
    Positions named count the ``leading`` forced transactions, as in the posted list."""
    if skipped:
        tx_hash, reason = skipped[0]
        position = leading + next(position for position, candidate in enumerate(candidates)
                                  if candidate.hash == tx_hash)
        raise InvalidBatch(index, f"transaction {position} (0x{tx_hash.hex()}) is skipped on "
                                  f"re-execution: {reason}", number)
    if included != len(candidates):
        missing = candidates[included]
        raise InvalidBatch(index, f"transaction {leading + included} (0x{missing.hash.hex()}) "
                                  f"does not fit: the block's gas ran out after "
                                  f"{leading + included} of {leading + len(candidates)} "
                                  f"transactions", number)
