"""ERC-7528 pseudo-logs for ether transfers, as geth's eth_simulateV1 writes them with
``traceTransfers``: a ``Transfer(from, to, value)`` log from 0xEeee...EEeE for every call frame
that moves value (the transaction's own value included, DELEGATECALL and CALLCODE excluded).

The log is added to the frame that receives the value, when the frame starts, so it takes its
place among the real logs in execution order and disappears with the frame if that reverts.
Value sent by SELFDESTRUCT is not traced.
"""

from __future__ import annotations

from eth.abc import MessageAPI, StateAPI, TransactionContextAPI
from eth.vm.forks.prague.computation import PragueComputation
from eth_hash.auto import keccak
from eth_typing import Address

from ordo.execution.message_call import CallState

TRANSFER_LOG_ADDRESS = Address(bytes.fromhex("ee" * 20))
TRANSFER_TOPIC = int.from_bytes(keccak(b"Transfer(address,address,uint256)"), "big")


def _moves_value(message: MessageAPI) -> bool:
    if not message.should_transfer_value or not message.value:
        return False
    is_callcode = (message.sender == message.storage_address
                   and message.code_address != message.storage_address)
    return not is_callcode


class TransferLoggingComputation(PragueComputation):
    def __init__(self, state: StateAPI, message: MessageAPI,
                 transaction_context: TransactionContextAPI) -> None:
        super().__init__(state, message, transaction_context)
        if _moves_value(message):
            topics = (TRANSFER_TOPIC, int.from_bytes(message.sender, "big"),
                      int.from_bytes(message.storage_address, "big"))
            self.add_log_entry(TRANSFER_LOG_ADDRESS, topics, message.value.to_bytes(32, "big"))


class TransferLoggingCallState(CallState):
    computation_class = TransferLoggingComputation
