"""Transaction start, phase 2 (docs/fault_proofs.md 4.1-4.2): the next forced-queue item
while the block's prelude lasts, else the next transaction checked (the engine's own decoding
and inclusion rules), its gas bought and its keys warmed, then the sub-steps of a started
transaction (more access-list keys, EIP-7702 authorizations) and the opening of its depth-0
frame. Fed by a :class:`ordo.faultproof.block_steps.BlockIO` like the other block steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import rlp
from eth.abc import SignedTransactionAPI
from eth_hash.auto import keccak
from eth_keys import keys

from ordo.core.errors import RejectedTransaction
from ordo.core.l1_fee import L1FeeRules, L1Prices, l1_fee
from ordo.core.transaction import decode_transaction
from ordo.execution.transaction_rules import (
    DELEGATION_PREFIX,
    INITCODE_WORD_GAS,
    SET_CODE_TRANSACTION_TYPE,
    SenderAccount,
    inclusion_error,
    is_delegation,
    transaction_intrinsic_gas,
)
from ordo.faultproof import block_parts as bp
from ordo.faultproof import mpt_proof
from ordo.faultproof.block_steps import (
    EMPTY_ACCOUNT,
    MAX_CODE_SIZE,
    PRECOMPILES,
    PRECOMPILES_ACCESSED_ROOT,
    BlockIO,
    Final,
    Post,
    _inputs,
    _require,
    _totals,
    _transaction,
    _Tries,
    between_transactions,
    effective_gas_price,
    target_of,
    warm_keys,
)
from ordo.faultproof.cells import EMPTY_ROOT, cell_root
from ordo.faultproof.machine_state import (
    PHASE_EVM,
    PHASE_TX_END,
    ZERO32,
    ZERO_ADDRESS,
    Context,
    Frame,
    MachineState,
    Outcome,
    Pending,
    Tx,
)
from ordo.faultproof.precompile_call import run_precompile
from ordo.faultproof.step import ACCESSED_VALUE, EMPTY_CODE_HASH, Account, UnsupportedStep
from ordo.faultproof.witness import TrieProof
from ordo.faultproof.world import jumpdest_bitmap

WARM_KEYS_PER_STEP = 32
"""A transaction start inserts the sender, recipient and coinbase and at most this many
access-list keys (addresses and storage keys) into the accessed set; each later sub-step at
most this many more (4.2)."""
AUTHORIZATION_MAGIC = b"\x05"
AUTHORIZATION_REFUND = 25_000 - 12_500
"""EIP-7702: PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST, refunded for an existing authority."""



@dataclass(frozen=True)
class _Checked:
    """A transaction that decoded and passed 4.3 against its sender's account."""

    tx: SignedTransactionAPI
    sender: bytes
    account: Account
    proof: TrieProof
    l1_fee: int


def _l1_fee(raw: bytes, inputs: bp.BlockInputs, fee: L1FeeRules | None) -> int:
    """The transaction's L1 data fee at the block's L1 prices (state_transition.md 6.4): 0 on a
    chain without the fee, whose inputs carry no fee word (block start sees to that)."""
    if fee is None:
        _require(inputs.l1_fee_word == ZERO32,
                 "block inputs with an L1 fee word need the chain's l1Fee rules")
        return 0
    return l1_fee(raw, L1Prices.of_word(inputs.l1_fee_word), fee)


def _check_transaction(state: MachineState, io: BlockIO, tries: _Tries, raw: bytes,
                       l1_fee_wei: int) -> _Checked | None:
    """state_transition.md 4.1-4.3 on ``raw`` against the sender's account, the balance
    covering ``l1_fee_wei`` too (6.4 rule 1); None when refused."""
    block, context = state.block, state.context
    try:
        decoded = decode_transaction(raw)
    except RejectedTransaction:
        return None
    tx, sender = decoded.tx, decoded.sender
    account, proof = tries.account("sender", context.state_root, sender)
    code = tries.code("sender_code", account)
    current = account or EMPTY_ACCOUNT
    reason = inclusion_error(tx, sender, SenderAccount(current.nonce, current.balance, code),
                             block.base_fee, block.gas_limit - context.cumulative_gas,
                             block.chain_id, l1_fee_wei)
    return None if reason is not None else _Checked(tx, sender, current, proof, l1_fee_wei)


