"""The witnesses of the block-level steps: phases 1, 2, 4, 5 and 6 (docs/fault_proofs.md 4.1).

Every witness starts with the pre-state's phase as its first word, so the verifier dispatches on
it: a phase-3 witness (section 3.1) starts with its preimage's phase word too. For the other
phases the witness is ``abi.encode(head..., proofs)`` with one fixed type per phase, defined
here; the bytes are eth_abi's and a witness that does not re-encode to itself is refused (one
byte string per witness). Pure.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, field, fields
from typing import Any

from eth_abi import decode, encode

from ordo.faultproof.cells import CELL_DEPTH
from ordo.faultproof.machine_state import (
    BLOCK_TYPE,
    CONTEXT_TYPE,
    OUTCOME_TYPE,
    PHASE_BLOCK_END,
    PHASE_BLOCK_START,
    PHASE_DONE,
    PHASE_TX_END,
    PHASE_TX_START,
    TX_TYPE,
    ZERO32,
    Block,
    Context,
    MachineState,
    Outcome,
    Pending,
    Tx,
    part_from_tuple,
)
from ordo.faultproof.witness import (
    MAX_WITNESS_BYTES,
    NO_SNAPSHOT,
    NO_TRIE,
    SNAPSHOT_TYPE,
    TRIE_TYPE,
    Snapshot,
    TrieProof,
    WitnessError,
)

SIBLINGS_TYPE = f"bytes32[{CELL_DEPTH}]"
ZERO_SIBLINGS: tuple[bytes, ...] = (ZERO32,) * CELL_DEPTH
LOG_TYPE = "(address,bytes32[],bytes)"


def _trie(value: tuple[Any, ...]) -> TrieProof:
    return TrieProof(bytes(value[0]), bytes(value[1]))


def _address(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _fields_of(proofs: Any) -> dict[str, Any]:
    """A proofs dataclass's fields by name: a fee variant extends its base with them."""
    return {f.name: getattr(proofs, f.name) for f in fields(proofs)}


@dataclass(frozen=True)
class ParentOutput:
    """The preimage of an output root (version 0): state_transition.md 8.2."""

    state_root: bytes = ZERO32
    message_passer_root: bytes = ZERO32
    block_hash: bytes = ZERO32


PARENT_OUTPUT_TYPE = "(bytes32,bytes32,bytes32)"


@dataclass(frozen=True)
class BlockStartProofs:
    """Phase 1 (4.1): the parent output's preimage, the parent header, the ancestor headers
    that prove the block-hash list, the block's inputs with their proof against
    ``inputs_root``, its extra data, and the accounts of the EIP-4788 and EIP-2935 addresses in
    the parent state (their code decides whether block start writes anything)."""

    parent: ParentOutput = field(default_factory=ParentOutput)
    parent_header: bytes = b""
    ancestors: tuple[bytes, ...] = ()
    block_inputs: bytes = b""
    inputs_siblings: tuple[bytes, ...] = ZERO_SIBLINGS
    extra_data: bytes = b""
    beacon_roots_account: TrieProof = NO_TRIE
    history_account: TrieProof = NO_TRIE

    TYPE = (f"({PARENT_OUTPUT_TYPE},bytes,bytes[],bytes,{SIBLINGS_TYPE},bytes,{TRIE_TYPE},"
            f"{TRIE_TYPE})")

    def as_tuple(self) -> tuple[Any, ...]:
        return (astuple(self.parent), self.parent_header, list(self.ancestors),
                self.block_inputs, list(self.inputs_siblings), self.extra_data,
                self.beacon_roots_account.as_tuple(), self.history_account.as_tuple())

    @staticmethod
    def from_tuple(v: tuple[Any, ...]) -> BlockStartProofs:
        return BlockStartProofs(
            ParentOutput(*(bytes(x) for x in v[0])), bytes(v[1]), tuple(bytes(a) for a in v[2]),
            bytes(v[3]), tuple(bytes(s) for s in v[4]), bytes(v[5]), _trie(v[6]), _trie(v[7]))


