"""Call frames in the step machine (docs/fault_proofs.md 3.8): a call step opens a child frame,
a halt at depth > 0 returns to the caller.

A ``CALL``, ``CALLCODE``, ``DELEGATECALL`` or ``STATICCALL`` step charges Prague's gas (memory
of both ranges, EIP-2929 access of the code source, value transfer and new-account costs,
EIP-150's 63/64 rule, the stipend), reads the call data from the caller's memory and the callee's
code whole (checked by its code hash), and produces the child's first state: its
``parent_frame`` is the hash of the **suspended caller**, the caller after the call's charges
with ``pc`` past the call, its arguments popped, and ``returndata_root`` / ``returndata_size``
holding the output range (offset as a word, size) until the return replaces them. A call that
fails before a frame (insufficient balance, depth 1024) or whose callee is a precompile (run in
the same step, as the transaction start does, ``precompile_call.py``) continues the caller.

A halt at depth > 0 reads the suspended caller from the witness (``parent``, checked against
``parent_frame``), rolls back to the child's entry snapshot on REVERT and exceptional halts,
writes the output into the caller's memory (``caller_memory``, at most 32 cells as in 3.3),
and continues the caller with the success flag pushed, the child's gas left returned and the
return data replaced, as py-evm's ``BaseCall.__call__`` does after ``apply_child_computation``.

Imported by :mod:`ordo.faultproof.step` at its end: the handlers use its run and halts.
"""

from __future__ import annotations

from dataclasses import replace

from eth_hash.auto import keccak

from ordo.execution.transaction_rules import is_delegation
from ordo.faultproof import creations, gas
from ordo.faultproof.cells import CELL_BYTES, cell_root, root_from_proof
from ordo.faultproof.code_bits import jumpdest_bitmap
from ordo.faultproof.machine_state import EMPTY_CELL_ROOT, ZERO32, Frame, MachineState
from ordo.faultproof.mpt_proof import BLANK_ROOT
from ordo.faultproof.opcodes import Op
from ordo.faultproof.precompile_call import run_precompile
from ordo.faultproof.step import (
    ACCESSED_VALUE,
    EMPTY_CODE_HASH,
    Account,
    InvalidWitness,
    StepIO,
    TrieField,
    UnsupportedStep,
    _bounded,
    _cells_of,
    _Halt,
    _require,
    _Run,
    _warm_account,
    proves,
    rolled_back,
    stack_fold,
)
from ordo.faultproof.witness import Snapshot, TrieProof

MAX_CALL_DEPTH = 1024
CALL_VALUE_GAS = 9000
NEW_ACCOUNT_GAS = 25_000
CALL_STIPEND = 2300

CALL_OPS: dict[int, Op] = {
    0xF1: Op("CALL", 7, 1, 0),
    0xF2: Op("CALLCODE", 7, 1, 0),
    0xF4: Op("DELEGATECALL", 6, 1, 0),
    0xFA: Op("STATICCALL", 6, 1, 0),
}
"""The call instructions of witness version 3 (static gas 0 since EIP-2929: the access cost is
charged with the rest)."""


def _snapshot_of(run: _Run) -> Snapshot:
    c = run.context
    return Snapshot(c.state_root, c.accessed_root, c.created_root, c.transient_root, c.refund,
                    c.logs_hash, c.logs_count)


def _transfer(run: _Run, sender: bytes, recipient: bytes, value: int,
              sender_account: Account, sender_proof: TrieProof) -> None:
    """Move ``value`` from ``sender`` (already read, with the first ``tries`` proof) to
    ``recipient`` (the second proof, against the root after the debit). A transfer to oneself
    changes nothing and reads no second proof."""
    if recipient == sender:
        return
    debited = replace(sender_account, balance=sender_account.balance - value)
    root = run.trie_write(TrieField.LISTED, run.context.state_root, keccak(sender),
                          debited.encoded(), sender_proof)
    run.context = replace(run.context, state_root=root)
    credited_before, proof = run.account_of(TrieField.LISTED, recipient)
    before = credited_before or Account(0, 0, BLANK_ROOT, EMPTY_CODE_HASH)
    credited = replace(before, balance=before.balance + value)
    root = run.trie_write(TrieField.LISTED, run.context.state_root, keccak(recipient),
                          credited.encoded(), proof)
    run.context = replace(run.context, state_root=root)


