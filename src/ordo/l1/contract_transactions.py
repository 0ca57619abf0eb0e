"""Send a contract call as a transaction and wait until it is mined, refusing a failed one.

Shared by the deploy script and the nodes' evidence reporter: both need to know whether the
call took effect, and a reporter that times out needs the hash of what it sent, so it can look
for that transaction again instead of sending a second one.
"""

from __future__ import annotations

from typing import Any

from ordo.l1.chain_records import L1Receipt
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error, L1Timeout

DEFAULT_RECEIPT_TIMEOUT = 60.0


class TransactionReverted(L1Error):
    """The transaction was mined with status 0 (state changed between estimate and
    inclusion: gas estimation catches a revert before sending)."""

    def __init__(self, message: str, tx_hash: bytes, receipt: L1Receipt) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.receipt = receipt


class TransactionNotMined(L1Timeout):
    """The transaction was sent but no receipt came within the timeout; it may still be
    mined, so whoever retries should look for ``tx_hash`` before sending again."""

    def __init__(self, message: str, tx_hash: bytes) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


async def send_and_wait(handle: ContractHandle, account: LocalAccount, function: str,
                        *arguments: Any, confirmations: int = 1,
                        timeout: float = DEFAULT_RECEIPT_TIMEOUT) -> L1Receipt:
    """The successful receipt of ``function(*arguments)`` sent from ``account``.

    Raises L1RpcError (with ``revert_reason``) when gas estimation finds a revert, before
    anything is sent; TransactionReverted when it was mined and failed; TransactionNotMined
    when no receipt came in time.
    """
    sent = await handle.transact(account, function, *arguments)
    return await wait_for_success(handle, account, function, sent.tx_hash,
                                  confirmations=confirmations, timeout=timeout)


async def wait_for_success(handle: ContractHandle, account: LocalAccount, function: str,
                           tx_hash: bytes, *, confirmations: int = 1,
                           timeout: float = DEFAULT_RECEIPT_TIMEOUT) -> L1Receipt:
    """The receipt of an already sent ``function`` call, refused if it failed (the second half
    of send_and_wait, for a caller that lost the answer the first time)."""
    try:
        receipt = await handle.client.wait_for_receipt(tx_hash, confirmations, timeout)
    except L1Timeout as error:
        raise TransactionNotMined(f"{function} from 0x{account.address.hex()}: {error}",
                                  tx_hash) from error
    if not receipt.succeeded:
        raise TransactionReverted(
            f"{function} from 0x{account.address.hex()} reverted in block "
            f"{receipt.block_number} (transaction 0x{tx_hash.hex()})", tx_hash, receipt)
    return receipt
