"""CREATE, CREATE2, the return of a creation frame and SELFDESTRUCT in the step machine
(docs/fault_proofs.md 3.9).

A creation step opens a child frame running the init code (read from memory, at most 32 cells
as 3.3 bounds every copy) at the derived address, exactly as py-evm's ``Create.__call__`` and
``apply_create_message`` do; the suspended caller marks the creation by ``returndata_size =
CREATE_MARK`` (no call's output range can be that large: its memory would not fit in any gas)
with the new address in ``returndata_root``. The return of that frame deposits the code (200 gas
a byte, EIP-170 and EIP-3541 refusals rolling back to the entry snapshot) and pushes the address.
``SELFDESTRUCT`` of an account created before the transaction moves its balance (EIP-6780);
the deletion of an account created in the same transaction happens at the transaction's end in
py-evm and is not built yet (``UnsupportedStep``).

Imported by :mod:`ordo.faultproof.frames` at its end.
"""

from __future__ import annotations

from dataclasses import replace

import rlp
from eth_hash.auto import keccak

from ordo.faultproof import gas, mpt_proof
from ordo.faultproof.cells import cell_root
from ordo.faultproof.code_bits import jumpdest_bitmap
from ordo.faultproof.machine_state import (
    EMPTY_CELL_ROOT,
    ZERO32,
    Context,
    Frame,
    MachineState,
)
from ordo.faultproof.mpt_proof import BLANK_ROOT
from ordo.faultproof.opcodes import Op
from ordo.faultproof.step import (
    ACCESSED_VALUE,
    EMPTY_CODE_HASH,
    Account,
    InvalidWitness,
    StepIO,
    TrieField,
    UnsupportedStep,
    _Halt,
    _require,
    _Run,
    decode_account,
    rolled_back,
    stack_fold,
)
from ordo.faultproof.witness import Snapshot

CREATE_MARK = (1 << 256) - 1
"""``returndata_size`` of a caller suspended by a creation (3.9)."""
CREATE_GAS = 32_000
INITCODE_WORD_GAS = 2
MAX_CODE_SIZE = 24_576
CODE_DEPOSIT_GAS = 200
SELFDESTRUCT_NEW_ACCOUNT_GAS = 25_000
MAX_NONCE = (1 << 64) - 1

CREATE_OPS: dict[int, Op] = {
    0xF0: Op("CREATE", 3, 1, CREATE_GAS),
    0xF5: Op("CREATE2", 4, 1, CREATE_GAS),
    0xFF: Op("SELFDESTRUCT", 1, 0, 5000),
}


def _empty_account() -> Account:
    return Account(0, 0, BLANK_ROOT, EMPTY_CODE_HASH)


def _snapshot(context: Context) -> Snapshot:
    return Snapshot(context.state_root, context.accessed_root, context.created_root,
                    context.transient_root, context.refund, context.logs_hash,
                    context.logs_count)


def _write_account(run: _Run, address: bytes, account: Account, proof: object) -> None:
    root = run.trie_write(TrieField.LISTED, run.context.state_root, keccak(address),
                          account.encoded(), proof)  # type: ignore[arg-type]
    run.context = replace(run.context, state_root=root)


