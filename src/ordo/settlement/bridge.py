"""Moving ETH between L1 and Ordo: deposit, withdraw, prove, finalize and the status of each.

The steps a user takes, each over plain JSON-RPC to an L1 endpoint and an Ordo node:

1. ``deposit``: ``ForcedInclusionQueue.deposit(recipient)`` on L1; the queue keeps the fee and
   hands the rest to the portal; every Ordo block that names an L1 origin at or after the
   deposit's block mints it on L2 (forced inclusion, within the queue's inclusion window).
2. ``withdraw``: ``L2ToL1MessagePasser.initiate_withdrawal`` on L2 (the ETH is burned there).
3. ``prove``: once a batch covering the withdrawal's block has landed, the portal is shown the
   batch's output root preimage (from ``ordo_outputAtBlock``) and a storage proof of the
   withdrawal's slot (from ``eth_getProof``) at the batch's last block.
4. ``finalize``: after the batch's challenge window, the portal pays the target.

Every refusal is a BridgeRefused naming what is missing (batch not landed, window not over,
already finalized), found before anything is sent where the chain lets us know.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.output_root import OUTPUT_VERSION
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS
from ordo.derivation.errors import DerivationError
from ordo.derivation.inbox_batches import AcceptedBatch, accepted_batch, batch_accepted_topic
from ordo.l1.abi_codec import ContractAbi
from ordo.l1.chain_records import L1Receipt, LogFilter
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.contract_transactions import wait_for_success
from ordo.l1.local_account import LocalAccount, SentTransaction
from ordo.l1.rollup_deploy import inbox_at, portal_at, queue_at
from ordo.l1.rpc_errors import L1RpcError
from ordo.settlement.bridge_target import BridgeTarget
from ordo.settlement.l2_readers import (
    InitiatedWithdrawal,
    L2Reader,
    L2Unavailable,
    initiated_withdrawal,
)
from ordo.settlement.settlement_view import SettlementReadError, read_settlement

DEFAULT_L1_GAS_LIMIT = 100_000
"""Gas the portal gives the L1 call of a withdrawal: enough for an EOA or a contract wallet's
receive; more with ``--l1-gas-limit`` for calls that do work."""
RECEIPT_TIMEOUT = 120.0
FORCED_WITHDRAWAL_GAS = 200_000
"""Gas of a forced withdrawal transaction: initiate_withdrawal uses about 92,000 (bench
bridge_gas) plus its data; unused gas is not charged."""
T = TypeVar("T")


class BridgeRefused(RuntimeError):
    """A bridge step cannot be taken now; the message says what is missing."""


@dataclass(frozen=True)
class DepositResult:
    tx_hash: bytes
    l1_block: int
    queue_index: int
    recipient: bytes
    amount: int
    fee: int


@dataclass(frozen=True)
class WithdrawalStatus:
    initiated: InitiatedWithdrawal
    stage: str
    batch: AcceptedBatch | None
    """The batch it is (or would be) proved against; None while none covering it landed."""
    finalizable_at: int | None
    """Unix seconds (L1 time) from which it can be finalized; None before a batch landed."""
    l1_time: int

    def to_json(self) -> dict[str, Any]:
        return {"txHash": "0x" + self.initiated.tx_hash.hex(), "stage": self.stage,
                "l2Block": self.initiated.l2_block, **self.initiated.withdrawal.to_json(),
                "batchIndex": None if self.batch is None else self.batch.index,
                "finalizableAt": self.finalizable_at, "l1Time": self.l1_time}


@cache
def message_passer_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("L2ToL1MessagePasser").abi)


async def portal_of(l1: L1Client, target: BridgeTarget) -> ContractHandle:
    """The portal the queue hands deposits to; refused when none was named."""
    address = bytes.fromhex(str(await queue_at(l1, target.forced_queue).call("portal"))[2:])
    if address == bytes(20):
        raise BridgeRefused(_no_portal(target))
    return portal_at(l1, address)


def _no_portal(target: BridgeTarget) -> str:
    return (f"the forced queue 0x{target.forced_queue.hex()} names no withdrawal portal: this "
            "network was deployed before withdrawals")


async def deposit(l1: L1Client, account: LocalAccount, target: BridgeTarget, amount: int,
                  recipient: bytes) -> DepositResult:
    """Queue ``amount`` wei to ``recipient`` on L2; the queue's fee is paid on top."""
    queue = queue_at(l1, target.forced_queue)
    await portal_of(l1, target)
    fee = int(await queue.call("min_fee"))
    sent = await _send(queue.transact(account, "deposit", recipient, value=amount + fee))
    receipt = await wait_for_success(queue, account, "deposit", sent.tx_hash,
                                     timeout=RECEIPT_TIMEOUT)
    (event,) = [event for event in queue.decode_receipt(receipt)
                if event.name == "DepositEnqueued"]
    return DepositResult(receipt.transaction_hash, receipt.block_number,
                         int(event.arguments["index"]), recipient, amount, fee)