def tx_start(state: MachineState, io: BlockIO, queue: bp.ForcedQueue = bp.NO_QUEUE,
             fee: L1FeeRules | None = None) -> Post:
    """Phase 2 (4.1, 4.2): inside a started transaction its next authorization or its frame;
    else the next forced-queue item while the block's prelude lasts, else check and start
    transaction ``tx.tx_index``. ``fee``: the chain's ``l1Fee`` (6.4), charged at the start."""
    pending = state.frame
    if isinstance(pending, Pending):
        tx = _started_transaction(state, io)
        tries = _Tries(io)
        keys = warm_keys(tx, state.tx.origin, state.block.coinbase)
        if pending.next_key < len(keys):
            return _warm_more(state, tries, keys, pending)
        authorizations = (len(tx.authorization_list)
                          if tx.type_id == SET_CODE_TRANSACTION_TYPE else 0)
        if pending.next_authorization < authorizations:
            return _authorize(state, io, tries, tx, pending.next_authorization)
        if not tx.to:
            return _open_creation(state, tries, tx)
        return _open_frame(state, tries, tx)
    totals = _totals(io, state.context)
    tries = _Tries(io)
    if totals.forced_next < totals.forced_end:
        return _forced_item(state, io, tries, queue, totals, fee)
    inputs, raw = _transaction(io, state)
    checked = _check_transaction(state, io, tries, raw, _l1_fee(raw, inputs, fee))
    if checked is None:
        return Final(bp.INVALID_OUTPUT)
    return _start(state, tries, checked)


def _forced_item(state: MachineState, io: BlockIO, tries: _Tries, queue: bp.ForcedQueue,
                 totals: Any, fee: L1FeeRules | None) -> Post:
    """One item of the prelude (state_transition.md 5.3), read from the L1 queue: a deposit
    credits its recipient; a forced transaction that 4.1-4.3 refuse is a no-op; one they accept
    must be the block's transaction at ``tx_index`` (derivation's leading-transactions rule)
    and starts like any other."""
    block, context = state.block, state.context
    index = totals.forced_next
    advanced = bp.totals_hash(totals.receipts_root, totals.transactions_root, totals.bloom,
                              index + 1, totals.forced_end)
    record = queue.item(index)
    inputs = _inputs(io, block)
    if record.kind == bp.KIND_DEPOSIT:
        account, proof = tries.account("deposit", context.state_root, record.recipient)
        credited = replace(account or EMPTY_ACCOUNT,
                           balance=(account or EMPTY_ACCOUNT).balance + record.amount)
        root = tries.put_account("deposit", context.state_root, record.recipient, credited,
                                 proof)
        return between_transactions(
            block, state.tx.tx_index, inputs.tx_count,
            replace(context, state_root=root, totals_hash=advanced),
            index + 1 < totals.forced_end)
    raw = io.item("forced_tx")
    _require(keccak(raw) == record.transaction_hash, "forced_tx is not the queue item's")
    checked = _check_transaction(state, io, tries, raw, _l1_fee(raw, inputs, fee))
    if checked is None:
        return between_transactions(block, state.tx.tx_index, inputs.tx_count,
                                    replace(context, totals_hash=advanced),
                                    index + 1 < totals.forced_end)
    if state.tx.tx_index >= inputs.tx_count:
        return Final(bp.INVALID_OUTPUT)
    _, posted = _transaction(io, state, inputs)
    if posted != raw:
        return Final(bp.INVALID_OUTPUT)
    started = replace(state, context=replace(context, totals_hash=advanced))
    return _start(started, tries, checked)


def _start(state: MachineState, tries: _Tries, checked: _Checked) -> Post:
    """4.2 steps 4-6: buy gas, raise the nonce, warm the keys; then the authorizations of an
    EIP-7702 transaction (one sub-step each), or at once the frame (steps 7-8)."""
    block, context = state.block, state.context
    tx, sender, current, sender_proof = checked.tx, checked.sender, checked.account, \
        checked.proof
    keys = warm_keys(tx, sender, block.coinbase)
    price = effective_gas_price(tx, block.base_fee)
    bought = replace(current, balance=current.balance - int(tx.gas) * price - checked.l1_fee,
                     nonce=current.nonce + 1)
    entered = tries.put_account("sender", context.state_root, sender, bought, sender_proof)
    accessed = PRECOMPILES_ACCESSED_ROOT
    first = keys[:3 + WARM_KEYS_PER_STEP]
    for key in first:
        accessed = _warm(tries, accessed, key)
    tx_part = Tx(origin=sender, gas_price=price, tx_index=state.tx.tx_index,
                 tx_start_state_root=context.state_root, blob_hashes_root=EMPTY_ROOT)
    started = replace(state, tx=tx_part,
                      context=replace(context, state_root=entered, accessed_root=accessed))
    if len(first) < len(keys) or tx.type_id == SET_CODE_TRANSACTION_TYPE:
        return replace(started, frame=Pending(len(first), 0))
    if not tx.to:
        return _open_creation(started, tries, tx)
    return _open_frame(started, tries, tx)