@dataclass(frozen=True)
class FeeBlockStartProofs(BlockStartProofs):
    """Phase 1 on a chain with the L1 data fee (4.1 step 6a, witness of 2026-12-08): the proofs
    of :class:`BlockStartProofs`, then the GasPriceOracle's account and its slots 0, 1 and 2,
    each against the storage root the previous write left. A chain without the fee keeps the
    shorter type, byte for byte."""

    oracle_account: TrieProof = NO_TRIE
    oracle_slot_0: TrieProof = NO_TRIE
    oracle_slot_1: TrieProof = NO_TRIE
    oracle_slot_2: TrieProof = NO_TRIE

    TYPE = BlockStartProofs.TYPE[:-1] + f",{TRIE_TYPE},{TRIE_TYPE},{TRIE_TYPE},{TRIE_TYPE})"

    def as_tuple(self) -> tuple[Any, ...]:
        return (*super().as_tuple(), self.oracle_account.as_tuple(),
                self.oracle_slot_0.as_tuple(), self.oracle_slot_1.as_tuple(),
                self.oracle_slot_2.as_tuple())

    @staticmethod
    def from_tuple(v: tuple[Any, ...]) -> FeeBlockStartProofs:
        base = BlockStartProofs.from_tuple(v[:8])
        return FeeBlockStartProofs(**_fields_of(base), oracle_account=_trie(v[8]),
                                   oracle_slot_0=_trie(v[9]), oracle_slot_1=_trie(v[10]),
                                   oracle_slot_2=_trie(v[11]))


@dataclass(frozen=True)
class Totals:
    """The preimage of the context's ``totals_hash``."""

    receipts_root: bytes = ZERO32
    transactions_root: bytes = ZERO32
    bloom: bytes = b""
    forced_next: int = 0
    forced_end: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        return astuple(self)

    @staticmethod
    def from_tuple(v: tuple[Any, ...]) -> Totals:
        return Totals(bytes(v[0]), bytes(v[1]), bytes(v[2]), int(v[3]), int(v[4]))


TOTALS_TYPE = "(bytes32,bytes32,bytes,uint256,uint256)"


@dataclass(frozen=True)
class TxStartProofs:
    """Phase 2 (4.2). Trie proofs are against the state root as the step has left it when it
    reads them: ``sender`` against the pre-state's (read, then written with the bought gas and
    the nonce), ``accessed`` one insertion each into the accessed set, ``sender_value`` and
    ``recipient`` the value transfer, ``callee`` the account whose code the frame runs."""

    block_inputs: bytes = b""
    raw_tx: bytes = b""
    tx_siblings: tuple[bytes, ...] = ZERO_SIBLINGS
    sender: TrieProof = NO_TRIE
    sender_code: bytes = b""
    accessed: tuple[TrieProof, ...] = ()
    sender_value: TrieProof = NO_TRIE
    recipient: TrieProof = NO_TRIE
    callee: TrieProof = NO_TRIE
    callee_code: bytes = b""
    totals: Totals = field(default_factory=Totals)
    forced_tx: bytes = b""
    deposit: TrieProof = NO_TRIE
    authority: TrieProof = NO_TRIE
    authority_code: bytes = b""
    delegate: TrieProof = NO_TRIE
    delegate_code: bytes = b""

    TYPE = (f"(bytes,bytes,{SIBLINGS_TYPE},{TRIE_TYPE},bytes,{TRIE_TYPE}[],{TRIE_TYPE},"
            f"{TRIE_TYPE},{TRIE_TYPE},bytes,{TOTALS_TYPE},bytes,{TRIE_TYPE},{TRIE_TYPE},bytes,"
            f"{TRIE_TYPE},bytes)")

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.block_inputs, self.raw_tx, list(self.tx_siblings), self.sender.as_tuple(),
                self.sender_code, [a.as_tuple() for a in self.accessed],
                self.sender_value.as_tuple(), self.recipient.as_tuple(),
                self.callee.as_tuple(), self.callee_code, self.totals.as_tuple(),
                self.forced_tx, self.deposit.as_tuple(), self.authority.as_tuple(),
                self.authority_code, self.delegate.as_tuple(), self.delegate_code)

    @staticmethod
    def from_tuple(v: tuple[Any, ...]) -> TxStartProofs:
        return TxStartProofs(
            bytes(v[0]), bytes(v[1]), tuple(bytes(s) for s in v[2]), _trie(v[3]), bytes(v[4]),
            tuple(_trie(a) for a in v[5]), _trie(v[6]), _trie(v[7]), _trie(v[8]), bytes(v[9]),
            Totals.from_tuple(v[10]), bytes(v[11]), _trie(v[12]), _trie(v[13]), bytes(v[14]),
            _trie(v[15]), bytes(v[16]))