async def initiate_withdrawal(l2: L1Client, account: LocalAccount, amount: int, to: bytes,
                              l1_gas_limit: int = DEFAULT_L1_GAS_LIMIT,
                              data: bytes = b"") -> InitiatedWithdrawal:
    passer = ContractHandle(l2, MESSAGE_PASSER_ADDRESS, message_passer_abi())
    sent = await _send(passer.transact(account, "initiate_withdrawal", to, l1_gas_limit, data,
                                       value=amount))
    receipt = await wait_for_success(passer, account, "initiate_withdrawal", sent.tx_hash,
                                     timeout=RECEIPT_TIMEOUT)
    return initiated_withdrawal(receipt)


@dataclass(frozen=True)
class ForcedWithdrawal:
    l1_tx_hash: bytes
    l1_block: int
    queue_index: int
    l2_tx_hash: bytes
    """What ``prove`` and ``finalize`` take once a block included it."""


def sign_withdrawal_transaction(key: bytes, chain_id: int, nonce: int, amount: int, to: bytes,
                                l1_gas_limit: int, data: bytes, max_fee_per_gas: int,
                                gas: int = FORCED_WITHDRAWAL_GAS) -> bytes:
    """A signed L2 ``initiate_withdrawal`` call, to send through the forced queue."""
    call = message_passer_abi().function("initiate_withdrawal", 3)
    transaction = {
        "type": 2, "chainId": chain_id, "nonce": nonce, "gas": gas,
        "maxFeePerGas": max_fee_per_gas, "maxPriorityFeePerGas": 0, "value": amount,
        "to": to_checksum_address(MESSAGE_PASSER_ADDRESS),
        "data": call.encode_call((to, l1_gas_limit, data))}
    return bytes(Account.sign_transaction(transaction, key).raw_transaction)


async def enqueue_forced(l1: L1Client, account: LocalAccount, target: BridgeTarget,
                         raw_transaction: bytes) -> ForcedWithdrawal:
    """Put a signed L2 transaction in the forced queue (its fee paid): every block naming an
    L1 origin at or after this one must take it, a fallback block included."""
    queue = queue_at(l1, target.forced_queue)
    fee = int(await queue.call("min_fee"))
    sent = await _send(queue.transact(account, "enqueue_transaction", raw_transaction,
                                      value=fee))
    receipt = await wait_for_success(queue, account, "enqueue_transaction", sent.tx_hash,
                                     timeout=RECEIPT_TIMEOUT)
    (event,) = [event for event in queue.decode_receipt(receipt)
                if event.name == "TransactionEnqueued"]
    return ForcedWithdrawal(receipt.transaction_hash, receipt.block_number,
                            int(event.arguments["index"]), keccak(raw_transaction))


async def landed_batches(l1: L1Client, target: BridgeTarget) -> list[AcceptedBatch]:
    head = await l1.block_number()
    logs = await l1.get_logs(LogFilter(target.inbox_deploy_block, head, (target.inbox,),
                                       (batch_accepted_topic(),)))
    batches = []
    for log in logs:
        try:
            batches.append(accepted_batch(log))
        except DerivationError:
            continue  # a removed (reorged) log: the inbox's own views decide below
    return sorted(batches, key=lambda batch: batch.index)


