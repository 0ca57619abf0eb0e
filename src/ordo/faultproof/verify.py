"""``verify_step``: what the on-chain step verifier does, in Python (docs/fault_proofs.md 3.1).

From a pre-state commitment and a witness alone it computes the post-state commitment, or
raises: :class:`InvalidWitness` when an item does not match the pre-state (a wrong proof, a
field that should be unused, a list longer than the step reads), :class:`UnsupportedStep` when
the step is outside version 1. It runs the same :func:`ordo.faultproof.step.execute` as the
tracer, fed from the witness, so the Vyper verifier has one reference to match.
"""

from __future__ import annotations

from collections.abc import Sequence

from ordo.faultproof.block_io import WitnessIO
from ordo.faultproof.block_parts import (
    NO_QUEUE,
    ChainRules,
    ForcedQueue,
    final_state,
    first_state,
)
from ordo.faultproof.block_steps import Post, block_end, block_start, tx_end
from ordo.faultproof.block_witness import (
    decode_block_start,
    decode_block_step,
    decode_done,
    witness_phase,
)
from ordo.faultproof.machine_state import (
    PHASE_BLOCK_END,
    PHASE_BLOCK_START,
    PHASE_DONE,
    PHASE_EVM,
    PHASE_TX_END,
    PHASE_TX_START,
    ZERO_FRAME,
    Frame,
)
from ordo.faultproof.step import InvalidWitness, Tree, TrieField, UnsupportedStep, execute
from ordo.faultproof.tx_start import tx_start
from ordo.faultproof.witness import (
    NO_CELL,
    NO_SNAPSHOT,
    NO_TRIE,
    CellProof,
    Proofs,
    Snapshot,
    StackProof,
    TrieProof,
    WitnessError,
)
from ordo.faultproof.witness_codec import decode_witness

_UNUSED = {
    "code": NO_CELL, "code_next": NO_CELL, "stack": StackProof(), "jumpdest": NO_CELL,
    "account": NO_TRIE, "accessed": NO_TRIE, "storage": NO_TRIE, "original_account": NO_TRIE,
    "original_storage": NO_TRIE, "transient": NO_TRIE, "ext_code": b"",
    "snapshot": NO_SNAPSHOT, "parent": ZERO_FRAME,
}


class WitnessReader:
    """A :class:`ordo.faultproof.step.StepIO` that hands out a witness's items in the order the
    step asks for them and remembers which fields it used."""

    def __init__(self, proofs: Proofs) -> None:
        self.proofs = proofs
        self.used: set[str] = set()
        self.memory_read = 0
        self.source_read = 0
        self.caller_memory_read = 0
        self.tries_read = 0

    def _take(self, name: str) -> object:
        if name in self.used:
            raise InvalidWitness(f"the step reads {name} twice")
        self.used.add(name)
        return getattr(self.proofs, name)

    def code(self, index: int) -> CellProof:
        return self._take("code")  # type: ignore[return-value]

    def code_next(self, index: int) -> CellProof:
        return self._take("code_next")  # type: ignore[return-value]

    def stack(self, count: int) -> StackProof:
        return self._take("stack")  # type: ignore[return-value]

    def memory(self, index: int) -> CellProof:
        if self.memory_read >= len(self.proofs.memory):
            raise InvalidWitness("the witness has too few memory cells")
        self.memory_read += 1
        return self.proofs.memory[self.memory_read - 1]

    def source(self, tree: Tree, index: int) -> CellProof:
        if self.source_read >= len(self.proofs.source):
            raise InvalidWitness("the witness has too few source cells")
        self.source_read += 1
        return self.proofs.source[self.source_read - 1]

    def jumpdest(self, index: int) -> CellProof:
        return self._take("jumpdest")  # type: ignore[return-value]

    def trie(self, field: TrieField, root: bytes, key: bytes, deleting: bool) -> TrieProof:
        if field is TrieField.LISTED:
            if self.tries_read >= len(self.proofs.tries):
                raise InvalidWitness("the witness has too few listed trie proofs (tries)")
            self.tries_read += 1
            return self.proofs.tries[self.tries_read - 1]
        return self._take(field.value)  # type: ignore[return-value]

    def parent(self) -> Frame:
        return self._take("parent")  # type: ignore[return-value]

    def caller_memory(self, index: int) -> CellProof:
        if self.caller_memory_read >= len(self.proofs.caller_memory):
            raise InvalidWitness("the witness has too few caller memory cells")
        self.caller_memory_read += 1
        return self.proofs.caller_memory[self.caller_memory_read - 1]

    def entered(self, caller: Frame, code: bytes, calldata: bytes,
                snapshot: Snapshot) -> None:
        return None

    def returned(self, returndata: bytes, logs_count: int) -> None:
        return None

    def set_returndata(self, returndata: bytes) -> None:
        return None

    def code_stored(self, code: bytes) -> None:
        return None

    def ext_code(self, code_hash: bytes, follow: bytes | None = None) -> bytes:
        return self._take("ext_code")  # type: ignore[return-value]

    def snapshot(self) -> Snapshot:
        return self._take("snapshot")  # type: ignore[return-value]

    def wrote_memory(self, index: int, cell: bytes) -> None:
        return None

    def wrote_trie(self, field: TrieField, root: bytes, key: bytes, value: bytes | None,
                   new_root: bytes) -> None:
        return None

    def stack_changed(self, removed: int, pushed: Sequence[int]) -> None:
        return None

    def memory_grew(self, size: int) -> None:
        return None

    def logged(self, address: bytes, topics: Sequence[bytes], data: bytes) -> None:
        return None

    def ended(self, output: bytes) -> None:
        return None

    def finish(self) -> None:
        """Refuse a witness with items the step did not read: one pre-state, one witness."""
        if self.memory_read != len(self.proofs.memory):
            raise InvalidWitness("the witness has more memory cells than the step reads")
        if self.source_read != len(self.proofs.source):
            raise InvalidWitness("the witness has more source cells than the step reads")
        if self.caller_memory_read != len(self.proofs.caller_memory):
            raise InvalidWitness("the witness has more caller memory cells than the step "
                                 "writes")
        if self.tries_read != len(self.proofs.tries):
            raise InvalidWitness("the witness has more listed trie proofs (tries) than the step "
                                 "reads")
        for name, unused in _UNUSED.items():
            if name not in self.used and getattr(self.proofs, name) != unused:
                raise InvalidWitness(f"the step does not read {name}, but it is not zero")