@dataclass(frozen=True)
class TxEndProofs:
    """Phase 4 (4.3): the transaction again (its gas limit, fees and calldata fix the refund
    and the floor), the logs of the transaction (checked against ``logs_hash``), the sender,
    coinbase and recipient accounts in that order, the totals' preimage and the two insertion
    proofs (:mod:`index_trie`, nodes as ``bytes[]``)."""

    block_inputs: bytes = b""
    raw_tx: bytes = b""
    tx_siblings: tuple[bytes, ...] = ZERO_SIBLINGS
    logs: tuple[tuple[bytes, tuple[bytes, ...], bytes], ...] = ()
    sender: TrieProof = NO_TRIE
    coinbase: TrieProof = NO_TRIE
    recipient: TrieProof = NO_TRIE
    totals: Totals = field(default_factory=Totals)
    receipt_proof: tuple[bytes, ...] = ()
    transaction_proof: tuple[bytes, ...] = ()
    output: bytes = b""
    snapshot: Snapshot = NO_SNAPSHOT
    created: TrieProof = NO_TRIE

    TYPE = (f"(bytes,bytes,{SIBLINGS_TYPE},{LOG_TYPE}[],{TRIE_TYPE},{TRIE_TYPE},{TRIE_TYPE},"
            f"{TOTALS_TYPE},bytes[],bytes[],bytes,{SNAPSHOT_TYPE},{TRIE_TYPE})")

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.block_inputs, self.raw_tx, list(self.tx_siblings),
                [(a, list(t), d) for a, t, d in self.logs], self.sender.as_tuple(),
                self.coinbase.as_tuple(), self.recipient.as_tuple(), self.totals.as_tuple(),
                list(self.receipt_proof), list(self.transaction_proof), self.output,
                self.snapshot.as_tuple(), self.created.as_tuple())

    @staticmethod
    def from_tuple(v: tuple[Any, ...]) -> TxEndProofs:
        return TxEndProofs(
            bytes(v[0]), bytes(v[1]), tuple(bytes(s) for s in v[2]),
            tuple((_address(a), tuple(bytes(t) for t in topics), bytes(d))
                  for a, topics, d in v[3]),
            _trie(v[4]), _trie(v[5]), _trie(v[6]), Totals.from_tuple(v[7]),
            tuple(bytes(n) for n in v[8]), tuple(bytes(n) for n in v[9]), bytes(v[10]),
            Snapshot(bytes(v[11][0]), bytes(v[11][1]), bytes(v[11][2]), bytes(v[11][3]),
                     int(v[11][4]), bytes(v[11][5]), int(v[11][6])),
            _trie(v[12]))


@dataclass(frozen=True)
class FeeTxEndProofs(TxEndProofs):
    """Phase 4 on a chain with the L1 data fee (4.3 step 4a, witness of 2026-12-08): the
    proofs of :class:`TxEndProofs`, then the fee vault's account against the root the
    coinbase and recipient writes left. A chain without the fee keeps the shorter type."""

    vault: TrieProof = NO_TRIE

    TYPE = TxEndProofs.TYPE[:-1] + f",{TRIE_TYPE})"

    def as_tuple(self) -> tuple[Any, ...]:
        return (*super().as_tuple(), self.vault.as_tuple())

    @staticmethod
    def from_tuple(v: tuple[Any, ...]) -> FeeTxEndProofs:
        base = TxEndProofs.from_tuple(v[:13])
        return FeeTxEndProofs(**_fields_of(base), vault=_trie(v[13]))


@dataclass(frozen=True)
class BlockEndProofs:
    """Phase 5 (4.4): the block inputs and extra data (header fields), the parent output's
    preimage (the parent hash), the coinbase account (the zero-reward touch), the message
    passer's account in the final state and the totals' preimage."""

    block_inputs: bytes = b""
    extra_data: bytes = b""
    parent: ParentOutput = field(default_factory=ParentOutput)
    coinbase: TrieProof = NO_TRIE
    message_passer: TrieProof = NO_TRIE
    totals: Totals = field(default_factory=Totals)

    TYPE = f"(bytes,bytes,{PARENT_OUTPUT_TYPE},{TRIE_TYPE},{TRIE_TYPE},{TOTALS_TYPE})"

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.block_inputs, self.extra_data, astuple(self.parent),
                self.coinbase.as_tuple(), self.message_passer.as_tuple(), self.totals.as_tuple())

    @staticmethod
    def from_tuple(v: tuple[Any, ...]) -> BlockEndProofs:
        return BlockEndProofs(bytes(v[0]), bytes(v[1]), ParentOutput(*(bytes(x) for x in v[2])),
                              _trie(v[3]), _trie(v[4]), Totals.from_tuple(v[5]))


@dataclass(frozen=True)
class FirstState:
    """The preimage of a block's first state (section 4)."""

    parent_output_root: bytes
    inputs_root: bytes
    position: int


FIRST_TYPES = ["uint256", "bytes32", "bytes32", "uint256"]
PARTS_TYPES = ["uint256", BLOCK_TYPE, TX_TYPE, CONTEXT_TYPE]


def _checked(data: bytes) -> bytes:
    if len(data) > MAX_WITNESS_BYTES:
        raise WitnessError(f"a witness of {len(data)} bytes exceeds {MAX_WITNESS_BYTES}")
    return data