async def covering_batch(l1: L1Client, target: BridgeTarget,
                         l2_block: int) -> AcceptedBatch | None:
    """The first landed batch whose last block is at or after ``l2_block`` (its output root
    holds every withdrawal made up to that block), checked against the inbox's record."""
    inbox = inbox_at(l1, target.inbox)
    for batch in await landed_batches(l1, target):
        if batch.last_block >= l2_block and \
                bytes(await inbox.call("output_roots", batch.index)) == batch.output_root:
            return batch
    return None


async def status(l1: L1Client, l2: L2Reader, target: BridgeTarget,
                 tx_hash: bytes) -> WithdrawalStatus:
    initiated = await _read(l2.withdrawal(tx_hash))
    portal = await portal_of(l1, target)
    withdrawal_hash = initiated.withdrawal.hash
    l1_time = await _l1_time(l1)
    if await portal.call("finalized_withdrawals", withdrawal_hash):
        return WithdrawalStatus(initiated, "finalized", None, None, l1_time)
    proven = await portal.call("proven_withdrawals", withdrawal_hash)
    batch = await covering_batch(l1, target, initiated.l2_block)
    if int(proven[2]) != 0:  # (batch_index, output_root, timestamp)
        proved_at = int(await portal.call("finalizable_at_of", withdrawal_hash))
        return WithdrawalStatus(initiated, "proved", batch, proved_at, l1_time)
    landed_at = None if batch is None else int(await inbox_at(l1, target.inbox).call(
        "finalizable_at", batch.index))
    return WithdrawalStatus(initiated, "initiated", batch, landed_at, l1_time)


async def prove(l1: L1Client, l2: L2Reader, account: LocalAccount, target: BridgeTarget,
                tx_hash: bytes) -> tuple[L1Receipt, WithdrawalStatus]:
    current = await status(l1, l2, target, tx_hash)
    if current.stage == "finalized":
        raise BridgeRefused("already finalized: the withdrawal was paid")
    if current.stage == "proved":
        raise BridgeRefused(f"already proved; finalizable at {current.finalizable_at} "
                            f"({_left(current)})")
    batch = current.batch
    if batch is None:
        last = int(await inbox_at(l1, target.inbox).call("last_block"))
        raise BridgeRefused(f"batch not landed yet: the withdrawal is in L2 block "
                            f"{current.initiated.l2_block}, the inbox's last batch ends at L2 "
                            f"block {last}; try again once a batch covers it")
    output = await _read(l2.output_at(batch.last_block))
    if output.root != batch.output_root:
        raise BridgeRefused(
            f"{l2.where} has another output root for block {batch.last_block} than batch "
            f"{batch.index} committed on L1 (0x{batch.output_root.hex()}): it follows another "
            "chain, or the batch is wrong and must be disputed")
    proof = await _read(l2.storage_proof(current.initiated.withdrawal.storage_slot,
                                         batch.last_block))
    if proof.storage_root != output.message_passer_storage_root:
        raise BridgeRefused(f"{l2.where} proves block {batch.last_block} against another "
                            "storage root than its own output's: refusing to send it")
    parts = (OUTPUT_VERSION, output.state_root, output.message_passer_storage_root,
             output.block_hash)
    portal = await portal_of(l1, target)
    sent = await _send(portal.transact(account, "prove_withdrawal",
                                       current.initiated.withdrawal.as_abi_tuple(), batch.index,
                                       parts, list(proof.nodes)))
    receipt = await wait_for_success(portal, account, "prove_withdrawal", sent.tx_hash,
                                     timeout=RECEIPT_TIMEOUT)
    return receipt, await status(l1, l2, target, tx_hash)


