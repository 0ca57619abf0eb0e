"""eth_simulateV1: calls run as transactions of a chain of simulated blocks on top of a base
block, after geth's internal/ethapi/simulate.go.

Each simulated block gets its number, time, fee recipient, gas limit, prevRandao and base fee
from its block overrides or from geth's defaults (number +1, time +12 s, the base block's
recipient and gas limit). Block number gaps are filled with empty blocks. State overrides apply
before a block's calls; the calls then run in order on one evolving state (nonces, balances,
fees and storage carry over from call to call and block to block), and each block is sealed
with real roots, so its hash is that of a block with these (unsigned) transactions.

Without ``validation`` the calls run like eth_call (no nonce check, a base fee of 0 unless
overridden, no fee fields meaning gas price 0); with it they must be valid transactions
(nonce, fee cap over the base fee computed from the parent, funds). A call that reverts or
fails in the EVM is reported in its result; a call that cannot be a transaction at all fails
the whole request with geth's error code.

Left out: ``movePrecompileToAddress``, the beaconRoot and withdrawals block overrides, and
SELFDESTRUCT transfers in ``traceTransfers``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from eth.abc import (
    AtomicDatabaseAPI,
    BlockHeaderAPI,
    ComputationAPI,
    ReceiptAPI,
    SignedTransactionAPI,
)
from eth.vm.forks.byzantium.constants import (
    EIP658_TRANSACTION_STATUS_CODE_FAILURE,
    EIP658_TRANSACTION_STATUS_CODE_SUCCESS,
)
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_typing import Address, Hash32

from ordo.core.block import Block
from ordo.core.call import CallRequest
from ordo.core.errors import CallFailed
from ordo.execution import message_call
from ordo.execution.block_assembly import make_header, receipts_root, transactions_root
from ordo.execution.call_overrides import BlockOverrides, StateOverrides, apply_state_overrides
from ordo.execution.evm_state import apply_block_end, apply_block_start, make_context
from ordo.execution.transfer_logs import TransferLoggingCallState

MAX_SIMULATED_BLOCKS = 256
TIMESTAMP_INCREMENT = 12

# geth's error codes (internal/ethapi/errors.go)
NONCE_TOO_HIGH = -38011
NONCE_TOO_LOW = -38010
INTRINSIC_GAS = -38013
INSUFFICIENT_FUNDS = -38014
BLOCK_GAS_LIMIT_REACHED = -38015
BLOCK_NUMBER_INVALID = -38020
BLOCK_TIMESTAMP_INVALID = -38021
MAX_INITCODE_SIZE_EXCEEDED = -38025
CLIENT_LIMIT_EXCEEDED = -38026
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
VM_ERROR = -32015


class SimulationError(Exception):
    """The whole simulation is refused; ``code`` is geth's JSON-RPC code for the reason."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class SimulatedBlockCalls:
    """One entry of blockStateCalls."""

    block: BlockOverrides = field(default_factory=BlockOverrides)
    state: StateOverrides = field(default_factory=dict)
    calls: tuple[CallRequest, ...] = ()


@dataclass(frozen=True)
class SimulationRequest:
    blocks: tuple[SimulatedBlockCalls, ...]
    validation: bool = False
    trace_transfers: bool = False


@dataclass(frozen=True)
class SimulatedLog:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    log_index: int  # within the block


@dataclass(frozen=True)
class SimulatedCall:
    return_data: bytes
    logs: tuple[SimulatedLog, ...]
    gas_used: int
    success: bool
    error: Exception | None  # ExecutionReverted or CallFailed (an EVM error)


@dataclass(frozen=True)
class SimulatedBlock:
    block: Block
    receipts: tuple[ReceiptAPI, ...]
    calls: tuple[SimulatedCall, ...]


@dataclass(frozen=True)
class SimulationBase:
    """What the engine provides: the base block, its BLOCKHASH ancestry, the chain rules."""

    header: BlockHeaderAPI
    ancestors: tuple[bytes, ...]  # hashes of the base block and its ancestors, newest first
    chain_id: int
    next_base_fee: Callable[[BlockHeaderAPI], int]
    open_database: Callable[[], AtomicDatabaseAPI]