def _open_creation(state: MachineState, tries: _Tries, tx: SignedTransactionAPI) -> Post:
    """A creation's frame (state_transition.md 4.4 step 6, py-evm's ``apply_create_message``):
    an address with a nonce or code is a collision (no frame: the transaction ends failed with
    all its gas); else the entry snapshot, the new account's nonce set to 1 (EIP-161), the
    value moved, and the init code run at the address with empty calldata, its EIP-3860 word
    cost charged first. The address enters the created set (EIP-6780)."""
    context = state.context
    sender, value, root = state.tx.origin, int(tx.value), context.state_root
    address = target_of(tx, sender)
    existing, proof = tries.account("callee", root, address)
    snapshot = Context(root, context.accessed_root, mpt_proof.BLANK_ROOT, mpt_proof.BLANK_ROOT,
                       context.refund, ZERO32, 0, 0, ZERO32).snapshot()
    if existing is not None and (existing.nonce or existing.code_hash != EMPTY_CODE_HASH):
        return replace(state, phase=PHASE_TX_END,
                       frame=Outcome(False, 0, EMPTY_ROOT, 0, snapshot))
    created = replace(existing or EMPTY_ACCOUNT, nonce=1)
    root = tries.put_account("callee", root, address, created, proof)
    root = _transfer(tries, root, sender, address, value)
    code = bytes(tx.data)
    words = (len(code) + 31) // 32
    gas = int(tx.gas) - transaction_intrinsic_gas(tx, include_initcode=False) - \
        INITCODE_WORD_GAS * words
    created_root = mpt_proof.write(mpt_proof.BLANK_ROOT, keccak(address), ACCESSED_VALUE, b"",
                                   b"")
    frame = _frame(address, sender, value, code, b"", gas, snapshot)
    new_context = replace(context, state_root=root, created_root=created_root)
    return MachineState(PHASE_EVM, state.block, state.tx, new_context, frame)


def _call_precompile(state: MachineState, tries: _Tries, tx: SignedTransactionAPI,
                     accessed: bytes, snapshot: bytes) -> MachineState:
    """A transaction to a precompile: the value moves, the precompile runs (no frame, no
    instruction steps), and the step goes to transaction end with its outcome; a failure
    (out of gas, bad input) rolls the transfer back, uses all gas and returns nothing."""
    context = state.context
    sender, to, value = state.tx.origin, bytes(tx.to), int(tx.value)
    root = _transfer(tries, context.state_root, sender, to, value)
    gas = int(tx.gas) - transaction_intrinsic_gas(tx, include_initcode=False)
    result = run_precompile(to, bytes(tx.data), gas, sender, value)
    if not result.success:
        root = context.state_root
    outcome = Outcome(result.success, result.gas_left, cell_root(result.output),
                      len(result.output), snapshot)
    return replace(state, phase=PHASE_TX_END, frame=outcome,
                   context=replace(context, state_root=root, accessed_root=accessed))


def _transfer(tries: _Tries, root: bytes, sender: bytes, to: bytes, value: int) -> bytes:
    """The message's value moved (none read when it is 0)."""
    if not value:
        return root
    payer, proof = tries.account("sender_value", root, sender)
    _require(payer is not None, "the sender is absent after buying gas")
    assert payer is not None
    root = tries.put_account("sender_value", root, sender,
                             replace(payer, balance=payer.balance - value), proof)
    payee, proof = tries.account("recipient", root, to)
    payee = payee or EMPTY_ACCOUNT
    return tries.put_account("recipient", root, to,
                             replace(payee, balance=payee.balance + value), proof)


def _frame(address: bytes, caller: bytes, value: int, code: bytes, data: bytes, gas: int,
           snapshot: bytes) -> Frame:
    return Frame(
        parent_frame=ZERO32, depth=0, address=address, caller=caller, value=value,
        is_static=False, code_root=cell_root(code), code_size=len(code),
        jumpdests_root=cell_root(jumpdest_bitmap(code)), calldata_root=cell_root(data),
        calldata_size=len(data), pc=0, gas=gas, stack_hash=ZERO32, stack_size=0,
        memory_root=EMPTY_ROOT, memory_size=0, returndata_root=EMPTY_ROOT, returndata_size=0,
        entry_snapshot=snapshot)


