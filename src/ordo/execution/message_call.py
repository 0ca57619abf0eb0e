"""eth_call and eth_estimateGas: run a message against a committed state and throw the state away.

The defaults and error texts follow geth, because wallets and libraries parse them: missing
``from`` is the zero address, missing gas is the block gas limit capped at 50M, no fee fields
means gas price 0 with no base-fee check (and BASEFEE reads 0, as in geth), the nonce is not
checked. Estimation is geth's binary search (with its optimistic first guess) but runs to the
exact minimum instead of stopping within 1.5%.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from eth.abc import AtomicDatabaseAPI, ComputationAPI, SignedTransactionAPI
from eth.exceptions import (
    ContractCreationCollision,
    FullStack,
    InsufficientFunds,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfBoundsRead,
    OutOfGas,
    ReservedBytesInCode,
    Revert,
    StackDepthLimit,
    WriteProtection,
)
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.state import PragueState, PragueTransactionExecutor
from eth_typing import Address, Hash32

from ordo.core.call import CallRequest
from ordo.core.errors import CallFailed, ExecutionReverted
from ordo.execution.revert_reason import decode_revert_reason
from ordo.execution.transaction_rules import (
    MAX_INITCODE_SIZE,
    TX_BASE_GAS,
    floor_data_gas,
    intrinsic_gas,
)

CALL_GAS_CAP = 50_000_000
ZERO_ADDRESS = b"\x00" * 20
CALL_STIPEND = 2_300

_VM_ERROR_TEXT: tuple[tuple[type[Exception], str], ...] = (
    (OutOfGas, "out of gas"),
    (InsufficientStack, "stack underflow"),
    (FullStack, "stack limit reached 1024"),
    (InvalidJumpDestination, "invalid jump destination"),
    (StackDepthLimit, "max call depth exceeded"),
    (WriteProtection, "write protection"),
    (OutOfBoundsRead, "return data out of bounds"),
    (ContractCreationCollision, "contract address collision"),
    (ReservedBytesInCode, "invalid code: must not begin with 0xef"),
    (InsufficientFunds, "insufficient balance for transfer"),
)


class IntrinsicGasTooLow(CallFailed):
    """The gas limit does not even cover the intrinsic (or EIP-7623 floor) cost."""


@dataclass(frozen=True)
class CallMessage:
    """The transaction-shaped object py-evm's executor reads; it has no signature."""

    sender: Address
    to: bytes
    gas: int
    gas_price: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    value: int
    data: bytes
    nonce: int = 0
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...] = ()
    authorization_list: tuple[Any, ...] = field(default_factory=tuple)
    type_id: int = 2
    chain_id: int | None = None

    @property
    def intrinsic_gas(self) -> int:
        # py-evm charges EIP-3860 initcode words inside the create computation.
        return intrinsic_gas(self.data, not self.to, self.access_list, include_initcode=False)


class UncheckedExecutor(PragueTransactionExecutor):
    """Calls are checked by :func:`prepare_message` with geth's rules; py-evm would check the
    nonce and signature, which eth_call must not."""

    def validate_transaction(self, transaction: SignedTransactionAPI) -> None:
        return None


class CallState(PragueState):
    """A call's state; it also records every address and slot the EVM marks warm (EIP-2929),
    including those of frames that reverted, which is what eth_createAccessList reports."""

    transaction_executor_class = UncheckedExecutor
    blob_base_fee_override: int | None = None  # geth's blobBaseFee block override
    accessed: dict[bytes, set[int]]

    def __init__(self, db: AtomicDatabaseAPI, context: ExecutionContext, root: Hash32) -> None:
        self.accessed = {}
        super().__init__(db, context, root)

    @property
    def blob_base_fee(self) -> int:
        if self.blob_base_fee_override is not None:
            return self.blob_base_fee_override
        return int(super().blob_base_fee)

    def mark_address_warm(self, address: Address) -> None:
        self.accessed.setdefault(bytes(address), set())
        super().mark_address_warm(address)

    def mark_storage_warm(self, address: Address, slot: int) -> None:
        self.accessed.setdefault(bytes(address), set()).add(slot)
        super().mark_storage_warm(address, slot)