def sanitize_chain(base: BlockHeaderAPI,
                   blocks: Sequence[SimulatedBlockCalls]) -> list[SimulatedBlockCalls]:
    """Numbers and times for every block, gaps filled with empty blocks (geth's rules)."""
    if not blocks:
        raise SimulationError("empty input", INVALID_PARAMS)
    if len(blocks) > MAX_SIMULATED_BLOCKS:
        raise SimulationError("too many blocks", CLIENT_LIMIT_EXCEEDED)
    base_number = int(base.block_number)
    previous_number, previous_time = base_number, int(base.timestamp)
    chain: list[SimulatedBlockCalls] = []
    for entry in blocks:
        number = previous_number + 1 if entry.block.number is None else entry.block.number
        if number <= previous_number:
            raise SimulationError(
                f"block numbers must be in order: {number} <= {previous_number}",
                BLOCK_NUMBER_INVALID)
        if number - base_number > MAX_SIMULATED_BLOCKS:
            raise SimulationError("too many blocks", CLIENT_LIMIT_EXCEEDED)
        for gap in range(previous_number + 1, number):
            previous_time += TIMESTAMP_INCREMENT
            chain.append(SimulatedBlockCalls(block=BlockOverrides(number=gap,
                                                                  time=previous_time)))
        if entry.block.time is None:
            time = previous_time + TIMESTAMP_INCREMENT
        else:
            time = entry.block.time
            if time <= previous_time:
                raise SimulationError(
                    f"block timestamps must be in order: {time} <= {previous_time}",
                    BLOCK_TIMESTAMP_INVALID)
        chain.append(replace(entry, block=replace(entry.block, number=number, time=time)))
        previous_number, previous_time = number, time
    return chain


