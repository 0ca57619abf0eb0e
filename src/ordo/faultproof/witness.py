"""The witness of one phase-3 step as one ABI value (docs/fault_proofs.md, section 3.1).

The on-chain verifier receives ``step(pre_state, witness)`` with ``witness = abi.encode(
pre_state_preimage, proofs)`` and decodes it with one fixed type, so every step carries every
field of :class:`Proofs`: the fields a step does not use are zero / empty, and a witness with a
non-zero unused field is refused (a witness is a function of the pre-state, never a choice).
Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode, encode

from ordo.faultproof.cells import CELL_DEPTH
from ordo.faultproof.machine_state import (
    EVM_STATE_TYPE,
    FRAME_TYPE,
    ZERO32,
    ZERO_FRAME,
    Frame,
    MachineState,
    evm_state_from_tuple,
    part_from_tuple,
)

MAX_WITNESS_BYTES = 262_144
"""The verifier's ``Bytes[262144]`` bound."""

CELL_TYPE = f"(uint256,bytes32,bytes32[{CELL_DEPTH}])"
STACK_TYPE = "(uint256[],bytes32)"
TRIE_TYPE = "(bytes,bytes)"
SNAPSHOT_TYPE = "(bytes32,bytes32,bytes32,bytes32,uint256,bytes32,uint256)"
PROOFS_TYPE = (
    f"({CELL_TYPE},{CELL_TYPE},{STACK_TYPE},{CELL_TYPE}[],{CELL_TYPE}[],{CELL_TYPE},"
    f"{TRIE_TYPE},{TRIE_TYPE},{TRIE_TYPE},{TRIE_TYPE},{TRIE_TYPE},{TRIE_TYPE},bytes,"
    f"{SNAPSHOT_TYPE},{FRAME_TYPE},{CELL_TYPE}[],{TRIE_TYPE}[])"
)
WITNESS_TYPES = [EVM_STATE_TYPE, PROOFS_TYPE]

ZERO_SIBLINGS: tuple[bytes, ...] = (ZERO32,) * CELL_DEPTH


@dataclass(frozen=True)
class CellProof:
    """Cell ``index`` of a cell tree, its value before the step and its 32 siblings (leaf
    first)."""

    index: int
    cell: bytes
    siblings: tuple[bytes, ...]

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.index, self.cell, list(self.siblings))

    @staticmethod
    def from_tuple(value: tuple[Any, ...]) -> CellProof:
        index, cell, siblings = value
        return CellProof(int(index), bytes(cell), tuple(bytes(s) for s in siblings))


NO_CELL = CellProof(0, ZERO32, ZERO_SIBLINGS)
"""An unused cell slot."""


@dataclass(frozen=True)
class TrieProof:
    """A Merkle-Patricia proof as :mod:`ordo.faultproof.mpt_proof` reads and writes with it:
    ``proof`` the hashed nodes along the key concatenated, root first (``mpt_proof.pack_proof``,
    as Mpt.vy reads it in place), and ``extra``, the node a deletion's collapsing branch folds
    into (empty unless a deletion needs it)."""

    proof: bytes = b""
    extra: bytes = b""

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.proof, self.extra)

    @staticmethod
    def from_tuple(value: tuple[Any, ...]) -> TrieProof:
        return TrieProof(bytes(value[0]), bytes(value[1]))


NO_TRIE = TrieProof()


@dataclass(frozen=True)
class StackProof:
    """The items the step reads from the top of the stack (top first) and the hash of the
    stack below them."""

    items: tuple[int, ...] = ()
    below: bytes = ZERO32

    def as_tuple(self) -> tuple[Any, ...]:
        return (list(self.items), self.below)


@dataclass(frozen=True)
class Snapshot:
    """The preimage of a frame's ``entry_snapshot``: what a rolled-back context becomes."""

    state_root: bytes = ZERO32
    accessed_root: bytes = ZERO32
    created_root: bytes = ZERO32
    transient_root: bytes = ZERO32
    refund: int = 0
    logs_hash: bytes = ZERO32
    logs_count: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.state_root, self.accessed_root, self.created_root, self.transient_root,
                self.refund, self.logs_hash, self.logs_count)


NO_SNAPSHOT = Snapshot()