@dataclass(frozen=True)
class PreparedCall:
    message: CallMessage
    fee_cap: int  # what the balance check multiplies gas by (0 for fee-less calls)
    charges_base_fee: bool


StateOpener = Callable[[int], CallState]
"""Opens a fresh state at the call's block; the argument is the base fee the context uses."""


def prepare_message(request: CallRequest, *, block_gas_limit: int, base_fee: int) -> PreparedCall:
    """Apply geth's defaults to ``request``; raises CallFailed for contradictory fee fields."""
    gas = request.gas if request.gas is not None else block_gas_limit
    gas = min(gas, CALL_GAS_CAP)
    sender = Address(request.sender if request.sender is not None else ZERO_ADDRESS)
    has_1559 = request.max_fee_per_gas is not None or request.max_priority_fee_per_gas is not None
    if request.gas_price is not None and has_1559:
        raise CallFailed(
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified"
        )
    if request.gas_price is not None:
        max_fee = tip = request.gas_price
    else:
        max_fee = request.max_fee_per_gas or 0
        tip = request.max_priority_fee_per_gas or 0
    charges_base_fee = max_fee > 0 or tip > 0
    address = "0x" + bytes(sender).hex()
    if tip > max_fee:
        raise CallFailed(
            f"max priority fee per gas higher than max fee per gas: address {address}, "
            f"maxPriorityFeePerGas: {tip}, maxFeePerGas: {max_fee}"
        )
    if charges_base_fee and max_fee < base_fee:
        raise CallFailed(
            f"max fee per gas less than block base fee: address {address}, "
            f"maxFeePerGas: {max_fee}, baseFee: {base_fee}"
        )
    effective_price = min(max_fee, tip + base_fee) if charges_base_fee else 0
    message = CallMessage(
        sender=sender,
        to=request.to or b"",
        gas=gas,
        gas_price=effective_price,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=tip,
        value=request.value,
        data=request.data,
        nonce=request.nonce or 0,
        access_list=request.access_list,
    )
    return PreparedCall(message=message, fee_cap=max_fee, charges_base_fee=charges_base_fee)


def precheck(state: PragueState, prepared: PreparedCall) -> None:
    """geth's state-transition pre-checks that still apply to calls (funds, intrinsic gas)."""
    message = prepared.message
    balance = state.get_balance(message.sender)
    want = message.gas * prepared.fee_cap + message.value
    if balance < want:
        raise CallFailed(
            f"insufficient funds for gas * price + value: address 0x{bytes(message.sender).hex()} "
            f"have {balance} want {want}"
        )
    is_create = not message.to
    if is_create and len(message.data) > MAX_INITCODE_SIZE:
        raise CallFailed(
            f"max initcode size exceeded: code size {len(message.data)} limit {MAX_INITCODE_SIZE}"
        )
    required = intrinsic_gas(message.data, is_create, message.access_list)
    if message.gas < required:
        raise IntrinsicGasTooLow(f"intrinsic gas too low: have {message.gas}, want {required}")
    floor = floor_data_gas(message.data)
    if message.gas < floor:
        raise IntrinsicGasTooLow(
            f"insufficient gas for floor data gas cost: have {message.gas}, want {floor}"
        )


def run_prepared(open_state: StateOpener, prepared: PreparedCall, base_fee: int) -> ComputationAPI:
    """The computation of a prepared message on a freshly opened state (raises CallFailed when
    a pre-check refuses it)."""
    return _run(open_state, prepared, base_fee)


