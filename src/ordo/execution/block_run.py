"""Running one block's transactions on one state, the part shared by building and re-executing.

A producer and a validator must make exactly the same decisions, so both go through
:meth:`BlockRun.apply`: the producer skips a transaction it refuses, the validator rejects the
whole block.
"""

from __future__ import annotations

from eth.abc import ReceiptAPI, SignedTransactionAPI
from eth.vm.forks.byzantium.constants import (
    EIP658_TRANSACTION_STATUS_CODE_FAILURE,
    EIP658_TRANSACTION_STATUS_CODE_SUCCESS,
)
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.state import PragueState
from eth.vm.interrupt import EVMMissingData
from eth_typing import Address

from ordo.core.l1_fee import L1Charging
from ordo.execution.evm_state import OrdoPragueState, trust_sender
from ordo.execution.transaction_rules import SenderAccount, inclusion_error


class BlockRun:
    """Applies transactions in order on ``state`` and accumulates receipts, gas and bloom."""

    def __init__(self, state: PragueState, *, base_fee: int, gas_limit: int, chain_id: int,
                 l1: L1Charging | None = None) -> None:
        self.state = state
        self.l1 = l1
        if isinstance(state, OrdoPragueState):
            state.l1_charging = l1
        elif l1 is not None:
            raise TypeError("the L1 data fee is charged by OrdoPragueState's executor only")
        self.base_fee = base_fee
        self.gas_limit = gas_limit
        self.chain_id = chain_id
        self.transactions: list[SignedTransactionAPI] = []
        self.senders: list[bytes] = []
        self.receipts: list[ReceiptAPI] = []
        self.gas_used = 0
        self.bloom = 0

    @property
    def gas_remaining(self) -> int:
        return self.gas_limit - self.gas_used

    def apply(self, tx: SignedTransactionAPI, sender: bytes) -> str | None:
        """Include ``tx`` and return None, or leave the state untouched and say why not."""
        state = self.state
        address = Address(sender)
        account = SenderAccount(
            nonce=state.get_nonce(address),
            balance=state.get_balance(address),
            code=state.get_code(address),
        )
        l1_fee = 0 if self.l1 is None else self.l1.fee(tx.encode())
        reason = inclusion_error(
            tx, sender, account, self.base_fee, self.gas_remaining, self.chain_id, l1_fee
        )
        if reason is not None:
            return reason
        trust_sender(tx, sender)
        state.lock_changes()
        snapshot = state.snapshot()
        try:
            computation = state.apply_transaction(tx)
        except EVMMissingData:
            state.revert(snapshot)
            raise
        except Exception as error:  # a py-evm refusal must cost one transaction, not the block
            state.revert(snapshot)
            return f"rejected by the EVM: {error}"
        state.commit(snapshot)
        self.gas_used += PragueVM.finalize_gas_used(tx, computation)
        status = (
            EIP658_TRANSACTION_STATUS_CODE_FAILURE
            if computation.is_error
            else EIP658_TRANSACTION_STATUS_CODE_SUCCESS
        )
        receipt = tx.make_receipt(status, self.gas_used, computation.get_log_entries())
        self.bloom |= int(receipt.bloom)
        self.transactions.append(tx)
        self.senders.append(sender)
        self.receipts.append(receipt)
        return None
