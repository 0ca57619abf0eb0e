"""``trace_block``: the whole step trace of one L2 block (docs/fault_proofs.md 4.5).

From the parent's state (any ``hash -> node`` store that holds it: the node's store, py-evm's
database), the parent header and its ancestors' headers, and the batch that holds the block, it
runs block start, then per transaction a start step, the EVM steps of its depth-0 frame
(:func:`ordo.faultproof.tracer.run_frame`) and an end step, then block end; each step's witness
is built from the full data and the post-state is computed by the same step function the
verifier runs on the witness alone. The trace is kept whole (commitments and witnesses), which
is what a challenger bisecting one block needs: the commitment at any index of the padded range
and the witness of the one step the game ends on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak
from trie import HexaryTrie

from ordo.core.batch_blocks import BatchBlock
from ordo.core.l1_fee import L1FeeRules
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS
from ordo.core.transaction import decode_transaction
from ordo.faultproof import block_parts as bp
from ordo.faultproof.batch_inputs import (
    block_inputs_encoding,
    block_inputs_proof,
    inputs_root,
    transaction_proof,
)
from ordo.faultproof.block_io import TraceIO
from ordo.faultproof.block_parts import decode_block_inputs
from ordo.faultproof.block_steps import (
    MAX_ANCESTORS,
    PRECOMPILES_ACCESSED_NODES,
    Final,
    Post,
    block_end,
    block_start,
    forced_range,
    tx_end,
)
from ordo.faultproof.block_witness import (
    BlockEndProofs,
    BlockStartProofs,
    FeeBlockStartProofs,
    FirstState,
    ParentOutput,
    Totals,
    TxStartProofs,
    encode_block_start,
    encode_block_step,
    encode_done,
    proofs_class,
)
from ordo.faultproof.cell_store import CellStore
from ordo.faultproof.machine_state import (
    PHASE_BLOCK_END,
    PHASE_EVM,
    PHASE_TX_END,
    PHASE_TX_START,
    ZERO32,
    Context,
    Frame,
    MachineState,
)
from ordo.faultproof.mpt_proof import BLANK_ROOT
from ordo.faultproof.step import decode_account
from ordo.faultproof.tracer import MAX_TRACE_STEPS, run_frame
from ordo.faultproof.tx_start import tx_start
from ordo.faultproof.witness import Snapshot
from ordo.faultproof.world import NodeStore, World, jumpdest_bitmap

MAX_STEP_DEPTH = 32
"""Deployments bisect ``2^32`` steps per block (section 6.2)."""


@dataclass(frozen=True)
class BlockStep:
    """One step: the commitments around it, its witness and what kind of step it is."""

    pre: bytes
    post: bytes
    witness: bytes
    phase: int


class WitnessNotKept(LookupError):
    """A witness the trace dropped to save memory."""


def keep_all(index: int) -> bool:
    return True


@dataclass(frozen=True)
class BlockTrace:
    """Every step of one block, from its first state to its final state."""

    first: bytes
    steps: tuple[BlockStep, ...]
    output_root: bytes
    header: bytes = b""
    """The header RLP the block-end step built (empty for an invalid block)."""

    @property
    def final(self) -> bytes:
        return bp.final_state(self.output_root)

    def __len__(self) -> int:
        return len(self.steps)

    def commitment(self, index: int) -> bytes:
        """State ``s_index`` of the padded trace: ``s_0`` the first state, ``s_len`` the
        final one, repeated at every index past the end (6.2)."""
        if index < 0:
            raise IndexError(index)
        if index == 0:
            return self.first
        if index <= len(self.steps):
            return self.steps[index - 1].post
        return self.final

    def witness(self, index: int) -> bytes:
        """The witness of the step from ``s_index`` to ``s_(index+1)``; past the end, the final
        state's (it steps to itself). Raises :class:`WitnessNotKept` for a step whose witness
        the trace was told not to keep (trace again keeping it)."""
        if index < 0:
            raise IndexError(index)
        if index < len(self.steps):
            witness = self.steps[index].witness
            if not witness:
                raise WitnessNotKept(f"the witness of step {index} was not kept")
            return witness
        return encode_done(self.output_root)


@dataclass
class _Totals:
    receipts_root: bytes = BLANK_ROOT
    transactions_root: bytes = BLANK_ROOT
    bloom: bytes = bp.ZERO_BLOOM
    forced_next: int = 0
    forced_end: int = 0

    def frozen(self) -> Totals:
        return Totals(self.receipts_root, self.transactions_root, self.bloom, self.forced_next,
                      self.forced_end)


@dataclass
class _Run:
    nodes: NodeStore
    batch_block: BatchBlock
    parent: ParentOutput
    block_hashes: list[bytes]
    queue: bp.ForcedQueue
    forced_raw: Mapping[int, bytes]
    keep: Callable[[int], bool]
    fee: L1FeeRules | None = None
    """The chain's ``l1Fee``: phases 2 and 4 charge it, phase 4's witness has the vault."""
    steps: list[BlockStep] = field(default_factory=list)

    def add(self, pre: bytes, post: bytes, witness: bytes, phase: int) -> None:
        """Record a step, its witness only when ``keep`` says so (commitments always)."""
        kept = witness if self.keep(len(self.steps)) else b""
        self.steps.append(BlockStep(pre, post, kept, phase))
    totals: _Totals = field(default_factory=_Totals)


def message_passer_root(nodes: Mapping[bytes, bytes], state_root: bytes) -> bytes:
    """The message passer's storage root in a state (the empty root when absent)."""
    value = HexaryTrie(nodes, state_root).get(keccak(MESSAGE_PASSER_ADDRESS))
    account = decode_account(value or None)
    return account.storage_root if account else BLANK_ROOT