def _run(open_state: StateOpener, prepared: PreparedCall, base_fee: int) -> ComputationAPI:
    state = open_state(base_fee if prepared.charges_base_fee else 0)
    precheck(state, prepared)
    state.lock_changes()
    return state.apply_transaction(prepared.message)  # type: ignore[arg-type]


def failure_of(computation: ComputationAPI) -> Exception:
    """The RPC error for a failed computation: a revert with its data, or geth's VM error text."""
    error = computation.error
    if isinstance(error, Revert):
        output = bytes(computation.output)
        return ExecutionReverted(output, decode_revert_reason(output))
    if isinstance(error, InvalidInstruction):
        return CallFailed(f"invalid opcode: {error}")
    for error_type, text in _VM_ERROR_TEXT:
        if isinstance(error, error_type):
            return CallFailed(text)
    return CallFailed(str(error) or type(error).__name__)


def run_call(open_state: StateOpener, request: CallRequest, *, block_gas_limit: int,
             base_fee: int) -> bytes:
    prepared = prepare_message(request, block_gas_limit=block_gas_limit, base_fee=base_fee)
    computation = _run(open_state, prepared, base_fee)
    if computation.is_error:
        raise failure_of(computation)
    return bytes(computation.output)


def estimate_gas(
    open_state: StateOpener,
    request: CallRequest,
    *,
    block_gas_limit: int,
    base_fee: int,
    code_size_of: Callable[[bytes], int],
) -> int:
    """The least gas limit with which ``request`` succeeds (geth's eth_estimateGas)."""
    if request.gas is not None and request.gas >= TX_BASE_GAS:
        high = request.gas
    else:
        high = block_gas_limit
    high = min(high, CALL_GAS_CAP)
    prepared = prepare_message(
        replace(request, gas=high), block_gas_limit=block_gas_limit, base_fee=base_fee
    )
    high = _cap_by_allowance(open_state, prepared, high, base_fee)
    message = prepared.message

    def attempt(gas: int) -> ComputationAPI | None:
        """The computation if the call succeeds with ``gas``, else None."""
        trial = replace(prepared, message=replace(message, gas=gas))
        try:
            computation = _run(open_state, trial, base_fee)
        except CallFailed:
            return None
        return None if computation.is_error else computation

    is_plain_transfer = bool(message.to) and not message.data
    if is_plain_transfer and code_size_of(message.to) == 0 and attempt(TX_BASE_GAS) is not None:
        return TX_BASE_GAS

    exceeds_allowance = CallFailed(f"gas required exceeds allowance ({high})")
    try:
        at_high = _run(open_state, replace(prepared, message=replace(message, gas=high)), base_fee)
    except IntrinsicGasTooLow as error:
        raise exceeds_allowance from error
    if at_high.is_error:
        failure = failure_of(at_high)
        if isinstance(at_high.error, OutOfGas):
            raise exceeds_allowance
        raise failure
    used = PragueVM.finalize_gas_used(replace(message, gas=high), at_high)  # type: ignore[arg-type]
    low = used - 1
    optimistic = (used + at_high.get_gas_refund() + CALL_STIPEND) * 64 // 63
    if optimistic < high:
        if attempt(optimistic) is not None:
            high = optimistic
        else:
            low = optimistic
    while low + 1 < high:
        middle = (low + high) // 2
        if attempt(middle) is not None:
            high = middle
        else:
            low = middle
    return high


def _cap_by_allowance(
    open_state: StateOpener, prepared: PreparedCall, high: int, base_fee: int
) -> int:
    if prepared.fee_cap == 0:
        return high
    state = open_state(base_fee)
    balance = state.get_balance(prepared.message.sender)
    if prepared.message.value > balance:
        raise CallFailed("insufficient funds for transfer")
    allowance = (balance - prepared.message.value) // prepared.fee_cap
    return min(high, allowance)


def open_call_state(
    db: AtomicDatabaseAPI, context: ExecutionContext, state_root: bytes
) -> CallState:
    return CallState(db, context, Hash32(state_root))