class Simulator:
    """Runs one eth_simulateV1 request; not reusable."""

    def __init__(self, base: SimulationBase, request: SimulationRequest) -> None:
        self._base = base
        self._request = request
        self._db = base.open_database()
        self._gas_budget = message_call.CALL_GAS_CAP

    def run(self) -> list[SimulatedBlock]:
        chain = sanitize_chain(self._base.header, self._request.blocks)
        parent = self._base.header
        ancestors = self._base.ancestors
        results: list[SimulatedBlock] = []
        for entry in chain:
            simulated = self._run_block(entry, parent, ancestors)
            results.append(simulated)
            parent = simulated.block.header
            ancestors = (simulated.block.hash, *ancestors)
        return results

    def _run_block(self, entry: SimulatedBlockCalls, parent: BlockHeaderAPI,
                   ancestors: tuple[bytes, ...]) -> SimulatedBlock:
        overrides = entry.block
        assert overrides.number is not None and overrides.time is not None
        number, timestamp = overrides.number, overrides.time
        coinbase = overrides.fee_recipient or bytes(self._base.header.coinbase)
        gas_limit = overrides.gas_limit or int(self._base.header.gas_limit)
        mix_hash = overrides.prev_randao or b"\x00" * 32
        if overrides.base_fee_per_gas is not None:
            base_fee = overrides.base_fee_per_gas
        elif self._request.validation:
            base_fee = self._base.next_base_fee(parent)
        else:
            base_fee = 0
        context = make_context(
            coinbase=coinbase, timestamp=timestamp, block_number=number, gas_limit=gas_limit,
            base_fee=base_fee, chain_id=self._base.chain_id, ancestor_hashes=ancestors,
            mix_hash=mix_hash,
        )
        state_class = (TransferLoggingCallState if self._request.trace_transfers
                       else message_call.CallState)
        state = state_class(self._db, context, Hash32(bytes(parent.state_root)))
        state.blob_base_fee_override = overrides.blob_base_fee
        apply_state_overrides(state, entry.state)
        apply_block_start(state, number, timestamp, bytes(parent.hash))
        transactions: list[SignedTransactionAPI] = []
        senders: list[bytes] = []
        receipts: list[ReceiptAPI] = []
        calls: list[SimulatedCall] = []
        gas_used = bloom = log_index = 0
        for call in entry.calls:
            tx, sender, computation, used = self._run_call(state, call, base_fee, gas_limit,
                                                           gas_used)
            gas_used += used
            entries = computation.get_log_entries()
            status = (EIP658_TRANSACTION_STATUS_CODE_FAILURE if computation.is_error
                      else EIP658_TRANSACTION_STATUS_CODE_SUCCESS)
            receipt = tx.make_receipt(status, gas_used, entries)
            bloom |= int(receipt.bloom)
            logs = []
            for address, topics, data in entries:
                logs.append(SimulatedLog(bytes(address),
                                         tuple(topic.to_bytes(32, "big") for topic in topics),
                                         bytes(data), log_index))
                log_index += 1
            calls.append(SimulatedCall(
                return_data=bytes(computation.output), logs=tuple(logs), gas_used=used,
                success=not computation.is_error,
                error=message_call.failure_of(computation) if computation.is_error else None))
            transactions.append(tx)
            senders.append(sender)
            receipts.append(receipt)
        apply_block_end(state, coinbase)
        state.persist()
        header = make_header(
            parent_hash=bytes(parent.hash), block_number=number, coinbase=coinbase,
            timestamp=timestamp, gas_limit=gas_limit, extra_data=b"", base_fee=base_fee,
            state_root=bytes(state.state_root), transaction_root=transactions_root(transactions),
            receipt_root=receipts_root(receipts), bloom=bloom, gas_used=gas_used,
            mix_hash=mix_hash,
        )
        block = Block(header=header, transactions=tuple(transactions), senders=tuple(senders))
        return SimulatedBlock(block=block, receipts=tuple(receipts), calls=tuple(calls))

    def _run_call(self, state: message_call.CallState, call: CallRequest, base_fee: int,
                  gas_limit: int, gas_used: int,
                  ) -> tuple[SignedTransactionAPI, bytes, ComputationAPI, int]:
        sender = call.sender or message_call.ZERO_ADDRESS
        state_nonce = state.get_nonce(Address(sender))
        nonce = state_nonce if call.nonce is None else call.nonce
        gas = gas_limit - gas_used if call.gas is None else call.gas
        if gas_used + gas > gas_limit:
            raise SimulationError(f"block gas limit reached: {gas_used} >= {gas_limit}",
                                  BLOCK_GAS_LIMIT_REACHED)
        gas = min(gas, self._gas_budget)
        address = "0x" + sender.hex()
        if self._request.validation and nonce != state_nonce:
            kind, code = ("high", NONCE_TOO_HIGH) if nonce > state_nonce else \
                ("low", NONCE_TOO_LOW)
            raise SimulationError(
                f"nonce too {kind}: address {address}, tx: {nonce} state: {state_nonce}", code)
        request = replace(call, sender=sender, gas=gas, nonce=nonce)
        try:
            prepared = message_call.prepare_message(request, block_gas_limit=gas_limit,
                                                    base_fee=base_fee)
            message_call.precheck(state, prepared)
        except CallFailed as error:
            raise SimulationError(error.message, _code_of(error.message)) from error
        state.lock_changes()
        computation = state.apply_transaction(prepared.message)  # type: ignore[arg-type]
        used = PragueVM.finalize_gas_used(prepared.message, computation)  # type: ignore[arg-type]
        self._gas_budget -= used
        message = prepared.message
        unsigned = PragueTransactionBuilder.new_dynamic_fee_transaction(
            chain_id=self._base.chain_id, nonce=nonce,
            max_priority_fee_per_gas=message.max_priority_fee_per_gas,
            max_fee_per_gas=message.max_fee_per_gas, gas=gas,
            to=Address(message.to), value=message.value, data=message.data,
            access_list=tuple((Address(a), tuple(slots)) for a, slots in message.access_list),
            y_parity=0, r=0, s=0,
        )
        # London's builder makes London's class; re-decoding gives Prague's, which PragueBlock
        # bodies (and so block size and encoding) can serialize.
        tx = PragueTransactionBuilder.decode(unsigned.encode())
        return tx, sender, computation, used


def _code_of(message: str) -> int:
    for prefix, code in (
        ("insufficient funds", INSUFFICIENT_FUNDS),
        ("intrinsic gas too low", INTRINSIC_GAS),
        ("insufficient gas for floor data gas cost", INTRINSIC_GAS),
        ("max initcode size exceeded", MAX_INITCODE_SIZE_EXCEEDED),
        ("max fee per gas less than block base fee", INVALID_PARAMS),
        ("max priority fee per gas higher than max fee per gas", INVALID_PARAMS),
        ("both gasPrice and", INVALID_PARAMS),
    ):
        if message.startswith(prefix):
            return code
    return INTERNAL_ERROR