def _create(run: _Run, immediate: int) -> MachineState:
    frame = run.frame
    name = run.op.name
    if frame.is_static:
        raise _Halt("a creation in a static frame")
    value, offset, size = run.items[:3]
    words = gas.words(size)
    run.charge(INITCODE_WORD_GAS * words + (gas.KECCAK_PER_WORD * words if name == "CREATE2"
                                             else 0))
    run.charge(run.grow((offset, size)))
    run.commit_growth()
    creator, creator_proof = run.account(frame.address)
    _require(creator is not None, "the creating account is absent from the state")
    assert creator is not None
    if creator.balance < value or frame.depth + 1 > 1024 or creator.nonce + 1 > MAX_NONCE:
        run.io.set_returndata(b"")
        return run.done([0], returndata_root=EMPTY_CELL_ROOT, returndata_size=0)
    init_code = run.read_memory(offset, size)
    child_gas = run.gas - run.gas // 64
    run.charge(child_gas)
    if name == "CREATE":
        address = keccak(rlp.encode([frame.address, creator.nonce]))[12:]
    else:
        salt = run.items[3].to_bytes(32, "big")
        address = keccak(b"\xff" + frame.address + salt + keccak(init_code))[12:]
    root = run.trie_write(TrieField.ACCOUNT, run.context.state_root, keccak(frame.address),
                          replace(creator, nonce=creator.nonce + 1).encoded(), creator_proof)
    run.context = replace(run.context, state_root=root)
    warm, proof = run.access(keccak(address))
    if not warm:
        run.mark_warm(keccak(address), proof)
    existing, new_proof = run.account_of(TrieField.LISTED, address)
    if existing is not None and (existing.nonce != 0 or existing.code_hash != EMPTY_CODE_HASH):
        run.io.set_returndata(b"")  # a collision: the child's gas is not returned
        return run.done([0], returndata_root=EMPTY_CELL_ROOT, returndata_size=0)
    if existing is not None and existing.storage_root != BLANK_ROOT:
        raise UnsupportedStep("a creation over an account with storage and no code or nonce "
                              "(py-evm clears it): not in witness version 3 (3.9)")
    entry = _snapshot(run.context)
    created = replace(existing or _empty_account(), nonce=1)
    _write_account(run, address, created, new_proof)
    if value:
        payer, payer_proof = run.account_of(TrieField.LISTED, frame.address)
        assert payer is not None  # written just above
        _write_account(run, frame.address, replace(payer, balance=payer.balance - value),
                       payer_proof)
        before, credit_proof = run.account_of(TrieField.LISTED, address)
        assert before is not None
        _write_account(run, address, replace(before, balance=before.balance + value),
                       credit_proof)
    member, member_proof = run.trie_read(TrieField.LISTED, run.context.created_root,
                                         keccak(address))
    if member is None:
        created_root = run.trie_write(TrieField.LISTED, run.context.created_root,
                                      keccak(address), ACCESSED_VALUE, member_proof)
        run.context = replace(run.context, created_root=created_root)
    suspended = replace(
        frame, pc=frame.pc + 1, gas=run.gas, stack_hash=run.below,
        stack_size=frame.stack_size - run.op.reads, memory_root=run.memory_root,
        memory_size=run.memory_size, returndata_root=bytes(12) + address,
        returndata_size=CREATE_MARK,
    )
    child = Frame(
        parent_frame=suspended.hash(), depth=frame.depth + 1, address=address,
        caller=frame.address, value=value, is_static=False, code_root=cell_root(init_code),
        code_size=len(init_code), jumpdests_root=cell_root(jumpdest_bitmap(init_code)),
        calldata_root=EMPTY_CELL_ROOT, calldata_size=0, pc=0, gas=child_gas, stack_hash=ZERO32,
        stack_size=0, memory_root=EMPTY_CELL_ROOT, memory_size=0,
        returndata_root=EMPTY_CELL_ROOT, returndata_size=0,
        entry_snapshot=_context_snapshot_hash(entry),
    )
    run.io.stack_changed(run.op.reads, ())
    run.io.entered(suspended, init_code, b"", entry)
    return replace(run.state, context=run.context, frame=child)


def _context_snapshot_hash(snap: Snapshot) -> bytes:
    return Context(snap.state_root, snap.accessed_root, snap.created_root, snap.transient_root,
                   snap.refund, snap.logs_hash, snap.logs_count, 0, ZERO32).snapshot()


