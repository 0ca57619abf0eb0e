"""The witness's ABI encoding written out word by word (docs/fault_proofs.md 3.1).

Produces exactly ``eth_abi.encode(WITNESS_TYPES, ...)`` (a test holds the two together) at a
fraction of the cost, and decodes by the offsets the on-chain verifier reads, refusing any input
that is not the one canonical encoding of what it decodes to (it re-encodes and compares), so a
witness has one byte string. The word offsets here are the ones the Vyper verifier uses: the
proofs tuple starts at byte 32 * 46, its head is 141 words (field 0 at word 0, field 1 at 34,
stack offset at 68, memory offset at 69, source offset at 70, jumpdest at 71, the six trie
offsets at 105-110, ext_code offset at 111, snapshot at 112, parent at 119, the offsets of
``caller_memory`` at 139 and ``tries`` at 140: witness format version 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from ordo.faultproof.cells import CELL_DEPTH
from ordo.faultproof.machine_state import (
    Block,
    Context,
    Frame,
    MachineState,
    PartT,
    Tx,
)
from ordo.faultproof.witness import (
    MAX_WITNESS_BYTES,
    CellProof,
    Proofs,
    Snapshot,
    StackProof,
    TrieProof,
    WitnessError,
)

STATE_WORDS = 1 + 10 + 5 + 9 + 20
CELL_WORDS = 2 + CELL_DEPTH
PROOFS_HEAD_WORDS = 2 * CELL_WORDS + 3 + CELL_WORDS + 6 + 1 + 7 + 20 + 2
MAX_LIST = 4096


class CodecError(WitnessError):
    """Bytes that are not the canonical encoding of a witness."""


def _u(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _bytes(data: bytes) -> bytes:
    return _u(len(data)) + data + bytes(-len(data) % 32)


def encode_cell(cell: CellProof) -> bytes:
    index, value, siblings = cell.index, cell.cell, cell.siblings
    if len(value) != 32 or len(siblings) != CELL_DEPTH or any(len(s) != 32 for s in siblings):
        raise CodecError("a cell is 32 bytes with 32 siblings of 32 bytes")
    return _u(index) + value + b"".join(siblings)


def _tuple_of_tails(heads: Sequence[bytes | None], tails: Sequence[bytes]) -> bytes:
    """A tuple whose ``None`` heads are offsets to the ``tails`` laid out after the head."""
    head_size = sum(32 if h is None else len(h) for h in heads)
    out = []
    position = head_size
    tail_iter = iter(tails)
    laid = []
    for head in heads:
        if head is None:
            tail = next(tail_iter)
            out.append(_u(position))
            laid.append(tail)
            position += len(tail)
        else:
            out.append(head)
    return b"".join(out) + b"".join(laid)


def encode_proofs(proofs: Proofs) -> bytes:
    p = proofs
    stack = _tuple_of_tails(
        [None, p.stack.below],
        [_u(len(p.stack.items)) + b"".join(_u(i) for i in p.stack.items)],
    )

    def cells(values: Sequence[CellProof]) -> bytes:
        return _u(len(values)) + b"".join(encode_cell(c) for c in values)

    def trie(t: TrieProof) -> bytes:
        return _tuple_of_tails([None, None], [_bytes(t.proof), _bytes(t.extra)])

    snapshot = p.snapshot
    snapshot_words = (snapshot.state_root + snapshot.accessed_root + snapshot.created_root
                      + snapshot.transient_root + _u(snapshot.refund) + snapshot.logs_hash
                      + _u(snapshot.logs_count))
    heads: list[bytes | None] = [
        encode_cell(p.code), encode_cell(p.code_next), None, None, None,
        encode_cell(p.jumpdest), None, None, None, None, None, None, None,
        snapshot_words, p.parent.encoded(), None, None,
    ]
    tails = [
        stack, cells(p.memory), cells(p.source),
        *(trie(getattr(p, name)) for name in (
            "account", "accessed", "storage", "original_account", "original_storage",
            "transient")),
        _bytes(p.ext_code), cells(p.caller_memory),
        _u(len(p.tries)) + _tuple_of_tails([None] * len(p.tries),
                                              [trie(t) for t in p.tries]),
    ]
    return _tuple_of_tails(heads, tails)


def encode_witness(state: MachineState, proofs: Proofs) -> bytes:
    """``abi.encode(pre_state_preimage, proofs)``: the verifier's ``witness`` argument."""
    if state.frame is None:
        raise WitnessError("a phase-3 witness is for a state with a frame")
    head = _u(state.phase) + b"".join(
        part.encoded() for part in (state.block, state.tx, state.context, state.frame))
    data = head + _u(32 * (STATE_WORDS + 1)) + encode_proofs(proofs)
    if len(data) > MAX_WITNESS_BYTES:
        raise WitnessError(f"a witness of {len(data)} bytes exceeds {MAX_WITNESS_BYTES}")
    return data


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def word(self, at: int) -> bytes:
        if at < 0 or at + 32 > len(self.data):
            raise CodecError(f"a word at {at} past the end of {len(self.data)} bytes")
        return self.data[at:at + 32]

    def uint(self, at: int) -> int:
        return int.from_bytes(self.word(at), "big")

    def offset(self, base: int, at: int) -> int:
        value = self.uint(at)
        if value > len(self.data):
            raise CodecError("an offset past the end")
        return base + value

    def length(self, at: int, item_bytes: int, limit: int = MAX_LIST) -> int:
        value = self.uint(at)
        if value > limit or at + 32 + value * item_bytes > len(self.data):
            raise CodecError("a length past the end")
        return value

    def bytes_at(self, at: int) -> bytes:
        # a byte string is bounded by the witness, not by MAX_LIST: ext_code holds up to
        # 24,599 bytes (a delegated callee's designator and code, 3.1)
        size = self.length(at, 1, MAX_WITNESS_BYTES)
        return self.data[at + 32:at + 32 + size]

    def part(self, cls: type[PartT], at: int) -> tuple[PartT, int]:
        values: list[object] = []
        for f in fields(cls):  # type: ignore[arg-type]
            word = self.word(at)
            kind = f.metadata["abi"]
            if kind == "uint256":
                values.append(int.from_bytes(word, "big"))
            elif kind == "address":
                values.append(word[12:])
            elif kind == "bool":
                values.append(word[31] == 1)
            else:
                values.append(word)
            at += 32
        return cls(*values), at

    def cell(self, at: int) -> CellProof:
        return CellProof(self.uint(at), self.word(at + 32),
                         tuple(self.word(at + 64 + 32 * i) for i in range(CELL_DEPTH)))


