"""The machine state of the step trace and its commitment (docs/fault_proofs.md, section 2).

Four parts, each a frozen dataclass whose fields are exactly the words of its ``abi(...)`` in
the specification, in the same order: the on-chain verifier hashes the same words, so a field
added, dropped or moved here breaks every proof. Phase 4 (transaction end) replaces the frame
by the :class:`Outcome` of the depth-0 frame (section 3.2). Pure.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, field, fields
from typing import Any, TypeVar

from eth_abi import encode
from eth_hash.auto import keccak

from ordo.faultproof.cells import EMPTY_ROOT

ZERO32 = bytes(32)
ZERO_ADDRESS = bytes(20)

PHASE_BLOCK_START = 1
PHASE_TX_START = 2
PHASE_EVM = 3
PHASE_TX_END = 4
PHASE_BLOCK_END = 5
PHASE_DONE = 6


def _abi_types(cls: type) -> list[str]:
    """The ABI type of each field, read from the field's ``abi`` metadata."""
    return [str(f.metadata["abi"]) for f in fields(cls)]


def _u() -> Any:
    return field(metadata={"abi": "uint256"})


def _b32() -> Any:
    return field(metadata={"abi": "bytes32"})


def _addr() -> Any:
    return field(metadata={"abi": "address"})


def _bool() -> Any:
    return field(metadata={"abi": "bool"})


PartT = TypeVar("PartT", bound="_Part")


def _word(abi_type: str, value: Any) -> bytes:
    """One ABI word; refuses what ``abi.encode`` would refuse (wrong widths, out of range)."""
    if abi_type == "uint256":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 256:
            raise ValueError(f"not a uint256: {value!r}")
        return value.to_bytes(32, "big")
    if abi_type == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"not a bool: {value!r}")
        return int(value).to_bytes(32, "big")
    if abi_type == "address":
        if not isinstance(value, bytes) or len(value) != 20:
            raise ValueError(f"not a 20-byte address: {value!r}")
        return bytes(12) + value
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValueError(f"not a bytes32: {value!r}")
    return value


class _Part:
    """A part of the machine state: a fixed tuple of ABI words with a hash."""

    def abi_types(self) -> list[str]:
        return _abi_types(type(self))

    def as_tuple(self) -> tuple[Any, ...]:
        return astuple(self)  # type: ignore[call-overload, no-any-return]

    def encoded(self) -> bytes:
        """``abi(...)`` of the fields: what the part's hash is taken of. Every field is one
        static word, so this is the words side by side (the same bytes as ``eth_abi.encode``,
        which a test checks; written out because a trace hashes parts at every step)."""
        return b"".join(_word(f.metadata["abi"], getattr(self, f.name))
                        for f in fields(self))  # type: ignore[arg-type]

    def hash(self) -> bytes:
        cached: bytes | None = self.__dict__.get("_hash")
        if cached is None:
            cached = keccak(self.encoded())
            self.__dict__["_hash"] = cached  # a frozen part's hash never changes
        return cached


@dataclass(frozen=True)
class Block(_Part):
    """Constants of the block (``block_hash_``)."""

    number: int = _u()
    timestamp: int = _u()
    coinbase: bytes = _addr()
    gas_limit: int = _u()
    base_fee: int = _u()
    prev_randao: bytes = _b32()
    chain_id: int = _u()
    parent_output_root: bytes = _b32()
    inputs_hash: bytes = _b32()
    block_hashes_root: bytes = _b32()


@dataclass(frozen=True)
class Tx(_Part):
    """Constants of the current transaction (``tx_hash_``); all zero outside phases 2-4."""

    origin: bytes = _addr()
    gas_price: int = _u()
    tx_index: int = _u()
    tx_start_state_root: bytes = _b32()
    blob_hashes_root: bytes = _b32()


@dataclass(frozen=True)
class Context(_Part):
    """What the transaction changes and a revert may roll back, plus the block's running totals
    (``context_hash``): ``cumulative_gas`` and ``totals_hash``, the hash of the receipts root,
    the transactions root and the bloom so far (:func:`ordo.faultproof.block_parts.totals_hash`;
    word 9, named ``receipts_root`` before 2026-12-07: phase 3 only carries it)."""

    state_root: bytes = _b32()
    accessed_root: bytes = _b32()
    created_root: bytes = _b32()
    transient_root: bytes = _b32()
    refund: int = _u()
    logs_hash: bytes = _b32()
    logs_count: int = _u()
    cumulative_gas: int = _u()
    totals_hash: bytes = _b32()

    def snapshot(self) -> bytes:
        """``entry_snapshot``: the rollback target of a frame entered in this context."""
        return keccak(encode(
            ["bytes32", "bytes32", "bytes32", "bytes32", "uint256", "bytes32", "uint256"],
            [self.state_root, self.accessed_root, self.created_root, self.transient_root,
             self.refund, self.logs_hash, self.logs_count],
        ))


