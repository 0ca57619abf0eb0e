"""One phase-3 EVM step: the executable specification of docs/fault_proofs.md 3 and 3.1-3.4.

:func:`execute` computes the post-state from the pre-state and what a :class:`StepIO` hands
it. The same function serves both sides: the tracer's IO builds each item from the full data
(memory bytes, tries) and records it into the witness; the verifier's IO (``verify.py``) hands
out the witness's items in order. Every item is checked here against the pre-state's roots, so
the tracer checks its own witnesses as it makes them, and the decisions (which item is read when,
what a halting step reads) are made in one place only: they are the witness layout.

The order of checks is 3.1's: code, stack, static mode, SSTORE's stipend, the reads the gas
depends on and the gas, the instruction's own checks, the rest.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

import rlp
from eth_hash.auto import keccak

from ordo.faultproof import gas, mpt_proof
from ordo.faultproof.cells import CELL_BYTES, cell_root, root_from_proof
from ordo.faultproof.machine_state import (
    PHASE_EVM,
    PHASE_TX_END,
    Context,
    Frame,
    MachineState,
    Outcome,
)
from ordo.faultproof.opcodes import OPS, STATIC_FORBIDDEN, Op, push_size
from ordo.faultproof.witness import CellProof, Snapshot, StackProof, TrieProof

WORD = 1 << 256
MASK = WORD - 1
SIGN = 1 << 255
MAX_STACK = 1024
MAX_STEP_CELLS = 32
"""3.3: at most this many cells in ``memory`` and in ``source`` per step."""
ACCESSED_VALUE = b"\x01"
EMPTY_CODE_HASH = keccak(b"")
BLOB_BASE_FEE = 1
"""Ordo has no blobs: ``excess_blob_gas`` is always 0, so BLOBBASEFEE is 1 (state_transition.md
2.8)."""
MAX_CELL_INDEX = 1 << 32


class UnsupportedStep(Exception):
    """A step version 1 does not prove (3.4): the tracer stops and the verifier reverts."""


class InvalidWitness(ValueError):
    """A witness item that does not match the pre-state: the verifier reverts."""


class Tree(enum.Enum):
    """The trees a ``source`` cell is read from (3.1, field 4)."""

    CALLDATA = "calldata"
    CODE = "code"
    RETURNDATA = "returndata"
    MEMORY = "memory before the step"
    BLOCK_HASHES = "block hashes"
    BLOB_HASHES = "blob hashes"


class TrieField(enum.Enum):
    """The Merkle-Patricia fields of a witness (3.1, fields 6-11)."""

    ACCOUNT = "account"
    ACCESSED = "accessed"
    STORAGE = "storage"
    ORIGINAL_ACCOUNT = "original_account"
    ORIGINAL_STORAGE = "original_storage"
    TRANSIENT = "transient"
    LISTED = "tries"
    """The list of 3.8: the further trie proofs a frame step reads, in order (`tries`)."""


class StepIO(Protocol):
    """What a step reads besides the pre-state, and the effects the tracer's world follows."""

    def code(self, index: int) -> CellProof: ...
    def code_next(self, index: int) -> CellProof: ...
    def stack(self, count: int) -> StackProof: ...
    def memory(self, index: int) -> CellProof: ...
    def source(self, tree: Tree, index: int) -> CellProof: ...
    def jumpdest(self, index: int) -> CellProof: ...
    def trie(self, field: TrieField, root: bytes, key: bytes, deleting: bool) -> TrieProof: ...
    def ext_code(self, code_hash: bytes, follow: bytes | None = None) -> bytes: ...
    def snapshot(self) -> Snapshot: ...
    def parent(self) -> Frame: ...
    def caller_memory(self, index: int) -> CellProof: ...

    def wrote_memory(self, index: int, cell: bytes) -> None: ...
    def wrote_trie(self, field: TrieField, root: bytes, key: bytes, value: bytes | None,
                   new_root: bytes) -> None: ...
    def stack_changed(self, removed: int, pushed: Sequence[int]) -> None: ...
    def memory_grew(self, size: int) -> None: ...
    def logged(self, address: bytes, topics: Sequence[bytes], data: bytes) -> None: ...
    def ended(self, output: bytes) -> None: ...
    def entered(self, caller: Frame, code: bytes, calldata: bytes,
                snapshot: Snapshot) -> None: ...
    def returned(self, returndata: bytes, logs_count: int) -> None: ...
    def set_returndata(self, returndata: bytes) -> None: ...
    def code_stored(self, code: bytes) -> None: ...