def encode_block_start(first: FirstState, proofs: BlockStartProofs) -> bytes:
    """``proofs.TYPE``: :class:`FeeBlockStartProofs` on a chain with the L1 fee."""
    return _checked(encode([*FIRST_TYPES, proofs.TYPE], [
        PHASE_BLOCK_START, first.parent_output_root, first.inputs_root, first.position,
        proofs.as_tuple()]))


PENDING_TYPE = "(bool,uint256,uint256)"
"""A phase-2 witness's fourth part: ``(started, next_key, next_authorization)``; not started,
the state's fourth word is zero (and both counters must be 0)."""


def _fourth_type(phase: int) -> list[str]:
    if phase == PHASE_TX_END:
        return [OUTCOME_TYPE]
    return [PENDING_TYPE] if phase == PHASE_TX_START else []


def _parts_types(state: MachineState) -> list[str]:
    return PARTS_TYPES + _fourth_type(state.phase)


def _parts_values(state: MachineState) -> list[Any]:
    values: list[Any] = [state.phase, state.block.as_tuple(), state.tx.as_tuple(),
                         state.context.as_tuple()]
    if state.phase == PHASE_TX_START:
        pending = state.frame
        values.append((True, pending.next_key, pending.next_authorization)
                      if isinstance(pending, Pending) else (False, 0, 0))
    elif state.frame is not None:
        values.append(state.frame.as_tuple())
    return values


def encode_block_step(state: MachineState,
                      proofs: TxStartProofs | TxEndProofs | BlockEndProofs) -> bytes:
    """The witness of a phase 2, 4 or 5 step: the pre-state's parts, then its proofs."""
    return _checked(encode([*_parts_types(state), proofs.TYPE],
                           [*_parts_values(state), proofs.as_tuple()]))


def encode_done(output_root: bytes) -> bytes:
    """The witness of a step from a final state: its output root (the state steps to itself)."""
    return encode(["uint256", "bytes32"], [PHASE_DONE, output_root])


_PROOFS: dict[int, Any] = {PHASE_TX_START: TxStartProofs, PHASE_TX_END: TxEndProofs,
                           PHASE_BLOCK_END: BlockEndProofs}


def witness_phase(data: bytes) -> int:
    """The first word: the phase of the pre-state the witness is for."""
    if len(data) < 32:
        raise WitnessError("a witness shorter than one word")
    return int.from_bytes(data[:32], "big")


def _decode(types: list[str], data: bytes) -> tuple[Any, ...]:
    _checked(data)
    try:
        values = decode(types, data)
    except Exception as error:  # eth_abi raises several unrelated types
        raise WitnessError(f"the witness does not decode: {error}") from error
    if encode(types, list(values)) != data:
        raise WitnessError("the witness is not the canonical encoding of what it decodes to")
    return tuple(values)


def decode_block_start(data: bytes, l1_fee: bool = False
                       ) -> tuple[FirstState, BlockStartProofs]:
    """``l1_fee``: the chain has the L1 data fee, whose witness has the oracle's proofs."""
    cls = FeeBlockStartProofs if l1_fee else BlockStartProofs
    _, parent_output_root, inputs_root, position, proofs = _decode(
        [*FIRST_TYPES, cls.TYPE], data)
    return (FirstState(bytes(parent_output_root), bytes(inputs_root), int(position)),
            cls.from_tuple(proofs))


def proofs_class(phase: int, l1_fee: bool = False) -> Any:
    """The proofs type of a phase 2, 4 or 5 witness (phase 4 has the vault's on a fee chain)."""
    if l1_fee and phase == PHASE_TX_END:
        return FeeTxEndProofs
    return _PROOFS[phase]


def decode_block_step(data: bytes, l1_fee: bool = False) -> tuple[MachineState, Any]:
    """A phase 2, 4 or 5 witness: the pre-state and the phase's proofs (``l1_fee``: the
    chain has the L1 data fee)."""
    phase = witness_phase(data)
    if phase not in _PROOFS:
        raise WitnessError(f"phase {phase} has no block-step witness")
    cls = proofs_class(phase, l1_fee)
    values = _decode([*PARTS_TYPES, *_fourth_type(phase), cls.TYPE], data)
    frame: Outcome | Pending | None = None
    if phase == PHASE_TX_END:
        frame = part_from_tuple(Outcome, values[4])
    elif phase == PHASE_TX_START:
        started, next_key, next_authorization = values[4]
        if started:
            frame = Pending(int(next_key), int(next_authorization))
        elif next_key or next_authorization:
            raise WitnessError("a transaction not started has no next key or authorization")
    state = MachineState(int(values[0]), part_from_tuple(Block, values[1]),
                         part_from_tuple(Tx, values[2]), part_from_tuple(Context, values[3]),
                         frame)
    return state, cls.from_tuple(values[-1])


def decode_done(data: bytes) -> bytes:
    _, root = _decode(["uint256", "bytes32"], data)
    return bytes(root)