@dataclass(frozen=True)
class Frame(_Part):
    """The running call frame (``frame_hash``)."""

    parent_frame: bytes = _b32()
    depth: int = _u()
    address: bytes = _addr()
    caller: bytes = _addr()
    value: int = _u()
    is_static: bool = _bool()
    code_root: bytes = _b32()
    code_size: int = _u()
    jumpdests_root: bytes = _b32()
    calldata_root: bytes = _b32()
    calldata_size: int = _u()
    pc: int = _u()
    gas: int = _u()
    stack_hash: bytes = _b32()
    stack_size: int = _u()
    memory_root: bytes = _b32()
    memory_size: int = _u()
    returndata_root: bytes = _b32()
    returndata_size: int = _u()
    entry_snapshot: bytes = _b32()


@dataclass(frozen=True)
class Outcome(_Part):
    """The fourth part in phase 4 (section 3.2): how the depth-0 frame ended. ``output`` is the
    RETURN / REVERT data (empty after an exceptional halt); ``entry_snapshot`` is kept so the
    transaction-end step can still roll back (a creation whose code deposit fails)."""

    success: bool = _bool()
    gas_left: int = _u()
    output_root: bytes = _b32()
    output_size: int = _u()
    entry_snapshot: bytes = _b32()


@dataclass(frozen=True)
class Pending(_Part):
    """The fourth part of a phase-2 state between the sub-steps of a started transaction
    (4.2): its gas is bought; warm key ``next_key`` (of sender, recipient, coinbase and the
    access list's) is the next to insert, then authorization ``next_authorization`` of an
    EIP-7702 transaction (the frame opens after the last)."""

    next_key: int = _u()
    next_authorization: int = _u()


ZERO_FRAME = Frame(
    parent_frame=ZERO32, depth=0, address=ZERO_ADDRESS, caller=ZERO_ADDRESS, value=0,
    is_static=False, code_root=ZERO32, code_size=0, jumpdests_root=ZERO32, calldata_root=ZERO32,
    calldata_size=0, pc=0, gas=0, stack_hash=ZERO32, stack_size=0, memory_root=ZERO32,
    memory_size=0, returndata_root=ZERO32, returndata_size=0, entry_snapshot=ZERO32,
)
"""The all-zero frame: the ``parent`` slot of a witness that does not return to a caller."""

EMPTY_CELL_ROOT = EMPTY_ROOT


@dataclass(frozen=True)
class MachineState:
    """One point of the step trace: the phase and its four parts. In phase 3 ``frame`` is a
    :class:`Frame`; in phase 4 it is the :class:`Outcome`; in phase 2 it is :class:`Pending`
    inside a started transaction, else there is none (phases 2 and 5) and the fourth word of
    the commitment is zero (section 2)."""

    phase: int
    block: Block
    tx: Tx
    context: Context
    frame: Frame | Outcome | Pending | None

    def commitment(self) -> bytes:
        """``keccak(abi(phase, block_hash_, tx_hash_, context_hash, frame_hash))``."""
        frame_hash = ZERO32 if self.frame is None else self.frame.hash()
        return keccak(encode(
            ["uint256", "bytes32", "bytes32", "bytes32", "bytes32"],
            [self.phase, self.block.hash(), self.tx.hash(), self.context.hash(), frame_hash],
        ))

    def abi_type(self) -> str:
        """The ABI type of :meth:`as_tuple` (the ``pre_state_preimage`` of a witness)."""
        parts: list[_Part] = [self.block, self.tx, self.context]
        if self.frame is not None:
            parts.append(self.frame)
        return "(uint256,{})".format(",".join(
            "(" + ",".join(part.abi_types()) + ")" for part in parts))

    def as_tuple(self) -> tuple[Any, ...]:
        head = (self.phase, self.block.as_tuple(), self.tx.as_tuple(), self.context.as_tuple())
        return head if self.frame is None else (*head, self.frame.as_tuple())


BLOCK_TYPE = "(" + ",".join(_abi_types(Block)) + ")"
TX_TYPE = "(" + ",".join(_abi_types(Tx)) + ")"
CONTEXT_TYPE = "(" + ",".join(_abi_types(Context)) + ")"
FRAME_TYPE = "(" + ",".join(_abi_types(Frame)) + ")"
OUTCOME_TYPE = "(" + ",".join(_abi_types(Outcome)) + ")"
EVM_STATE_TYPE = f"(uint256,{BLOCK_TYPE},{TX_TYPE},{CONTEXT_TYPE},{FRAME_TYPE})"
"""The ABI type of a phase-3 state's preimage, the first half of every step witness."""


def part_from_tuple(cls: type[PartT], raw: tuple[Any, ...]) -> PartT:
    """A part from its decoded ABI tuple (eth_abi gives addresses as hex strings)."""
    converted = []
    for f, item in zip(fields(cls), raw, strict=True):  # type: ignore[arg-type]
        if f.metadata["abi"] == "address":
            item = bytes.fromhex(item[2:]) if isinstance(item, str) else bytes(item)
        converted.append(item)
    return cls(*converted)


def evm_state_from_tuple(value: tuple[Any, ...]) -> MachineState:
    """A phase-3 state from its decoded ``pre_state_preimage``."""
    phase, block, tx, context, frame = value
    return MachineState(phase, part_from_tuple(Block, block), part_from_tuple(Tx, tx),
                        part_from_tuple(Context, context), part_from_tuple(Frame, frame))
