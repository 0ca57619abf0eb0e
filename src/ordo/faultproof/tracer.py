"""The phase-3 tracer: one message call (one depth-0 frame) on a py-evm state, step by step.

It opens the frame the way a transaction-start step will (the value moved, the sender, origin,
recipient, coinbase and precompiles warm, the entry snapshot taken before the value moved, as
py-evm's ``apply_message`` snapshots before its transfer), then calls :func:`step` until the
frame halts, keeping for every step its pre- and post-state commitments and its witness. The
final phase-4 state carries the outcome (docs/fault_proofs.md 3.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth.abc import AtomicDatabaseAPI
from eth.vm.forks.prague.computation import PragueComputation
from eth_hash.auto import keccak
from eth_typing import Address

from ordo.execution.evm_state import make_context, open_state
from ordo.faultproof.cell_store import CellStore
from ordo.faultproof.cells import EMPTY_ROOT
from ordo.faultproof.machine_state import (
    PHASE_EVM,
    ZERO32,
    Block,
    Context,
    Frame,
    MachineState,
    Outcome,
    Tx,
)
from ordo.faultproof.mpt_proof import BLANK_ROOT
from ordo.faultproof.step import ACCESSED_VALUE, execute
from ordo.faultproof.witness import Snapshot
from ordo.faultproof.witness_codec import encode_witness
from ordo.faultproof.world import Log, NodeStore, Recorder, World, jumpdest_bitmap, trie_with

MAX_TRACE_STEPS = 1_000_000


def step(state: MachineState, world: World) -> tuple[MachineState, bytes]:
    """The state after one instruction and the encoded witness that proves it; ``world``
    follows the step (it then lies under the post-state's roots)."""
    recorder = Recorder(world)
    post_state = execute(state, recorder)
    return post_state, encode_witness(state, recorder.proofs())


@dataclass(frozen=True)
class BlockEnv:
    """The block a call runs in; ``ancestor_hashes`` starts with the parent's hash."""

    number: int
    timestamp: int
    coinbase: bytes
    gas_limit: int
    base_fee: int
    chain_id: int
    prev_randao: bytes = ZERO32
    ancestor_hashes: tuple[bytes, ...] = ()
    parent_output_root: bytes = ZERO32
    inputs_hash: bytes = ZERO32


@dataclass(frozen=True)
class MessageCall:
    """A depth-0 call: ``origin`` is the caller unless given; ``is_static`` runs the frame in
    static mode (as a STATICCALL's callee, to exercise its refusals); ``code`` runs that code
    at ``to`` instead of the code ``to`` holds (py-evm's ``Message.code``)."""

    caller: bytes
    to: bytes
    data: bytes
    gas: int
    value: int = 0
    gas_price: int = 0
    origin: bytes | None = None
    is_static: bool = False
    code: bytes | None = None


@dataclass(frozen=True)
class TraceStep:
    """One step: the commitments around it, its witness, the opcode and the post-state."""

    pre: bytes
    post: bytes
    witness: bytes
    opcode: int
    post_state: MachineState


@dataclass(frozen=True)
class Trace:
    """Every step of the frame and how it ended."""

    steps: tuple[TraceStep, ...]
    first: MachineState
    final: MachineState
    success: bool
    gas_left: int
    output: bytes
    logs: tuple[Log, ...]
    state_root: bytes
    refund: int


def prague_precompiles() -> tuple[bytes, ...]:
    """The precompile addresses py-evm's Prague computation holds warm (EIP-2929)."""
    return tuple(sorted(bytes(a) for a in PragueComputation.get_precompiles()))


def warm_addresses(call: MessageCall, block: BlockEnv) -> tuple[bytes, ...]:
    """The addresses warm when the depth-0 frame starts (EIP-2929, EIP-3651)."""
    origin = call.origin or call.caller
    return tuple(dict.fromkeys((call.caller, origin, call.to, block.coinbase,
                                *prague_precompiles())))


def trace_message_call(db: AtomicDatabaseAPI, state_root: bytes, block: BlockEnv,
                       call: MessageCall, max_steps: int = MAX_TRACE_STEPS) -> Trace:
    """Trace ``call`` on the state ``state_root`` of ``db`` (only new trie nodes are added to
    ``db``, by py-evm's persist of the value transfer)."""
    first, world = open_frame(db, state_root, block, call)
    return run_frame(first, world, max_steps)


def open_frame(db: AtomicDatabaseAPI, state_root: bytes, block: BlockEnv,
               call: MessageCall) -> tuple[MachineState, World]:
    """The state at the first instruction of ``call``'s frame and the world under it."""
    context = make_context(
        coinbase=block.coinbase, timestamp=block.timestamp, block_number=block.number,
        gas_limit=block.gas_limit, base_fee=block.base_fee, chain_id=block.chain_id,
        ancestor_hashes=block.ancestor_hashes, mix_hash=block.prev_randao,
    )
    evm = open_state(db, context, state_root)
    if call.value:
        if evm.get_balance(Address(call.caller)) < call.value:
            raise ValueError("the caller cannot pay the call's value")
        evm.delta_balance(Address(call.caller), -call.value)
        evm.delta_balance(Address(call.to), call.value)
        evm.persist()
    code = call.code if call.code is not None else bytes(evm.get_code(Address(call.to)))
    nodes = NodeStore(db)
    accessed_root = trie_with(nodes, [(keccak(a), ACCESSED_VALUE)
                                      for a in warm_addresses(call, block)])
    entry = Snapshot(state_root, accessed_root, BLANK_ROOT, BLANK_ROOT, 0, ZERO32, 0)
    world = World(
        nodes=nodes,
        code=CellStore.of_bytes(code),
        jumpdests=CellStore.of_bytes(jumpdest_bitmap(code)),
        calldata=CellStore.of_bytes(call.data),
        returndata=CellStore([]),
        block_hashes=CellStore(list(block.ancestor_hashes[:256])),
        blob_hashes=CellStore([]),
        entry_snapshot=entry,
    )
    first = initial_state(block, call, state_root, bytes(evm.state_root), accessed_root, world,
                          len(code))
    return first, world


def run_frame(first: MachineState, world: World, max_steps: int = MAX_TRACE_STEPS) -> Trace:
    """Step from ``first`` until the frame halts."""
    state = first
    steps: list[TraceStep] = []
    while state.phase == PHASE_EVM:
        if len(steps) >= max_steps:
            raise RuntimeError(f"the call did not halt within {max_steps} steps")
        frame = state.frame
        assert isinstance(frame, Frame)
        opcode = world.code.read(frame.pc, 1)[0]
        post, witness = step(state, world)
        steps.append(TraceStep(state.commitment(), post.commitment(), witness, opcode, post))
        state = post
    outcome = state.frame
    assert isinstance(outcome, Outcome)
    return Trace(
        steps=tuple(steps), first=first, final=state, success=outcome.success,
        gas_left=outcome.gas_left, output=world.output or b"",
        logs=tuple(world.logs) if outcome.success else (),
        state_root=state.context.state_root, refund=state.context.refund,
    )


def initial_state(block: BlockEnv, call: MessageCall, start_root: bytes, entered_root: bytes,
                  accessed_root: bytes, world: World, code_size: int) -> MachineState:
    """The phase-3 state at the first instruction of the call's frame."""
    block_part = Block(
        number=block.number, timestamp=block.timestamp, coinbase=block.coinbase,
        gas_limit=block.gas_limit, base_fee=block.base_fee, prev_randao=block.prev_randao,
        chain_id=block.chain_id, parent_output_root=block.parent_output_root,
        inputs_hash=block.inputs_hash, block_hashes_root=world.block_hashes.root,
    )
    tx = Tx(origin=call.origin or call.caller, gas_price=call.gas_price, tx_index=0,
            tx_start_state_root=start_root, blob_hashes_root=EMPTY_ROOT)
    entry = world.entry_snapshot
    context = Context(
        state_root=entered_root, accessed_root=accessed_root, created_root=entry.created_root,
        transient_root=entry.transient_root, refund=0, logs_hash=ZERO32, logs_count=0,
        cumulative_gas=0, totals_hash=ZERO32,
    )
    entry_hash = Context(entry.state_root, entry.accessed_root, entry.created_root,
                         entry.transient_root, entry.refund, entry.logs_hash, entry.logs_count,
                         0, ZERO32).snapshot()
    frame = Frame(
        parent_frame=ZERO32, depth=0, address=call.to, caller=call.caller, value=call.value,
        is_static=call.is_static, code_root=world.code.root, code_size=code_size,
        jumpdests_root=world.jumpdests.root, calldata_root=world.calldata.root,
        calldata_size=len(call.data), pc=0, gas=call.gas, stack_hash=ZERO32, stack_size=0,
        memory_root=EMPTY_ROOT, memory_size=0, returndata_root=EMPTY_ROOT, returndata_size=0,
        entry_snapshot=entry_hash,
    )
    return MachineState(PHASE_EVM, block_part, tx, context, frame)


def step_opcodes(trace: Trace) -> Sequence[int]:
    return [s.opcode for s in trace.steps]