Handler = Callable[["_Run", int], MachineState]
"""The semantics of one instruction: the run so far and the PUSH immediate (0 otherwise)."""


class _Halt(Exception):
    """An exceptional halt (3): all gas consumed, context rolled back to the entry snapshot."""


@lru_cache(maxsize=8192)
def proves(index: int, cell: bytes, siblings: tuple[bytes, ...], root: bytes) -> bool:
    """Whether the cell proof leads to ``root``. Pure, so memoized: a trace proves the same
    code cell at step after step."""
    return root_from_proof(index, cell, siblings) == root


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise InvalidWitness(reason)


def stack_fold(below: bytes, pushed_bottom_first: Sequence[int]) -> bytes:
    """The stack hash after pushing the items on a stack whose hash is ``below`` (1.2)."""
    node = below
    for item in pushed_bottom_first:
        node = keccak(node + item.to_bytes(32, "big"))
    return node


def _signed(x: int) -> int:
    return x - WORD if x & SIGN else x


def _cells_of(offset: int, size: int) -> range:
    """The cell indices covering ``[offset, offset + size)`` (empty for size 0)."""
    if size == 0:
        return range(0)
    return range(offset // CELL_BYTES, (offset + size - 1) // CELL_BYTES + 1)


def _bounded(cells: range, what: str) -> range:
    if len(cells) > MAX_STEP_CELLS:
        raise UnsupportedStep(
            f"{what} touches {len(cells)} cells; version 1 proves at most {MAX_STEP_CELLS} "
            "per step (3.3)"
        )
    return cells


@dataclass(frozen=True)
class Account:
    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes

    def encoded(self) -> bytes:
        return rlp.encode([self.nonce, self.balance, self.storage_root, self.code_hash])

    @property
    def is_empty(self) -> bool:
        return self.nonce == 0 and self.balance == 0 and self.code_hash == EMPTY_CODE_HASH


def decode_account(value: bytes | None) -> Account | None:
    if value is None:
        return None
    try:
        items = rlp.decode(value)
    except Exception as error:  # rlp raises several types for malformed input
        raise InvalidWitness(f"an account that is not RLP: {error}") from error
    _require(isinstance(items, list) and len(items) == 4
             and all(isinstance(item, bytes) for item in items)
             and len(items[2]) == 32 and len(items[3]) == 32,
             "an account that is not [nonce, balance, storage_root, code_hash]")
    nonce, balance, storage_root, code_hash = items
    return Account(int.from_bytes(nonce, "big"), int.from_bytes(balance, "big"),
                   bytes(storage_root), bytes(code_hash))


def encode_word(value: int) -> bytes | None:
    """A storage / transient value as its trie string: RLP of the minimal big-endian value, None
    for zero (absent)."""
    if value == 0:
        return None
    return rlp.encode(value)


def decode_word(value: bytes | None) -> int:
    if value is None:
        return 0
    try:
        item = rlp.decode(value)
    except Exception as error:  # rlp raises several types for malformed input
        raise InvalidWitness(f"a stored value that is not RLP: {error}") from error
    _require(isinstance(item, bytes) and len(item) <= 32, "a stored value that is not a word")
    return int.from_bytes(item, "big")


class _Run:
    """The working state of one step: the pre-state, what was read so far, the gas left and the
    memory root as writes change it."""

    def __init__(self, state: MachineState, frame: Frame, io: StepIO, opcode: int, op: Op,
                 items: tuple[int, ...], below: bytes) -> None:
        self.state = state
        self.frame = frame
        self.io = io
        self.opcode = opcode
        self.op = op
        self.items = items
        self.below = below
        self.gas = frame.gas
        self.memory_root = frame.memory_root
        self.memory_size = frame.memory_size
        self._new_memory_size = frame.memory_size
        self.context = state.context

    # -- gas and memory --------------------------------------------------------------------

    def charge(self, amount: int) -> None:
        if amount > self.gas:
            raise _Halt("out of gas")
        self.gas -= amount

    def grow(self, *ranges: tuple[int, int]) -> int:
        """The expansion gas of touching every ``(offset, size)`` range (not yet charged)."""
        size = self.memory_size
        for offset, length in ranges:
            size, _ = gas.expansion(size, offset, length)
        cost = gas.memory_cost(size) - gas.memory_cost(self.memory_size)
        self._new_memory_size = size
        return cost

    def commit_growth(self) -> None:
        size = self._new_memory_size
        if size != self.memory_size:
            self.memory_size = size
            self.io.memory_grew(size)

    def _memory_cell(self, index: int) -> CellProof:
        proof = self.io.memory(index)
        _require(proof.index == index, f"memory cell {proof.index} given, {index} expected")
        _require(proves(index, proof.cell, proof.siblings, self.memory_root),
                 f"memory cell {index} does not prove against the memory root")
        return proof

    def read_memory(self, offset: int, size: int) -> bytes:
        cells = _bounded(_cells_of(offset, size), "the memory range")
        data = b"".join(self._memory_cell(i).cell for i in cells)
        start = offset - cells.start * CELL_BYTES if size else 0
        return data[start:start + size]

    def write_memory(self, offset: int, data: bytes) -> None:
        cells = _bounded(_cells_of(offset, len(data)), "the memory range")
        for index in cells:
            proof = self._memory_cell(index)
            base = index * CELL_BYTES
            cell = bytearray(proof.cell)
            for position in range(CELL_BYTES):
                source = base + position - offset
                if 0 <= source < len(data):
                    cell[position] = data[source]
            new_cell = bytes(cell)
            self.memory_root = root_from_proof(index, new_cell, proof.siblings)
            self.io.wrote_memory(index, new_cell)

    def read_source(self, tree: Tree, root: bytes, limit: int, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` of a tree of ``limit`` bytes, zero past ``limit``: only
        the cells below ``limit`` are read (3.1, field 4)."""
        end = min(offset + size, limit)
        if end <= offset:
            return bytes(size)
        cells = _bounded(_cells_of(offset, end - offset), f"the {tree.value} range")
        parts = []
        for index in cells:
            proof = self.io.source(tree, index)
            _require(proof.index == index, f"{tree.value} cell {proof.index} given, {index} "
                     "expected")
            _require(proves(index, proof.cell, proof.siblings, root),
                     f"{tree.value} cell {index} does not prove against its root")
            parts.append(proof.cell)
        data = b"".join(parts)
        start = offset - cells.start * CELL_BYTES
        return data[start:start + (end - offset)] + bytes(size - (end - offset))

    # -- tries -----------------------------------------------------------------------------

    def trie_read(self, field: TrieField, root: bytes, key: bytes,
                  deleting: bool = False) -> tuple[bytes | None, TrieProof]:
        proof = self.io.trie(field, root, key, deleting)
        _require(deleting or not proof.extra,
                 f"{field.value}: an extra node for a proof that deletes nothing")
        try:
            return mpt_proof.read(root, key, proof.proof), proof
        except mpt_proof.MptProofError as error:
            raise InvalidWitness(f"{field.value}: {error}") from error

    def trie_write(self, field: TrieField, root: bytes, key: bytes, value: bytes | None,
                   proof: TrieProof) -> bytes:
        try:
            new_root = mpt_proof.write(root, key, value, proof.proof, proof.extra)
        except mpt_proof.MptProofError as error:
            raise InvalidWitness(f"{field.value} write: {error}") from error
        self.io.wrote_trie(field, root, key, value, new_root)
        return new_root

    def access(self, key: bytes) -> tuple[bool, TrieProof]:
        """Whether ``key`` is warm (EIP-2929), with the proof that inserts it when cold."""
        value, proof = self.trie_read(TrieField.ACCESSED, self.context.accessed_root, key)
        return value is not None, proof

    def mark_warm(self, key: bytes, proof: TrieProof) -> None:
        root = self.trie_write(TrieField.ACCESSED, self.context.accessed_root, key,
                               ACCESSED_VALUE, proof)
        self.context = replace(self.context, accessed_root=root)

    def account(self, address: bytes) -> tuple[Account | None, TrieProof]:
        return self.account_of(TrieField.ACCOUNT, address)

    def account_of(self, field: TrieField, address: bytes) -> tuple[Account | None, TrieProof]:
        value, proof = self.trie_read(field, self.context.state_root, keccak(address))
        return decode_account(value), proof

    # -- ends ------------------------------------------------------------------------------

    def done(self, pushed: Sequence[int] = (), pc: int | None = None,
             **frame_changes: object) -> MachineState:
        """The post-state of a step that continues the frame: ``pushed`` bottom first."""
        frame = self.frame
        self.io.stack_changed(self.op.reads, pushed)
        new_frame = replace(
            frame,
            pc=frame.pc + 1 if pc is None else pc,
            gas=self.gas,
            stack_hash=stack_fold(self.below, pushed),
            stack_size=frame.stack_size - self.op.reads + len(pushed),
            memory_root=self.memory_root,
            memory_size=self.memory_size,
            **frame_changes,  # type: ignore[arg-type]
        )
        return replace(self.state, context=self.context, frame=new_frame)

    def end(self, success: bool, output: bytes, rollback: bool) -> MachineState:
        """The post-state of a halt that is not exceptional (STOP, RETURN, REVERT)."""
        frame = self.frame
        if frame.depth != 0:
            state = replace(self.state, context=self.context)
            return frames.return_to_caller(state, frame, self.io, success=success,
                                           output=output, gas_left=self.gas,
                                           rollback=rollback, burn=False)
        self.io.ended(output)
        context = rolled_back(self.context, self.io, frame) if rollback else self.context
        outcome = Outcome(success, self.gas, cell_root(output), len(output),
                          frame.entry_snapshot)
        return replace(self.state, phase=PHASE_TX_END, context=context, frame=outcome)


def rolled_back(context: Context, io: StepIO, frame: Frame) -> Context:
    """``context`` with its first seven words restored from the witness's snapshot, which must
    be the preimage of the frame's ``entry_snapshot``."""
    snap = io.snapshot()
    restored = replace(
        context, state_root=snap.state_root, accessed_root=snap.accessed_root,
        created_root=snap.created_root, transient_root=snap.transient_root,
        refund=snap.refund, logs_hash=snap.logs_hash, logs_count=snap.logs_count,
    )
    _require(restored.snapshot() == frame.entry_snapshot,
             "the snapshot is not the preimage of the frame's entry_snapshot")
    return restored


def exceptional_halt(state: MachineState, frame: Frame, io: StepIO) -> MachineState:
    if frame.depth != 0:
        return frames.return_to_caller(state, frame, io, success=False, output=b"", gas_left=0,
                                       rollback=True, burn=True)
    io.ended(b"")
    context = rolled_back(state.context, io, frame)
    outcome = Outcome(False, 0, cell_root(b""), 0, frame.entry_snapshot)
    return replace(state, phase=PHASE_TX_END, context=context, frame=outcome)


def _checked_code(io_cell: CellProof, index: int, root: bytes) -> bytes:
    _require(io_cell.index == index, f"code cell {io_cell.index} given, {index} expected")
    _require(proves(index, io_cell.cell, io_cell.siblings, root),
             f"code cell {index} does not prove against the code root")
    return io_cell.cell


def execute(state: MachineState, io: StepIO) -> MachineState:
    """The state after the instruction at ``pc`` of a phase-3 state."""
    frame = state.frame
    if state.phase != PHASE_EVM or not isinstance(frame, Frame):
        raise UnsupportedStep(f"phase {state.phase} is not an EVM step (only phase 3 is built)")
    pc = frame.pc
    index = pc // CELL_BYTES
    window = _checked_code(io.code(index), index, frame.code_root)
    opcode = window[pc % CELL_BYTES]
    size = push_size(opcode)
    if size and pc % CELL_BYTES + size >= CELL_BYTES:
        window += _checked_code(io.code_next(index + 1), index + 1, frame.code_root)
    op = OPS.get(opcode) or frames.CALL_OPS.get(opcode) or creations.CREATE_OPS.get(opcode)
    try:
        if op is None:
            raise _Halt(f"undefined opcode 0x{opcode:02x}")
        if frame.stack_size < op.reads:
            raise _Halt("stack underflow")
        given = io.stack(op.reads)
        _require(len(given.items) == op.reads,
                 f"{len(given.items)} stack items given, {op.reads} expected")
        _require(stack_fold(given.below, given.items[::-1]) == frame.stack_hash,
                 "the stack items do not hash to the stack hash")
        if frame.stack_size - op.reads + op.pushes > MAX_STACK:
            raise _Halt("stack overflow")
        if frame.is_static and opcode in STATIC_FORBIDDEN:
            raise _Halt("write in a static frame")
        run = _Run(state, frame, io, opcode, op, given.items, given.below)
        run.charge(op.gas)
        start = pc % CELL_BYTES + 1
        immediate = int.from_bytes(window[start:start + size], "big") if size else 0
        handler = (_HANDLERS.get(op.name) or frames.HANDLERS.get(op.name)
                   or creations.HANDLERS.get(op.name, _by_family))
        return handler(run, immediate)
    except _Halt:
        return exceptional_halt(state, frame, io)


# ---------------------------------------------------------------------------------------------
# Instruction semantics
# ---------------------------------------------------------------------------------------------


def _arith(name: str, a: int, b: int, c: int) -> int:
    if name == "ADD":
        return (a + b) & MASK
    if name == "MUL":
        return (a * b) & MASK
    if name == "SUB":
        return (a - b) & MASK
    if name == "DIV":
        return a // b if b else 0
    if name == "SDIV":
        if b == 0:
            return 0
        sa, sb = _signed(a), _signed(b)
        quotient = abs(sa) // abs(sb)
        return (-quotient if (sa < 0) != (sb < 0) else quotient) & MASK
    if name == "MOD":
        return a % b if b else 0
    if name == "SMOD":
        if b == 0:
            return 0
        sa, sb = _signed(a), _signed(b)
        remainder = abs(sa) % abs(sb)
        return (-remainder if sa < 0 else remainder) & MASK
    if name == "ADDMOD":
        return (a + b) % c if c else 0
    if name == "MULMOD":
        return (a * b) % c if c else 0
    if name == "EXP":
        return pow(a, b, WORD)
    if name == "SIGNEXTEND":
        if a >= 31:
            return b
        bit = a * 8 + 7
        return b | (WORD - (1 << bit)) if b & (1 << bit) else b & ((1 << bit) - 1)
    if name == "LT":
        return int(a < b)
    if name == "GT":
        return int(a > b)
    if name == "SLT":
        return int(_signed(a) < _signed(b))
    if name == "SGT":
        return int(_signed(a) > _signed(b))
    if name == "EQ":
        return int(a == b)
    if name == "ISZERO":
        return int(a == 0)
    if name == "AND":
        return a & b
    if name == "OR":
        return a | b
    if name == "XOR":
        return a ^ b
    if name == "NOT":
        return MASK ^ a
    if name == "BYTE":
        return (b >> (248 - 8 * a)) & 0xFF if a < 32 else 0
    if name == "SHL":
        return (b << a) & MASK if a < 256 else 0
    if name == "SHR":
        return b >> a if a < 256 else 0
    if name == "SAR":
        return (_signed(b) >> min(a, 256)) & MASK
    raise AssertionError(name)


_PURE = frozenset({
    "ADD", "MUL", "SUB", "DIV", "SDIV", "MOD", "SMOD", "ADDMOD", "MULMOD", "EXP", "SIGNEXTEND",
    "LT", "GT", "SLT", "SGT", "EQ", "ISZERO", "AND", "OR", "XOR", "NOT", "BYTE", "SHL", "SHR",
    "SAR",
})


def _by_family(run: _Run, immediate: int) -> MachineState:
    name = run.op.name
    items = run.items
    if name in _PURE:
        if name == "EXP":
            run.charge(gas.exp_cost(items[1]))
        a, b, c = (*items, 0, 0)[:3]
        return run.done([_arith(name, a, b, c)])
    if name.startswith("PUSH"):
        return run.done([immediate], pc=run.frame.pc + 1 + push_size(run.opcode))
    if name.startswith("DUP"):
        return run.done([*items[::-1], items[-1]])
    if name.startswith("SWAP"):
        swapped = (items[-1], *items[1:-1], items[0])
        return run.done(swapped[::-1])
    if name.startswith("LOG"):
        return _log(run, run.opcode - 0xA0)
    raise AssertionError(name)


def _constant(value_of: str) -> Handler:
    def handler(run: _Run, immediate: int) -> MachineState:
        state, frame = run.state, run.frame
        values = {
            "ADDRESS": int.from_bytes(frame.address, "big"),
            "ORIGIN": int.from_bytes(state.tx.origin, "big"),
            "CALLER": int.from_bytes(frame.caller, "big"),
            "CALLVALUE": frame.value,
            "CALLDATASIZE": frame.calldata_size,
            "CODESIZE": frame.code_size,
            "GASPRICE": state.tx.gas_price,
            "RETURNDATASIZE": frame.returndata_size,
            "COINBASE": int.from_bytes(state.block.coinbase, "big"),
            "TIMESTAMP": state.block.timestamp,
            "NUMBER": state.block.number,
            "PREVRANDAO": int.from_bytes(state.block.prev_randao, "big"),
            "GASLIMIT": state.block.gas_limit,
            "CHAINID": state.block.chain_id,
            "BASEFEE": state.block.base_fee,
            "BLOBBASEFEE": BLOB_BASE_FEE,
            "PC": frame.pc,
            "MSIZE": frame.memory_size,
            "GAS": run.gas,
            "PUSH0": 0,
        }
        return run.done([values[value_of]])
    return handler


def _keccak(run: _Run, immediate: int) -> MachineState:
    offset, size = run.items
    run.charge(gas.KECCAK_PER_WORD * gas.words(size) + run.grow((offset, size)))
    run.commit_growth()
    return run.done([int.from_bytes(keccak(run.read_memory(offset, size)), "big")])


def _address_arg(run: _Run) -> bytes:
    return (run.items[0] & ((1 << 160) - 1)).to_bytes(20, "big")


def _warm_account(run: _Run, address: bytes, extra_gas: int = 0) -> None:
    warm, proof = run.access(keccak(address))
    run.charge((gas.WARM_ACCESS if warm else gas.COLD_ACCOUNT_ACCESS) + extra_gas)
    if not warm:
        run.mark_warm(keccak(address), proof)


def _balance(run: _Run, immediate: int) -> MachineState:
    address = _address_arg(run)
    _warm_account(run, address)
    account, _ = run.account(address)
    return run.done([account.balance if account else 0])


def _selfbalance(run: _Run, immediate: int) -> MachineState:
    account, _ = run.account(run.frame.address)
    return run.done([account.balance if account else 0])


def _code_of(run: _Run, account: Account | None) -> bytes:
    code_hash = account.code_hash if account else EMPTY_CODE_HASH
    code = run.io.ext_code(code_hash)
    _require(keccak(code) == code_hash, "ext_code does not hash to the account's code hash")
    return code


def _extcodesize(run: _Run, immediate: int) -> MachineState:
    address = _address_arg(run)
    _warm_account(run, address)
    account, _ = run.account(address)
    return run.done([len(_code_of(run, account))])


def _extcodehash(run: _Run, immediate: int) -> MachineState:
    address = _address_arg(run)
    _warm_account(run, address)
    account, _ = run.account(address)
    if account is None or account.is_empty:
        return run.done([0])
    return run.done([int.from_bytes(account.code_hash, "big")])


def _extcodecopy(run: _Run, immediate: int) -> MachineState:
    _, dest, offset, size = run.items
    address = _address_arg(run)
    _warm_account(run, address, gas.COPY_PER_WORD * gas.words(size) + run.grow((dest, size)))
    run.commit_growth()
    account, _ = run.account(address)
    code = _code_of(run, account)
    data = code[offset:offset + size] if offset < len(code) else b""
    run.write_memory(dest, data + bytes(size - len(data)))
    return run.done()


def _calldataload(run: _Run, immediate: int) -> MachineState:
    frame = run.frame
    data = run.read_source(Tree.CALLDATA, frame.calldata_root, frame.calldata_size,
                           run.items[0], 32)
    return run.done([int.from_bytes(data, "big")])


def _copy(tree: Tree) -> Handler:
    def handler(run: _Run, immediate: int) -> MachineState:
        dest, offset, size = run.items
        frame = run.frame
        run.charge(gas.COPY_PER_WORD * gas.words(size) + run.grow((dest, size)))
        if tree is Tree.RETURNDATA and offset + size > frame.returndata_size:
            raise _Halt("return data out of bounds")
        run.commit_growth()
        if size == 0:
            return run.done()
        _bounded(_cells_of(dest, size), "the memory range")
        if tree is Tree.CALLDATA:
            data = run.read_source(tree, frame.calldata_root, frame.calldata_size, offset, size)
        elif tree is Tree.CODE:
            data = run.read_source(tree, frame.code_root, frame.code_size, offset, size)
        else:
            data = run.read_source(tree, frame.returndata_root, frame.returndata_size, offset,
                                   size)
        run.write_memory(dest, data)
        return run.done()
    return handler


def _mcopy(run: _Run, immediate: int) -> MachineState:
    dest, source, size = run.items
    run.charge(gas.COPY_PER_WORD * gas.words(size) + run.grow((source, size), (dest, size)))
    run.commit_growth()
    if size == 0:
        return run.done()
    _bounded(_cells_of(dest, size), "the memory range")
    data = run.read_source(Tree.MEMORY, run.frame.memory_root, run.memory_size, source, size)
    run.write_memory(dest, data)
    return run.done()


def _blockhash(run: _Run, immediate: int) -> MachineState:
    number = run.items[0]
    current = run.state.block.number
    if not max(0, current - 256) <= number < current:
        return run.done([0])
    index = current - 1 - number
    data = run.read_source(Tree.BLOCK_HASHES, run.state.block.block_hashes_root,
                           MAX_CELL_INDEX * CELL_BYTES, index * CELL_BYTES, CELL_BYTES)
    return run.done([int.from_bytes(data, "big")])


def _blobhash(run: _Run, immediate: int) -> MachineState:
    index = run.items[0]
    if index >= MAX_CELL_INDEX:
        return run.done([0])
    data = run.read_source(Tree.BLOB_HASHES, run.state.tx.blob_hashes_root,
                           MAX_CELL_INDEX * CELL_BYTES, index * CELL_BYTES, CELL_BYTES)
    return run.done([int.from_bytes(data, "big")])


def _pop(run: _Run, immediate: int) -> MachineState:
    return run.done()


def _mload(run: _Run, immediate: int) -> MachineState:
    offset = run.items[0]
    run.charge(run.grow((offset, 32)))
    run.commit_growth()
    return run.done([int.from_bytes(run.read_memory(offset, 32), "big")])


def _mstore(run: _Run, immediate: int) -> MachineState:
    offset, value = run.items
    width = 1 if run.op.name == "MSTORE8" else 32
    run.charge(run.grow((offset, width)))
    run.commit_growth()
    data = bytes([value & 0xFF]) if width == 1 else value.to_bytes(32, "big")
    run.write_memory(offset, data)
    return run.done()


def _slot_key(address: bytes, slot: int) -> bytes:
    return keccak(address + slot.to_bytes(32, "big"))


def _storage_of(run: _Run, account: Account | None, slot: int,
                deleting: bool = False) -> tuple[int, TrieProof]:
    root = account.storage_root if account else mpt_proof.BLANK_ROOT
    value, proof = run.trie_read(TrieField.STORAGE, root, keccak(slot.to_bytes(32, "big")),
                                 deleting)
    return decode_word(value), proof


def _sload(run: _Run, immediate: int) -> MachineState:
    slot = run.items[0]
    key = _slot_key(run.frame.address, slot)
    warm, proof = run.access(key)
    run.charge(gas.WARM_ACCESS if warm else gas.COLD_SLOAD)
    if not warm:
        run.mark_warm(key, proof)
    account, _ = run.account(run.frame.address)
    value, _ = _storage_of(run, account, slot)
    return run.done([value])


def _sstore(run: _Run, immediate: int) -> MachineState:
    slot, new = run.items
    address = run.frame.address
    if run.gas <= gas.SSTORE_STIPEND:
        raise _Halt("SSTORE with at most the 2300 stipend left (EIP-2200)")
    key = _slot_key(address, slot)
    warm, access_proof = run.access(key)
    account, account_proof = run.account(address)
    if account is None:
        raise UnsupportedStep("SSTORE to an account absent from the state")
    current, storage_proof = _storage_of(run, account, slot, deleting=new == 0)
    original_value, _ = run.trie_read(TrieField.ORIGINAL_ACCOUNT,
                                      run.state.tx.tx_start_state_root, keccak(address))
    original_account = decode_account(original_value)
    original_root = original_account.storage_root if original_account else mpt_proof.BLANK_ROOT
    original_word, _ = run.trie_read(TrieField.ORIGINAL_STORAGE, original_root,
                                     keccak(slot.to_bytes(32, "big")))
    original = decode_word(original_word)
    charge = gas.sstore_charge(original, current, new, cold=not warm)
    run.charge(charge.gas)
    refund = run.context.refund + charge.refund_delta
    _require(refund >= 0, "the refund counter would go below zero")
    run.context = replace(run.context, refund=refund)
    if not warm:
        run.mark_warm(key, access_proof)
    if new != current:
        storage_root = run.trie_write(TrieField.STORAGE, account.storage_root,
                                      keccak(slot.to_bytes(32, "big")), encode_word(new),
                                      storage_proof)
        updated = replace(account, storage_root=storage_root)
        state_root = run.trie_write(TrieField.ACCOUNT, run.context.state_root, keccak(address),
                                    updated.encoded(), account_proof)
        run.context = replace(run.context, state_root=state_root)
    return run.done()


def _jump(run: _Run, immediate: int) -> MachineState:
    destination = run.items[0]
    if run.op.name == "JUMPI" and run.items[1] == 0:
        return run.done()
    frame = run.frame
    if destination >= frame.code_size:
        raise _Halt("jump past the code")
    index = destination // 256
    cell = run.io.jumpdest(index)
    _require(cell.index == index, f"jumpdest cell {cell.index} given, {index} expected")
    _require(proves(index, cell.cell, cell.siblings, frame.jumpdests_root),
             "the jumpdest cell does not prove against the bitmap root")
    byte = cell.cell[(destination % 256) // 8]
    if not (byte >> (7 - destination % 8)) & 1:
        raise _Halt("invalid jump destination")
    return run.done(pc=destination)


def _jumpdest(run: _Run, immediate: int) -> MachineState:
    return run.done()


def _tload(run: _Run, immediate: int) -> MachineState:
    key = _slot_key(run.frame.address, run.items[0])
    value, _ = run.trie_read(TrieField.TRANSIENT, run.context.transient_root, key)
    return run.done([decode_word(value)])


def _tstore(run: _Run, immediate: int) -> MachineState:
    slot, new = run.items
    key = _slot_key(run.frame.address, slot)
    value, proof = run.trie_read(TrieField.TRANSIENT, run.context.transient_root, key,
                                 deleting=new == 0)
    if decode_word(value) != new:
        root = run.trie_write(TrieField.TRANSIENT, run.context.transient_root, key,
                              encode_word(new), proof)
        run.context = replace(run.context, transient_root=root)
    return run.done()


def _log(run: _Run, count: int) -> MachineState:
    offset, size = run.items[:2]
    topics = [t.to_bytes(32, "big") for t in run.items[2:2 + count]]
    run.charge(gas.LOG_PER_BYTE * size + run.grow((offset, size)))
    run.commit_growth()
    data = run.read_memory(offset, size)
    address = run.frame.address
    entry = keccak(rlp.encode([address, topics, data]))
    context = run.context
    run.context = replace(context, logs_hash=keccak(context.logs_hash + entry),
                          logs_count=context.logs_count + 1)
    run.io.logged(address, topics, data)
    return run.done()


def _stop(run: _Run, immediate: int) -> MachineState:
    return run.end(True, b"", rollback=False)


def _return(run: _Run, immediate: int) -> MachineState:
    offset, size = run.items
    run.charge(run.grow((offset, size)))
    run.commit_growth()
    output = run.read_memory(offset, size)
    if run.op.name == "REVERT":
        return run.end(False, output, rollback=True)
    return run.end(True, output, rollback=False)


_HANDLERS: dict[str, Handler] = {
    **{name: _constant(name) for name in (
        "ADDRESS", "ORIGIN", "CALLER", "CALLVALUE", "CALLDATASIZE", "CODESIZE", "GASPRICE",
        "RETURNDATASIZE", "COINBASE", "TIMESTAMP", "NUMBER", "PREVRANDAO", "GASLIMIT",
        "CHAINID", "BASEFEE", "BLOBBASEFEE", "PC", "MSIZE", "GAS", "PUSH0",
    )},
    "KECCAK256": _keccak,
    "BALANCE": _balance,
    "SELFBALANCE": _selfbalance,
    "EXTCODESIZE": _extcodesize,
    "EXTCODEHASH": _extcodehash,
    "EXTCODECOPY": _extcodecopy,
    "CALLDATALOAD": _calldataload,
    "CALLDATACOPY": _copy(Tree.CALLDATA),
    "CODECOPY": _copy(Tree.CODE),
    "RETURNDATACOPY": _copy(Tree.RETURNDATA),
    "MCOPY": _mcopy,
    "BLOCKHASH": _blockhash,
    "BLOBHASH": _blobhash,
    "POP": _pop,
    "MLOAD": _mload,
    "MSTORE": _mstore,
    "MSTORE8": _mstore,
    "SLOAD": _sload,
    "SSTORE": _sstore,
    "JUMP": _jump,
    "JUMPI": _jump,
    "JUMPDEST": _jumpdest,
    "TLOAD": _tload,
    "TSTORE": _tstore,
    "STOP": _stop,
    "RETURN": _return,
    "REVERT": _return,
}


# the frame steps build on the run and the halts above (3.8, 3.9)
from ordo.faultproof import creations, frames  # noqa: E402