def _callee_code(run: _Run, code_hash: bytes) -> bytes:
    """The code a call runs (py-evm's ``get_code_at_address``): the code source's, or for an
    EIP-7702 delegation designator the delegate's, which is made warm and charged as the
    code source was. ``ext_code`` then holds the designator and the delegate's code; the
    delegate's warm insertion and its account are the first two ``tries``."""
    given = run.io.ext_code(code_hash, run.context.state_root)
    designator = given[:23]
    if not (is_delegation(designator) and keccak(designator) == code_hash):
        _require(keccak(given) == code_hash, "ext_code does not hash to the account's code hash")
        return given
    key = keccak(designator[3:])
    warm, proof = run.trie_read(TrieField.LISTED, run.context.accessed_root, key)
    delegate, _ = run.account_of(TrieField.LISTED, designator[3:])
    code = given[23:]
    _require(keccak(code) == (delegate.code_hash if delegate else EMPTY_CODE_HASH),
             "ext_code's delegated code does not hash to the delegate's code hash")
    run.charge(gas.WARM_ACCESS if warm is not None else gas.COLD_ACCOUNT_ACCESS)
    if warm is None:
        root = run.trie_write(TrieField.LISTED, run.context.accessed_root, key, ACCESSED_VALUE,
                              proof)
        run.context = replace(run.context, accessed_root=root)
    return code