def _warm_more(state: MachineState, tries: _Tries, keys: Sequence[bytes],
               pending: Pending) -> MachineState:
    """The next access-list keys of a started transaction, at most
    :data:`WARM_KEYS_PER_STEP`."""
    accessed = state.context.accessed_root
    end = min(pending.next_key + WARM_KEYS_PER_STEP, len(keys))
    for key in keys[pending.next_key:end]:
        accessed = _warm(tries, accessed, key)
    return replace(state, context=replace(state.context, accessed_root=accessed),
                   frame=replace(pending, next_key=end))


def _warm(tries: _Tries, accessed: bytes, key: bytes) -> bytes:
    _, proof = tries.read("accessed", accessed, key)
    return tries.write("accessed", accessed, key, ACCESSED_VALUE, proof)


def _started_transaction(state: MachineState, io: BlockIO) -> SignedTransactionAPI:
    """The transaction of a started state, proved again (the state keeps only its hash's
    position): it decoded when it started."""
    _, raw = _transaction(io, state)
    return decode_transaction(raw).tx


def _authorize(state: MachineState, io: BlockIO, tries: _Tries, tx: SignedTransactionAPI,
               index: int) -> MachineState:
    """EIP-7702 authorization ``index`` (state_transition.md 4.4 step 3, py-evm's
    ``process_set_code_authorizations``): recover the authority, warm it, and unless its code
    is another contract's or its nonce differs, set its code to the delegation and raise its
    nonce (12,500 gas refunded when the account existed). A failure skips this authorization
    only."""
    context = state.context
    pending = state.frame
    assert isinstance(pending, Pending)
    after = replace(state, frame=replace(pending, next_authorization=index + 1))
    auth = tx.authorization_list[index]
    try:
        auth.validate(state.block.chain_id)
        message = AUTHORIZATION_MAGIC + rlp.encode([auth.chain_id, auth.address, auth.nonce])
        signature = keys.Signature(vrs=(auth.y_parity, auth.r, auth.s))
        authority = signature.recover_public_key_from_msg(message).to_canonical_address()
    except Exception:  # py-evm skips an authorization on any error
        return after
    accessed = _warm(tries, context.accessed_root, keccak(authority))
    after = replace(after, context=replace(context, accessed_root=accessed))
    account, proof = tries.account("authority", context.state_root, authority)
    code = tries.code("authority_code", account)
    if code and not is_delegation(code):
        return after
    if (account.nonce if account else 0) != auth.nonce:
        return after
    delegate = bytes(auth.address)
    designation = b"" if delegate == ZERO_ADDRESS else DELEGATION_PREFIX + delegate
    io.code_stored(designation)
    current = account or EMPTY_ACCOUNT
    updated = replace(current, code_hash=keccak(designation), nonce=current.nonce + 1)
    root = tries.put_account("authority", context.state_root, authority, updated, proof)
    refund = context.refund + (AUTHORIZATION_REFUND if account is not None else 0)
    return replace(after, context=replace(after.context, state_root=root, refund=refund))


def _open_frame(state: MachineState, tries: _Tries, tx: SignedTransactionAPI) -> MachineState:
    """4.2 steps 7-8: the callee's code (through a delegation: the delegate's, warmed), the
    entry snapshot, the value transfer, the depth-0 frame."""
    context = state.context
    sender, to, value = state.tx.origin, bytes(tx.to), int(tx.value)
    root, accessed = context.state_root, context.accessed_root
    callee, _ = tries.account("callee", root, to)
    code = tries.code("callee_code", callee)
    if is_delegation(code):
        delegate_address = code[3:]
        accessed = _warm(tries, accessed, keccak(delegate_address))
        delegate, _ = tries.account("delegate", root, delegate_address)
        code = tries.code("delegate_code", delegate)
    if len(code) > MAX_CODE_SIZE:
        raise UnsupportedStep(f"code of {len(code)} bytes exceeds EIP-170's {MAX_CODE_SIZE}")
    snapshot = Context(root, accessed, mpt_proof.BLANK_ROOT, mpt_proof.BLANK_ROOT,
                       context.refund, ZERO32, 0, 0, ZERO32).snapshot()
    if to in PRECOMPILES and not is_delegation(code):
        return _call_precompile(state, tries, tx, accessed, snapshot)
    root = _transfer(tries, root, sender, to, value)
    frame = _frame(to, sender, value, code, bytes(tx.data),
                   int(tx.gas) - transaction_intrinsic_gas(tx, include_initcode=False), snapshot)
    new_context = replace(context, state_root=root, accessed_root=accessed)
    return MachineState(PHASE_EVM, state.block, state.tx, new_context, frame)