def _deposit(context: Context, io: StepIO, address: bytes, code: bytes) -> Context:
    """The created account (``tries[0]``, against the state root) gets the code hash."""
    key = keccak(address)
    proof = io.trie(TrieField.LISTED, context.state_root, key, False)
    _require(not proof.extra, "tries: an extra node for a proof that deletes nothing")
    try:
        account = decode_account(mpt_proof.read(context.state_root, key, proof.proof))
        _require(account is not None, "the created account is absent at its code deposit")
        assert account is not None
        deposited = replace(account, code_hash=keccak(code)).encoded()
        root = mpt_proof.write(context.state_root, key, deposited, proof.proof, proof.extra)
    except mpt_proof.MptProofError as error:
        raise InvalidWitness(f"tries: {error}") from error
    io.wrote_trie(TrieField.LISTED, context.state_root, key, deposited, root)
    io.code_stored(code)
    return replace(context, state_root=root)


def creation_returned(state: MachineState, frame: Frame, parent: Frame, context: Context,
                      io: StepIO, *, success: bool, output: bytes, gas_left: int,
                      burn: bool) -> MachineState:
    """The creator's state after its creation frame halted: on success the code deposit (py-evm's
    ``apply_create_message``), which may still fail; the address or 0 pushed."""
    address = parent.returndata_root[12:]
    if success:
        cost = CODE_DEPOSIT_GAS * len(output)
        if len(output) > MAX_CODE_SIZE or output[:1] == b"\xef" or cost > gas_left:
            context = rolled_back(context, io, frame)
            success, burn = False, True
        else:
            if output:
                context = _deposit(context, io, address, output)
            gas_left -= cost
    returned = output if not success and not burn else b""
    io.returned(returned, context.logs_count)
    flag = int.from_bytes(address, "big") if success else 0
    io.stack_changed(0, (flag,))
    resumed = replace(
        parent, gas=parent.gas + (0 if burn else gas_left),
        stack_hash=stack_fold(parent.stack_hash, (flag,)), stack_size=parent.stack_size + 1,
        returndata_root=cell_root(returned), returndata_size=len(returned),
    )
    return replace(state, context=context, frame=resumed)


def _selfdestruct(run: _Run, immediate: int) -> MachineState:
    frame = run.frame
    if frame.is_static:
        raise _Halt("SELFDESTRUCT in a static frame")
    beneficiary = (run.items[0] & ((1 << 160) - 1)).to_bytes(20, "big")
    warm, proof = run.access(keccak(beneficiary))
    if not warm:
        run.charge(gas.COLD_ACCOUNT_ACCESS)
        run.mark_warm(keccak(beneficiary), proof)
    member, _ = run.trie_read(TrieField.LISTED, run.context.created_root, keccak(frame.address))
    if member is not None:
        raise UnsupportedStep("SELFDESTRUCT of an account created in the same transaction "
                              "(EIP-6780 deletes it at the transaction's end): not in witness "
                              "version 3 (3.9)")
    own, _ = run.account(frame.address)
    balance = own.balance if own else 0
    if beneficiary == frame.address:
        return run.end(True, b"", rollback=False)
    receiver, receiver_proof = run.account_of(TrieField.LISTED, beneficiary)
    if receiver is not None and receiver.is_empty:
        raise UnsupportedStep("SELFDESTRUCT to an empty account present in the state "
                              "(EIP-161 touch): not in witness version 3 (3.9)")
    if receiver is None and balance:
        run.charge(SELFDESTRUCT_NEW_ACCOUNT_GAS)
    if balance:
        assert own is not None
        credited = replace(receiver or _empty_account(),
                           balance=(receiver.balance if receiver else 0) + balance)
        _write_account(run, beneficiary, credited, receiver_proof)
        drained, drained_proof = run.account_of(TrieField.LISTED, frame.address)
        assert drained is not None
        _write_account(run, frame.address, replace(drained, balance=0), drained_proof)
    return run.end(True, b"", rollback=False)


HANDLERS = {"CREATE": _create, "CREATE2": _create, "SELFDESTRUCT": _selfdestruct}