def _call(run: _Run, immediate: int) -> MachineState:
    name = run.op.name
    frame = run.frame
    items = run.items
    transfers = name in ("CALL", "CALLCODE")
    if transfers:
        gas_arg, to, value, in_offset, in_size, out_offset, out_size = items
    else:
        gas_arg, to, in_offset, in_size, out_offset, out_size = items
        value = frame.value if name == "DELEGATECALL" else 0
    code_source = (to & ((1 << 160) - 1)).to_bytes(20, "big")
    if name == "CALL" and frame.is_static and value != 0:
        raise _Halt("a value transfer in a static frame")
    run.charge(run.grow((in_offset, in_size), (out_offset, out_size)))
    run.commit_growth()
    data = run.read_memory(in_offset, in_size)
    _warm_account(run, code_source)
    account, _ = run.account(code_source)
    code_hash = account.code_hash if account else EMPTY_CODE_HASH
    code = _callee_code(run, code_hash)
    if name in ("CALL", "STATICCALL") and account is not None and account.is_empty:
        raise UnsupportedStep("a call to an empty account present in the state (EIP-161 "
                              "touch): not in witness version 3 (3.8)")
    extra = 0
    if transfers and value:
        extra += CALL_VALUE_GAS
        if name == "CALL" and (account is None or account.is_empty):
            extra += NEW_ACCOUNT_GAS
    if run.gas < extra:
        raise _Halt("out of gas for the call's extra cost")
    child_gas = min(gas_arg, (run.gas - extra) - (run.gas - extra) // 64)
    run.charge(child_gas + extra)
    child_gas += CALL_STIPEND if transfers and value else 0
    sender = frame.caller if name == "DELEGATECALL" else frame.address
    storage_address = code_source if name in ("CALL", "STATICCALL") else frame.address
    caller_account: Account | None = None
    caller_proof = TrieProof()
    if transfers and value:
        caller_account, caller_proof = run.account_of(TrieField.LISTED, frame.address)
    insufficient = transfers and value > 0 and (
        caller_account is None or caller_account.balance < value)
    if insufficient or frame.depth + 1 > MAX_CALL_DEPTH:
        run.gas += child_gas
        run.io.set_returndata(b"")
        return run.done([0], returndata_root=EMPTY_CELL_ROOT, returndata_size=0)
    from ordo.faultproof.block_steps import PRECOMPILES  # imports this module's importer

    if code_source in PRECOMPILES:
        return _precompile(run, code_source, data, child_gas, sender, storage_address, value,
                           (caller_account, caller_proof), out_offset, out_size)
    entry = _snapshot_of(run)
    if transfers and value:
        assert caller_account is not None
        _transfer(run, frame.address, storage_address, value, caller_account, caller_proof)
    suspended = replace(
        frame, pc=frame.pc + 1, gas=run.gas, stack_hash=run.below,
        stack_size=frame.stack_size - run.op.reads, memory_root=run.memory_root,
        memory_size=run.memory_size, returndata_root=out_offset.to_bytes(32, "big"),
        returndata_size=out_size,
    )
    child = Frame(
        parent_frame=suspended.hash(), depth=frame.depth + 1, address=storage_address,
        caller=sender, value=value, is_static=frame.is_static or name == "STATICCALL",
        code_root=cell_root(code), code_size=len(code),
        jumpdests_root=cell_root(jumpdest_bitmap(code)), calldata_root=cell_root(data),
        calldata_size=len(data), pc=0, gas=child_gas, stack_hash=ZERO32, stack_size=0,
        memory_root=EMPTY_CELL_ROOT, memory_size=0, returndata_root=EMPTY_CELL_ROOT,
        returndata_size=0, entry_snapshot=_snapshot_hash(entry),
    )
    run.io.stack_changed(run.op.reads, ())
    run.io.entered(suspended, code, data, entry)
    return replace(run.state, context=run.context, frame=child)


def _snapshot_hash(snap: Snapshot) -> bytes:
    return keccak(b"".join((snap.state_root, snap.accessed_root, snap.created_root,
                            snap.transient_root, snap.refund.to_bytes(32, "big"),
                            snap.logs_hash, snap.logs_count.to_bytes(32, "big"))))


def _precompile(run: _Run, address: bytes, data: bytes, child_gas: int, sender: bytes,
                storage_address: bytes, value: int,
                caller: tuple[Account | None, TrieProof], out_offset: int,
                out_size: int) -> MachineState:
    """A precompile callee runs inside the call step (py-evm's ``apply_computation`` returns at
    once for one): the value moves only when it succeeds; a failure burns the child's gas and
    clears the return data."""
    result = run_precompile(address, data, child_gas, sender, value)
    if not result.success:
        run.io.set_returndata(b"")
        return run.done([0], returndata_root=EMPTY_CELL_ROOT, returndata_size=0)
    caller_account, caller_proof = caller
    if value and caller_account is not None:
        _transfer(run, run.frame.address, storage_address, value, caller_account, caller_proof)
    output = result.output
    run.gas += result.gas_left
    run.memory_root = _write_caller_memory(run.io, run.memory_root, out_offset,
                                           output[:min(out_size, len(output))])
    run.io.set_returndata(output)
    return run.done([1], returndata_root=cell_root(output), returndata_size=len(output))


def _write_caller_memory(io: StepIO, root: bytes, offset: int, data: bytes) -> bytes:
    """Write ``data`` at ``offset`` of the caller's memory with the ``caller_memory`` cells
    (each against the root after the earlier writes); the memory already covers the range (the
    call charged its expansion)."""
    for index in _bounded(_cells_of(offset, len(data)), "the output written to the caller"):
        proof = io.caller_memory(index)
        _require(proof.index == index,
                 f"caller memory cell {proof.index} given, {index} expected")
        _require(proves(index, proof.cell, proof.siblings, root),
                 f"caller memory cell {index} does not prove against the caller's memory root")
        cell = bytearray(proof.cell)
        base = index * CELL_BYTES
        for position in range(CELL_BYTES):
            source = base + position - offset
            if 0 <= source < len(data):
                cell[position] = data[source]
        root = root_from_proof(index, bytes(cell), proof.siblings)
        io.wrote_memory(index, bytes(cell))
    return root


def return_to_caller(state: MachineState, frame: Frame, io: StepIO, *, success: bool,
                     output: bytes, gas_left: int, rollback: bool,
                     burn: bool) -> MachineState:
    """The caller's state after the child ``frame`` halted (3.8): ``burn`` for an exceptional
    halt (no gas back, no return data, nothing written to memory)."""
    context = rolled_back(state.context, io, frame) if rollback else state.context
    parent = io.parent()
    if parent.hash() != frame.parent_frame:
        raise InvalidWitness("the parent frame is not the preimage of parent_frame")
    if parent.returndata_size == creations.CREATE_MARK:
        return creations.creation_returned(state, frame, parent, context, io, success=success,
                                           output=output, gas_left=gas_left, burn=burn)
    returned = b"" if burn else output
    io.returned(returned, context.logs_count)
    out_offset = int.from_bytes(parent.returndata_root, "big")
    out_size = parent.returndata_size
    memory_root = parent.memory_root
    if not burn:
        memory_root = _write_caller_memory(io, memory_root, out_offset,
                                           output[:min(out_size, len(output))])
    flag = 1 if success else 0
    io.stack_changed(0, (flag,))
    resumed = replace(
        parent, gas=parent.gas + (0 if burn else gas_left),
        stack_hash=stack_fold(parent.stack_hash, (flag,)), stack_size=parent.stack_size + 1,
        memory_root=memory_root, returndata_root=cell_root(returned),
        returndata_size=len(returned),
    )
    return replace(state, context=context, frame=resumed)


HANDLERS = {op.name: _call for op in CALL_OPS.values()}
