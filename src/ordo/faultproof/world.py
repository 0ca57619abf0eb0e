"""The tracer's world: the full data behind a machine state's roots, and the step IO that turns
it into witnesses.

A machine state commits to memory, stack, code and tries by their roots only; to prove a step
the tracer needs what is under them. :class:`World` holds it (memory and code cell trees, the
stack with the hash of every prefix, the trie nodes) and :class:`Recorder` hands the step
function each item it asks for, with its proof, recording it into the witness, then follows the
step's effects. The world is mutable: one world follows one trace, step by step.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak
from trie import HexaryTrie

from ordo.execution.transaction_rules import is_delegation
from ordo.faultproof import mpt_proof
from ordo.faultproof.cell_store import CellStore
from ordo.faultproof.code_bits import jumpdest_bitmap
from ordo.faultproof.machine_state import Frame
from ordo.faultproof.step import (
    EMPTY_CODE_HASH,
    StepIO,
    Tree,
    TrieField,
    decode_account,
    stack_fold,
)
from ordo.faultproof.witness import (
    CellProof,
    Proofs,
    Snapshot,
    StackProof,
    TrieProof,
)


class NodeStore(MutableMapping[bytes, bytes]):
    """Trie nodes and code by hash: the py-evm database below, the tracer's new nodes above (the
    database is never written)."""

    def __init__(self, base: Any) -> None:
        self._base = base
        self._new: dict[bytes, bytes] = {}

    def __getitem__(self, key: bytes) -> bytes:
        if key in self._new:
            return self._new[key]
        return bytes(self._base[key])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._new[key] = value

    def __delitem__(self, key: bytes) -> None:
        raise TypeError("trie nodes are never deleted from a trace's store")

    def __contains__(self, key: object) -> bool:
        return key in self._new or key in self._base

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._new)

    def __len__(self) -> int:
        return len(self._new)


@dataclass
class Log:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass
class World:
    """What lies under the roots of the current frame and context."""

    nodes: NodeStore
    code: CellStore
    jumpdests: CellStore
    calldata: CellStore
    returndata: CellStore
    block_hashes: CellStore
    blob_hashes: CellStore
    entry_snapshot: Snapshot
    memory: CellStore = field(default_factory=lambda: CellStore([]))
    stack: list[int] = field(default_factory=list)
    stack_hashes: list[bytes] = field(default_factory=lambda: [bytes(32)])
    logs: list[Log] = field(default_factory=list)
    output: bytes | None = None
    callers: list[Suspended] = field(default_factory=list)

    def enter(self, caller: Frame, code: bytes, calldata: bytes, snapshot: Snapshot) -> None:
        """A call step opened a frame: keep the caller's data, start the callee's."""
        self.callers.append(Suspended(caller, self.code, self.jumpdests, self.calldata,
                                      self.returndata, self.memory, self.stack,
                                      self.stack_hashes, self.entry_snapshot))
        self.code = CellStore.of_bytes(code)
        self.jumpdests = CellStore.of_bytes(jumpdest_bitmap(code))
        self.calldata = CellStore.of_bytes(calldata)
        self.returndata = CellStore([])
        self.memory = CellStore([])
        self.stack = []
        self.stack_hashes = [bytes(32)]
        self.entry_snapshot = snapshot

    def leave(self, returndata: bytes, logs_count: int) -> None:
        """A frame at depth > 0 halted: back to its caller's data, with the return data
        replaced and the logs a rollback dropped forgotten."""
        caller = self.callers.pop()
        self.code, self.jumpdests, self.calldata = caller.code, caller.jumpdests, caller.calldata
        self.memory, self.stack, self.stack_hashes = (caller.memory, caller.stack,
                                                      caller.stack_hashes)
        self.entry_snapshot = caller.entry_snapshot
        self.returndata = CellStore.of_bytes(returndata)
        del self.logs[logs_count:]


@dataclass
class Suspended:
    """A caller's data while its callee runs (its frame as the callee's ``parent_frame``
    commits to it)."""

    frame: Frame
    code: CellStore
    jumpdests: CellStore
    calldata: CellStore
    returndata: CellStore
    memory: CellStore
    stack: list[int]
    stack_hashes: list[bytes]
    entry_snapshot: Snapshot


class Recorder(StepIO):
    """Hands a step the items it reads from :class:`World`, records them as the witness and
    applies the step's effects to the world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._fields: dict[str, Any] = {}
        self._memory: list[CellProof] = []
        self._source: list[CellProof] = []
        self._caller_memory: list[CellProof] = []
        self._tries: list[TrieProof] = []

    def proofs(self) -> Proofs:
        return Proofs(memory=tuple(self._memory), source=tuple(self._source),
                      caller_memory=tuple(self._caller_memory), tries=tuple(self._tries),
                      **self._fields)

    def code(self, index: int) -> CellProof:
        proof = _cell(self.world.code, index)
        self._fields["code"] = proof
        return proof

    def code_next(self, index: int) -> CellProof:
        proof = _cell(self.world.code, index)
        self._fields["code_next"] = proof
        return proof

    def stack(self, count: int) -> StackProof:
        stack = self.world.stack
        items = tuple(stack[len(stack) - count:][::-1])
        proof = StackProof(items, self.world.stack_hashes[len(stack) - count])
        self._fields["stack"] = proof
        return proof

    def memory(self, index: int) -> CellProof:
        proof = _cell(self.world.memory, index)
        self._memory.append(proof)
        return proof

    def source(self, tree: Tree, index: int) -> CellProof:
        store = {
            Tree.CALLDATA: self.world.calldata, Tree.CODE: self.world.code,
            Tree.RETURNDATA: self.world.returndata, Tree.MEMORY: self.world.memory,
            Tree.BLOCK_HASHES: self.world.block_hashes, Tree.BLOB_HASHES: self.world.blob_hashes,
        }[tree]
        proof = _cell(store, index)
        self._source.append(proof)
        return proof

    def jumpdest(self, index: int) -> CellProof:
        proof = _cell(self.world.jumpdests, index)
        self._fields["jumpdest"] = proof
        return proof

    def trie(self, field: TrieField, root: bytes, key: bytes, deleting: bool) -> TrieProof:
        nodes = mpt_proof.build_proof(self.world.nodes, root, key)
        extra = b""
        if deleting and mpt_proof.read(root, key, nodes) is not None:
            extra = mpt_proof.needed_extra(self.world.nodes, root, key, nodes)
        proof = TrieProof(mpt_proof.pack_proof(nodes), extra)
        if field is TrieField.LISTED:
            self._tries.append(proof)
        else:
            self._fields[field.value] = proof
        return proof

    def ext_code(self, code_hash: bytes, follow: bytes | None = None) -> bytes:
        """The code under ``code_hash``; with ``follow`` (a call step's state root) an EIP-7702
        delegation designator is followed: the designator, then the delegate's code (3.8)."""
        code = b"" if code_hash == EMPTY_CODE_HASH else self.world.nodes[code_hash]
        if follow is not None and is_delegation(code):
            value = HexaryTrie(self.world.nodes, follow).get(keccak(code[3:]))
            delegate = decode_account(value or None)
            delegate_hash = delegate.code_hash if delegate else EMPTY_CODE_HASH
            code += b"" if delegate_hash == EMPTY_CODE_HASH else self.world.nodes[delegate_hash]
        self._fields["ext_code"] = code
        return code

    def snapshot(self) -> Snapshot:
        self._fields["snapshot"] = self.world.entry_snapshot
        return self.world.entry_snapshot

    def parent(self) -> Frame:
        frame = self.world.callers[-1].frame
        self._fields["parent"] = frame
        return frame

    def caller_memory(self, index: int) -> CellProof:
        """A cell of the caller's memory: asked after :meth:`returned` (the world is back in
        the caller) or during a precompile call (the world never left it)."""
        proof = _cell(self.world.memory, index)
        self._caller_memory.append(proof)
        return proof

    def entered(self, caller: Frame, code: bytes, calldata: bytes,
                snapshot: Snapshot) -> None:
        self.world.enter(caller, code, calldata, snapshot)

    def returned(self, returndata: bytes, logs_count: int) -> None:
        self.world.leave(returndata, logs_count)

    def set_returndata(self, returndata: bytes) -> None:
        self.world.returndata = CellStore.of_bytes(returndata)

    def code_stored(self, code: bytes) -> None:
        """A creation deposited ``code``: later steps read it by its hash."""
        self.world.nodes[keccak(code)] = code

    def wrote_memory(self, index: int, cell: bytes) -> None:
        self.world.memory.write(index, cell)

    def wrote_trie(self, field: TrieField, root: bytes, key: bytes, value: bytes | None,
                   new_root: bytes) -> None:
        """Apply the same write with py-trie, so later proofs find the new nodes; its root must
        be the one the step computed from the proof."""
        trie = HexaryTrie(self.world.nodes, root)
        if value is None:
            trie.delete(key)
        else:
            trie.set(key, value)
        if trie.root_hash != new_root:
            raise AssertionError(f"{field.value}: py-trie's root after the write differs from "
                                 "the proof's")

    def stack_changed(self, removed: int, pushed: Sequence[int]) -> None:
        stack, hashes = self.world.stack, self.world.stack_hashes
        del stack[len(stack) - removed:]
        del hashes[len(hashes) - removed:]
        for item in pushed:
            stack.append(item)
            hashes.append(stack_fold(hashes[-1], [item]))

    def memory_grew(self, size: int) -> None:
        return None

    def logged(self, address: bytes, topics: Sequence[bytes], data: bytes) -> None:
        self.world.logs.append(Log(address, tuple(topics), data))

    def ended(self, output: bytes) -> None:
        self.world.output = output


def _cell(store: CellStore, index: int) -> CellProof:
    return CellProof(index, store.cell(index), store.proof(index))


def trie_with(nodes: NodeStore, entries: Sequence[tuple[bytes, bytes]]) -> bytes:
    """The root of a trie of ``(path, value)`` entries, its nodes stored in ``nodes``."""
    trie = HexaryTrie(nodes)
    for key, value in entries:
        trie.set(key, value)
    return bytes(trie.root_hash)