def decode_witness(data: bytes) -> tuple[MachineState, Proofs]:
    """The pre-state preimage and proofs of an encoded witness; raises :class:`CodecError`
    unless ``data`` is the canonical encoding of what it decodes to."""
    if len(data) > MAX_WITNESS_BYTES:
        raise WitnessError(f"a witness of {len(data)} bytes exceeds {MAX_WITNESS_BYTES}")
    r = _Reader(data)
    phase = r.uint(0)
    block, at = r.part(Block, 32)
    tx, at = r.part(Tx, at)
    context, at = r.part(Context, at)
    frame, at = r.part(Frame, at)
    state = MachineState(phase, block, tx, context, frame)
    base = r.offset(0, at)
    code = r.cell(base)
    code_next = r.cell(base + 32 * CELL_WORDS)
    stack_at = r.offset(base, base + 32 * 2 * CELL_WORDS)
    items_at = r.offset(stack_at, stack_at)
    count = r.length(items_at, 32)
    stack = StackProof(tuple(r.uint(items_at + 32 + 32 * i) for i in range(count)),
                       r.word(stack_at + 32))
    lists = []
    for slot in (2 * CELL_WORDS + 1, 2 * CELL_WORDS + 2):
        list_at = r.offset(base, base + 32 * slot)
        count = r.length(list_at, 32 * CELL_WORDS)
        lists.append(tuple(r.cell(list_at + 32 + 32 * CELL_WORDS * i) for i in range(count)))
    head = 2 * CELL_WORDS + 3
    jumpdest = r.cell(base + 32 * head)
    head += CELL_WORDS
    tries = []
    for _ in range(6):
        trie_at = r.offset(base, base + 32 * head)
        tries.append(TrieProof(r.bytes_at(r.offset(trie_at, trie_at)),
                               r.bytes_at(r.offset(trie_at, trie_at + 32))))
        head += 1
    ext_code = r.bytes_at(r.offset(base, base + 32 * head))
    head += 1
    at = base + 32 * head
    snapshot = Snapshot(r.word(at), r.word(at + 32), r.word(at + 64), r.word(at + 96),
                        r.uint(at + 128), r.word(at + 160), r.uint(at + 192))
    parent, at = r.part(Frame, at + 224)
    list_at = r.offset(base, at)
    count = r.length(list_at, 32 * CELL_WORDS)
    caller_memory = tuple(r.cell(list_at + 32 + 32 * CELL_WORDS * i) for i in range(count))
    list_at = r.offset(base, at + 32)
    count = r.length(list_at, 32)
    listed = []
    for i in range(count):
        trie_at = r.offset(list_at + 32, list_at + 32 + 32 * i)
        listed.append(TrieProof(r.bytes_at(r.offset(trie_at, trie_at)),
                                r.bytes_at(r.offset(trie_at, trie_at + 32))))
    proofs = Proofs(
        code=code, code_next=code_next, stack=stack, memory=lists[0], source=lists[1],
        jumpdest=jumpdest, account=tries[0], accessed=tries[1], storage=tries[2],
        original_account=tries[3], original_storage=tries[4], transient=tries[5],
        ext_code=ext_code, snapshot=snapshot, parent=parent, caller_memory=caller_memory,
        tries=tuple(listed),
    )
    try:
        canonical = encode_witness(state, proofs)
    except ValueError as error:
        raise CodecError(f"the witness does not re-encode: {error}") from error
    if canonical != data:
        raise CodecError("the witness is not the canonical encoding of what it decodes to")
    return state, proofs