def trace_block(db: Any, rules: bp.ChainRules, parent_header: bytes,
                ancestors: Sequence[bytes], batch: Sequence[BatchBlock], position: int,
                queue: bp.ForcedQueue = bp.NO_QUEUE, forced_raw: Mapping[int, bytes] | None = None,
                max_steps: int = MAX_TRACE_STEPS,
                keep: Callable[[int], bool] = keep_all) -> BlockTrace:
    """The trace of block ``batch[position]`` on its parent (``parent_header``, RLP, whose
    state ``db`` holds). ``ancestors`` are the RLP headers of the blocks before the parent,
    newest first, at least ``min(number, 256) - 2`` of them (the rest is ignored). ``queue``
    is the L1 forced-inclusion queue and ``forced_raw`` the raw bytes of its forced
    transactions by item index (what its ``TransactionEnqueued`` events carry). ``keep`` says
    which steps' witnesses to hold (all by default; a challenger bisecting a long block keeps
    none, then traces again keeping the one step the game ends on)."""
    nodes = NodeStore(db)
    nodes.update(PRECOMPILES_ACCESSED_NODES)
    header = bp.decode_header(parent_header)
    parent = ParentOutput(header.state_root, message_passer_root(nodes, header.state_root),
                          keccak(parent_header))
    parent_output_root = bp.output_root(parent.state_root, parent.message_passer_root,
                                        parent.block_hash)
    block = batch[position]
    count = min(block.number, MAX_ANCESTORS)
    needed = tuple(ancestors[:max(count - 2, 0)])
    hashes = [parent.block_hash, header.parent_hash][:count] + \
        [bp.header_parent_hash(h) for h in needed]
    first = FirstState(parent_output_root, inputs_root(batch), position)
    first_commitment = bp.first_state(*_first_words(first))
    run = _Run(nodes, block, parent, hashes, queue, forced_raw or {}, keep, rules.l1_fee_rules)
    io = TraceIO(nodes, {
        "parent": parent, "parent_header": parent_header, "ancestors": needed,
        "block_inputs": block_inputs_encoding(block),
        "inputs_siblings": block_inputs_proof(batch, position).siblings,
        "extra_data": block.extra_data,
    })
    post: Post = block_start(first, io, rules, queue)
    forced = forced_range(decode_block_inputs(block_inputs_encoding(block)), block.extra_data,
                          header, queue)
    if forced is not None:
        run.totals.forced_next, run.totals.forced_end = forced
    witness = encode_block_start(first, io.proofs(
        BlockStartProofs if rules.l1_fee_rules is None else FeeBlockStartProofs))
    run.add(first_commitment, post.commitment(), witness, 1)
    header_rlp = b""
    while not isinstance(post, Final):
        if len(run.steps) >= max_steps:
            raise RuntimeError(f"the block did not end within {max_steps} steps")
        if post.phase == PHASE_TX_START:
            post = _tx_start(run, post, max_steps)
        elif post.phase == PHASE_TX_END:
            raise AssertionError("a transaction end is reached only through its frame")
        elif post.phase == PHASE_BLOCK_END:
            post, header_rlp = _block_end(run, post)
        else:
            raise AssertionError(f"phase {post.phase}")
    return BlockTrace(first_commitment, tuple(run.steps), post.output_root, header_rlp)


def _first_words(first: FirstState) -> tuple[bytes, bytes, int]:
    return first.parent_output_root, first.inputs_root, first.position


def _tx_items(run: _Run, index: int) -> dict[str, Any]:
    block = run.batch_block
    return {"block_inputs": block_inputs_encoding(block),
            "raw_tx": lambda: block.transactions[index],
            "tx_siblings": lambda: transaction_proof(block, index).siblings}