def verify_step(pre_commitment: bytes, witness: bytes, rules: ChainRules | None = None,
                queue: ForcedQueue = NO_QUEUE) -> bytes:
    """The post-state commitment of the step from the state ``pre_commitment`` with
    ``witness``; raises instead of ever returning a commitment the witness does not prove.
    The first word of every witness is the pre-state's phase (4.1); ``rules`` are the chain's
    constants, needed by block start, and by phases 2 and 4 on a chain with the L1 fee;
    ``queue`` the L1 forced-inclusion queue as the verifier reads it (4.1)."""
    try:
        phase = witness_phase(witness)
    except WitnessError as error:
        raise InvalidWitness(str(error)) from error
    if phase != PHASE_EVM:
        return verify_block_step(pre_commitment, witness, phase, rules, queue)
    try:
        pre_state, proofs = decode_witness(witness)
    except WitnessError as error:
        raise InvalidWitness(str(error)) from error
    if pre_state.commitment() != pre_commitment:
        raise InvalidWitness("the witness's pre-state is not the committed pre-state")
    if pre_state.phase != PHASE_EVM:
        raise InvalidWitness(f"phase {pre_state.phase} is not an EVM step")
    reader = WitnessReader(proofs)
    post_state = execute(pre_state, reader)
    reader.finish()
    return post_state.commitment()


def verify_block_step(pre_commitment: bytes, witness: bytes, phase: int,
                      rules: ChainRules | None, queue: ForcedQueue = NO_QUEUE) -> bytes:
    """Phases 1, 2, 4, 5 and 6 (4.1): decode, check the preimage, run the step, refuse what it
    did not read."""
    post: Post
    if rules is not None and rules.l1_fee and rules.l1_fee_rules is None and \
            phase in (PHASE_BLOCK_START, PHASE_TX_START, PHASE_TX_END):
        raise UnsupportedStep("a chain with the L1 data fee (state_transition.md 6.4) whose "
                              "l1Fee rules (scalars, vault) were not given (4.1-4.3)")
    try:
        if phase == PHASE_DONE:
            root = decode_done(witness)
            if final_state(root) != pre_commitment:
                raise InvalidWitness("the output root is not the final state's")
            return pre_commitment
        if phase == PHASE_BLOCK_START:
            first, start_proofs = decode_block_start(witness, rules is not None and
                                                     rules.l1_fee)
            if first_state(first.parent_output_root, first.inputs_root,
                           first.position) != pre_commitment:
                raise InvalidWitness("the witness's first state is not the committed pre-state")
            if rules is None:
                raise InvalidWitness("block start needs the chain's rules")
            io = WitnessIO(start_proofs)
            post = block_start(first, io, rules, queue)
        elif phase in (PHASE_TX_START, PHASE_TX_END, PHASE_BLOCK_END):
            fee = rules.l1_fee_rules if rules is not None else None
            state, proofs = decode_block_step(witness, fee is not None)
            if state.commitment() != pre_commitment:
                raise InvalidWitness("the witness's pre-state is not the committed pre-state")
            io = WitnessIO(proofs)
            if phase == PHASE_TX_START:
                post = tx_start(state, io, queue, fee)
            elif phase == PHASE_TX_END:
                post = tx_end(state, io, fee)
            else:
                post = block_end(state, io)
        else:
            raise InvalidWitness(f"no step starts in phase {phase}")
    except WitnessError as error:
        raise InvalidWitness(str(error)) from error
    io.finish()
    return post.commitment()