@dataclass(frozen=True)
class Proofs:
    """Everything one step reads besides the pre-state, in the fixed order of section 3.1."""

    code: CellProof = NO_CELL
    code_next: CellProof = NO_CELL
    stack: StackProof = field(default_factory=StackProof)
    memory: tuple[CellProof, ...] = ()
    source: tuple[CellProof, ...] = ()
    jumpdest: CellProof = NO_CELL
    account: TrieProof = NO_TRIE
    accessed: TrieProof = NO_TRIE
    storage: TrieProof = NO_TRIE
    original_account: TrieProof = NO_TRIE
    original_storage: TrieProof = NO_TRIE
    transient: TrieProof = NO_TRIE
    ext_code: bytes = b""
    snapshot: Snapshot = NO_SNAPSHOT
    parent: Frame = ZERO_FRAME
    caller_memory: tuple[CellProof, ...] = ()
    tries: tuple[TrieProof, ...] = ()

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.code.as_tuple(), self.code_next.as_tuple(), self.stack.as_tuple(),
            [c.as_tuple() for c in self.memory], [c.as_tuple() for c in self.source],
            self.jumpdest.as_tuple(), self.account.as_tuple(), self.accessed.as_tuple(),
            self.storage.as_tuple(), self.original_account.as_tuple(),
            self.original_storage.as_tuple(),
            self.transient.as_tuple(), self.ext_code, self.snapshot.as_tuple(),
            self.parent.as_tuple(), [c.as_tuple() for c in self.caller_memory],
            [t.as_tuple() for t in self.tries],
        )

    @staticmethod
    def from_tuple(value: tuple[Any, ...]) -> Proofs:
        (code, code_next, stack, memory, source, jumpdest, account, accessed, storage,
         original_account, original_storage, transient, ext_code, snapshot, parent,
         caller_memory, tries) = value
        return Proofs(
            code=CellProof.from_tuple(code),
            code_next=CellProof.from_tuple(code_next),
            stack=StackProof(tuple(int(x) for x in stack[0]), bytes(stack[1])),
            memory=tuple(CellProof.from_tuple(c) for c in memory),
            source=tuple(CellProof.from_tuple(c) for c in source),
            jumpdest=CellProof.from_tuple(jumpdest),
            account=TrieProof.from_tuple(account),
            accessed=TrieProof.from_tuple(accessed),
            storage=TrieProof.from_tuple(storage),
            original_account=TrieProof.from_tuple(original_account),
            original_storage=TrieProof.from_tuple(original_storage),
            transient=TrieProof.from_tuple(transient),
            ext_code=bytes(ext_code),
            snapshot=Snapshot(bytes(snapshot[0]), bytes(snapshot[1]), bytes(snapshot[2]),
                              bytes(snapshot[3]), int(snapshot[4]), bytes(snapshot[5]),
                              int(snapshot[6])),
            parent=part_from_tuple(Frame, parent),
            caller_memory=tuple(CellProof.from_tuple(c) for c in caller_memory),
            tries=tuple(TrieProof.from_tuple(t) for t in tries),
        )


class WitnessError(ValueError):
    """A witness that does not decode, or exceeds the verifier's size bound."""


def encode_witness_abi(pre_state: MachineState, proofs: Proofs) -> bytes:
    """``abi.encode(pre_state_preimage, proofs)`` by eth_abi: the definition that
    :mod:`witness_codec`'s faster encoder is tested against."""
    data = encode(WITNESS_TYPES, [pre_state.as_tuple(), proofs.as_tuple()])
    if len(data) > MAX_WITNESS_BYTES:
        raise WitnessError(f"a witness of {len(data)} bytes exceeds {MAX_WITNESS_BYTES}")
    return data


def decode_witness_abi(data: bytes) -> tuple[MachineState, Proofs]:
    """eth_abi's decoding of a witness (the reference for :mod:`witness_codec`)."""
    if len(data) > MAX_WITNESS_BYTES:
        raise WitnessError(f"a witness of {len(data)} bytes exceeds {MAX_WITNESS_BYTES}")
    try:
        state_value, proofs_value = decode(WITNESS_TYPES, data)
    except Exception as error:  # eth_abi raises several unrelated types
        raise WitnessError(f"the witness does not decode: {error}") from error
    return evm_state_from_tuple(state_value), Proofs.from_tuple(proofs_value)