async def finalize(l1: L1Client, l2: L2Reader, account: LocalAccount, target: BridgeTarget,
                   tx_hash: bytes) -> tuple[L1Receipt, bool]:
    """The finalize receipt and whether the target was paid (False: its call failed and the
    withdrawal stays retryable)."""
    current = await status(l1, l2, target, tx_hash)
    if current.stage == "finalized":
        raise BridgeRefused("already finalized: the withdrawal was paid")
    if current.stage == "initiated":
        raise BridgeRefused(f"not proved yet: run `ordo bridge prove 0x{tx_hash.hex()}` "
                            "first" + ("" if current.batch is not None
                                       else " (once a batch covering it has landed)"))
    if current.finalizable_at is not None and current.l1_time < current.finalizable_at:
        raise BridgeRefused(f"challenge window not over: finalizable at "
                            f"{current.finalizable_at} ({_left(current)})")
    if current.batch is not None:
        await advance_finality_near(inbox_at(l1, target.inbox), account, current.batch.index)
    portal = await portal_of(l1, target)
    sent = await _send(portal.transact(account, "finalize_withdrawal",
                                       current.initiated.withdrawal.as_abi_tuple()))
    receipt = await wait_for_success(portal, account, "finalize_withdrawal", sent.tx_hash,
                                     timeout=RECEIPT_TIMEOUT)
    paid = any(event.name == "WithdrawalFinalized" for event in portal.decode_receipt(receipt))
    return receipt, paid


FINALITY_SCAN = 64
"""RollupInbox.MAX_FINALITY_SCAN: the batches one advance_finality call looks at, and so how
far past final_through the portal's own advance at finalize reaches."""
MAX_FINALITY_CALLS = 64


async def advance_finality_near(inbox: ContractHandle, account: LocalAccount, index: int) -> int:
    """Move the inbox's final_through until the portal's own advance at finalize reaches batch
    ``index``: on a chain that ran long with nobody advancing it, a finalize would otherwise
    revert. Stops as soon as it stops moving (an earlier batch is not settled: finalize then
    says why). Returns the number of calls sent."""
    calls = 0
    for _ in range(MAX_FINALITY_CALLS):
        pointer = int(await inbox.call("final_through"))
        if pointer + FINALITY_SCAN > index:
            break
        sent = await _send(inbox.transact(account, "advance_finality", index))
        await wait_for_success(inbox, account, "advance_finality", sent.tx_hash,
                               timeout=RECEIPT_TIMEOUT)
        calls += 1
        if int(await inbox.call("final_through")) == pointer:
            break
    return calls


async def overview(l1: L1Client, target: BridgeTarget) -> dict[str, Any]:
    """The latest landed output root, its batch and window, and what the portal holds, at the
    L1 head (a user deciding whether to prove or finalize acts against the head)."""
    try:
        view = await read_settlement(l1, target.inbox, target.forced_queue,
                                     await l1.block_number())
    except SettlementReadError as error:
        raise BridgeRefused(str(error)) from error
    if view.portal is None:
        raise BridgeRefused(_no_portal(target))
    return view.to_json()


def _left(current: WithdrawalStatus) -> str:
    if current.finalizable_at is None:
        return "no batch yet"
    left = current.finalizable_at - current.l1_time
    return "now" if left <= 0 else f"in {left} s of L1 time"


async def _l1_time(l1: L1Client) -> int:
    block = await l1.get_block("latest")
    if block is None:
        raise BridgeRefused(f"L1 {l1.url} has no latest block")
    return block.timestamp


async def _read(reading: Awaitable[T]) -> T:
    """What the L2 source cannot answer becomes a BridgeRefused with its reason."""
    try:
        return await reading
    except L2Unavailable as error:
        raise BridgeRefused(str(error)) from error


async def _send(sending: Awaitable[SentTransaction]) -> SentTransaction:
    """A transaction the chain refuses while estimating gas becomes a BridgeRefused carrying
    the contract's reason."""
    try:
        return await sending
    except L1RpcError as error:
        raise BridgeRefused(f"refused before sending: {error}") from error

