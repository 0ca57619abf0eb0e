"""py-evm Prague state objects set up the way Ordo runs them.

Two departures from py-evm's own VM, both for speed, neither changing results:
- transactions reach the EVM with their sender already recovered (coincurve, at admission or by
  :func:`trust_sender`), so the executor skips py-evm's per-transaction signature recovery and
  verification (two pure-Python-wrapped EC operations per transaction);
- a whole block runs on one state object and its root is computed once, at the end.

Everything else follows py-evm's ``PragueVM.import_block`` step by step, so a block built here
has the state root py-evm computes for it: the block-start updates of the EIP-4788 beacon-roots
and EIP-2935 history contracts (which py-evm's Prague state installs), and the zero block reward
credited to the coinbase at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth.abc import AtomicDatabaseAPI, ComputationAPI, MessageAPI, SignedTransactionAPI
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.cancun.constants import (
    BEACON_ROOTS_ADDRESS,
    BEACON_ROOTS_CONTRACT_CODE,
    HISTORY_BUFFER_LENGTH,
)
from eth.vm.forks.prague.constants import (
    HISTORY_SERVE_WINDOW,
    HISTORY_STORAGE_ADDRESS,
    HISTORY_STORAGE_CONTRACT_CODE,
)
from eth.vm.forks.prague.state import PragueState, PragueTransactionExecutor
from eth_typing import Address, BlockNumber, Hash32

from ordo.core.l1_fee import L1Charging
from ordo.core.predeploys import GAS_PRICE_ORACLE_ADDRESS

ZERO_HASH = b"\x00" * 32
ZERO_ADDRESS = b"\x00" * 20
MAX_ANCESTOR_HASHES = 256


class TrustedSenderExecutor(PragueTransactionExecutor):
    """Skips ``transaction.validate()`` (field ranges and signature re-verification): Ordo has
    checked both before a transaction gets here (decoding and :mod:`transaction_rules`). The
    state-level checks (nonce, balance, fee cap) still run.

    On a chain with the L1 data fee (state_transition.md 6.4) it also charges that fee with
    the gas purchase and, at the end, pays the fee vault the base fee of the gas charged plus
    the L1 fee (py-evm would burn the base fee).
    """

    vm_state: OrdoPragueState

    def validate_transaction(self, transaction: SignedTransactionAPI) -> None:
        self.vm_state.validate_transaction(transaction)

    def build_evm_message(self, transaction: SignedTransactionAPI) -> MessageAPI:
        charging = self.vm_state.l1_charging
        if charging is not None:
            self.vm_state.delta_balance(transaction.sender, -charging.fee(transaction.encode()))
        return super().build_evm_message(transaction)

    def finalize_computation(
        self, transaction: SignedTransactionAPI, computation: ComputationAPI
    ) -> ComputationAPI:
        charging = self.vm_state.l1_charging
        if charging is None:
            return super().finalize_computation(transaction, computation)
        gas_used = transaction.gas - computation.get_gas_remaining()
        refund = self.calculate_gas_refund(computation, gas_used)
        finished = super().finalize_computation(transaction, computation)
        charged = gas_used - refund + computation.data_floor_gas
        vault_share = charged * self.vm_state.base_fee + charging.fee(transaction.encode())
        self.vm_state.delta_balance(Address(charging.rules.vault), vault_share)
        return finished


class OrdoPragueState(PragueState):
    transaction_executor_class = TrustedSenderExecutor
    l1_charging: L1Charging | None = None
    """Set by the block run on a chain with the L1 data fee; None for calls and estimates."""


def trust_sender(tx: SignedTransactionAPI, sender: bytes) -> None:
    """Seed py-evm's cached ``sender`` so it is never recovered again.

    ``sender`` must be the address recovered from this very transaction's signature.
    """
    tx.__dict__["sender"] = Address(sender)


def make_context(
    *,
    coinbase: bytes,
    timestamp: int,
    block_number: int,
    gas_limit: int,
    base_fee: int,
    chain_id: int,
    ancestor_hashes: Sequence[bytes],
    mix_hash: bytes = ZERO_HASH,
) -> ExecutionContext:
    """Block context; ``ancestor_hashes`` starts with the parent's hash (BLOCKHASH source)."""
    return ExecutionContext(
        coinbase=Address(coinbase),
        timestamp=timestamp,
        block_number=BlockNumber(block_number),
        difficulty=0,
        mix_hash=Hash32(mix_hash),
        gas_limit=gas_limit,
        prev_hashes=tuple(Hash32(h) for h in ancestor_hashes[:MAX_ANCESTOR_HASHES]),
        chain_id=chain_id,
        base_fee_per_gas=base_fee,
        excess_blob_gas=0,
    )


def open_state(
    db: AtomicDatabaseAPI, context: ExecutionContext, state_root: bytes
) -> OrdoPragueState:
    return OrdoPragueState(db, context, Hash32(state_root))


def apply_block_start(
    state: PragueState,
    block_number: int,
    timestamp: int,
    parent_hash: bytes,
    parent_beacon_block_root: bytes = ZERO_HASH,
    l1_charging: L1Charging | None = None,
) -> None:
    """The system-contract writes py-evm's Prague VM makes before the first transaction, and
    on a chain with the L1 data fee the GasPriceOracle's slots (state_transition.md 5.2, 6.4)."""
    if l1_charging is not None:
        for slot, value in l1_charging.oracle_slots():
            state.set_storage(Address(GAS_PRICE_ORACLE_ADDRESS), slot, value)
    if state.get_code(BEACON_ROOTS_ADDRESS) == BEACON_ROOTS_CONTRACT_CODE:
        slot = timestamp % HISTORY_BUFFER_LENGTH
        state.set_storage(BEACON_ROOTS_ADDRESS, slot, timestamp)
        state.set_storage(
            BEACON_ROOTS_ADDRESS,
            slot + HISTORY_BUFFER_LENGTH,
            int.from_bytes(parent_beacon_block_root, "big"),
        )
    if state.get_code(HISTORY_STORAGE_ADDRESS) == HISTORY_STORAGE_CONTRACT_CODE:
        state.set_storage(
            HISTORY_STORAGE_ADDRESS,
            (block_number - 1) % HISTORY_SERVE_WINDOW,
            int.from_bytes(parent_hash, "big"),
        )


def apply_block_end(state: PragueState, coinbase: bytes) -> None:
    """py-evm credits a zero block reward after the transactions; the touch matters for the
    state root when the coinbase account did not exist before."""
    state.delta_balance(Address(coinbase), 0)