def _tx_start(run: _Run, state: MachineState, max_steps: int) -> Post:
    index = state.tx.tx_index
    items = _tx_items(run, index)
    totals = run.totals
    items.update(totals=totals.frozen(),
                 forced_tx=lambda: run.forced_raw[totals.forced_next])
    io = TraceIO(run.nodes, items)
    post = tx_start(state, io, run.queue, run.fee)
    run.add(state.commitment(), post.commitment(),
            encode_block_step(state, io.proofs(TxStartProofs)), PHASE_TX_START)
    if "forced_tx" in io.recorded or "deposit" in io.recorded:
        totals.forced_next += 1
    if isinstance(post, Final) or post.phase == PHASE_TX_START:
        return post
    if post.phase == PHASE_TX_END:  # a creation's address collision: no frame
        return _tx_end(run, post, (), b"", Snapshot())
    assert post.phase == PHASE_EVM and isinstance(post.frame, Frame)
    world = _world(run, io, post, state.context.state_root)
    trace = run_frame(post, world, max_steps)
    for step in trace.steps:
        run.add(step.pre, step.post, step.witness, PHASE_EVM)
    end = trace.final
    assert end.phase == PHASE_TX_END
    logs = tuple((log.address, log.topics, log.data) for log in trace.logs)
    return _tx_end(run, end, logs, trace.output, world.entry_snapshot)


def _snapshot_hash(snap: Snapshot) -> bytes:
    return Context(snap.state_root, snap.accessed_root, snap.created_root, snap.transient_root,
                   snap.refund, snap.logs_hash, snap.logs_count, 0, ZERO32).snapshot()


def _world(run: _Run, io: TraceIO, state: MachineState, before: bytes) -> World:
    """What lies under the roots of the frame a transaction start opened. The entry
    snapshot's state root is one the step wrote, or ``before``, the pre-state's: a started
    transaction's frame opening with value writes only the transfer's roots."""
    frame = state.frame
    assert isinstance(frame, Frame)
    tx = decode_transaction(io.recorded["raw_tx"]).tx
    data = bytes(tx.data)
    if tx.to:
        code: bytes = io.recorded.get("delegate_code", io.recorded.get("callee_code", b""))
    else:  # a creation runs its data as init code, with no calldata
        code, data = data, b""
    context = state.context
    candidates = (context.state_root, before, *io.written_roots)
    snapshot = next(
        snap for snap in (Snapshot(root, context.accessed_root, BLANK_ROOT, BLANK_ROOT,
                                   context.refund, ZERO32, 0) for root in candidates)
        if _snapshot_hash(snap) == frame.entry_snapshot)
    world = World(
        nodes=run.nodes, code=CellStore.of_bytes(code),
        jumpdests=CellStore.of_bytes(jumpdest_bitmap(code)), calldata=CellStore.of_bytes(data),
        returndata=CellStore([]), block_hashes=CellStore(list(run.block_hashes)),
        blob_hashes=CellStore([]), entry_snapshot=snapshot)
    if (world.code.root, world.calldata.root) != (frame.code_root, frame.calldata_root):
        raise AssertionError("the world's code or calldata is not the frame's")
    return world


def _tx_end(run: _Run, state: MachineState, logs: tuple[Any, ...], output: bytes,
            snapshot: Snapshot) -> Post:
    index = state.tx.tx_index
    items = _tx_items(run, index)
    io = TraceIO(run.nodes, items)
    items.update(totals=run.totals.frozen(), output=output, snapshot=snapshot,
                 logs=lambda: () if "snapshot" in io.recorded else logs)
    post = tx_end(state, io, run.fee)
    run.add(state.commitment(), post.commitment(),
            encode_block_step(state, io.proofs(proofs_class(PHASE_TX_END, run.fee is not None))),
            PHASE_TX_END)
    run.totals.receipts_root, run.totals.transactions_root = io.inserted_roots
    run.totals.bloom = bp.bloom_or(run.totals.bloom, bp.bloom_of(logs))
    return post


def _block_end(run: _Run, state: MachineState) -> tuple[Post, bytes]:
    block = run.batch_block
    io = TraceIO(run.nodes, {"block_inputs": block_inputs_encoding(block),
                             "extra_data": block.extra_data, "parent": run.parent,
                             "totals": run.totals.frozen()})
    post = block_end(state, io)
    run.add(state.commitment(), post.commitment(),
            encode_block_step(state, io.proofs(BlockEndProofs)), PHASE_BLOCK_END)
    state_root = io.last_state_root(state.context.state_root)
    totals = run.totals
    header = bp.HeaderFields(
        parent_hash=run.parent.block_hash, coinbase=block.coinbase, state_root=state_root,
        transactions_root=totals.transactions_root, receipts_root=totals.receipts_root,
        bloom=totals.bloom, number=block.number, gas_limit=block.gas_limit,
        gas_used=state.context.cumulative_gas, timestamp=block.timestamp,
        extra_data=block.extra_data, mix_hash=block.mix_hash,
        base_fee=state.block.base_fee, l1_fee_word=block.l1_fee_word).encoded()
    return post, header

