"""Deploy the ForcedInclusionQueue and the RollupInbox next to an existing staking deployment.

The inbox reads the pool's epoch sets and is the one caller the pool lets credit rewards, so the
last step makes the pool's owner name the inbox (``set_inbox``, which the pool allows once).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from ordo.l1.abi_codec import ContractAbi
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.deploy import RECEIPT_TIMEOUT, StakingDeployment, StakingStepFailed, pool_handle
from ordo.l1.local_account import LocalAccount

DEFAULT_INCLUSION_WINDOW = 50
"""L1 blocks (about ten minutes) a forced item may wait before every batch must include it."""
DEFAULT_FORCED_FEE = 10**14
"""0.0001 ETH per forced item: small for a user, enough that flooding the queue costs."""


@dataclass(frozen=True)
class RollupParams:
    inclusion_window: int = DEFAULT_INCLUSION_WINDOW
    forced_fee: int = DEFAULT_FORCED_FEE
    fee_recipient: bytes | None = None
    """Who may be paid the queue's fees; the deployer when None."""

    def __post_init__(self) -> None:
        if isinstance(self.inclusion_window, bool) or not isinstance(self.inclusion_window, int) \
                or self.inclusion_window <= 0:
            raise ValueError(f"inclusion_window: {self.inclusion_window!r} must be a positive "
                             f"number of L1 blocks")
        if isinstance(self.forced_fee, bool) or not isinstance(self.forced_fee, int) or \
                self.forced_fee < 0:
            raise ValueError(f"forced_fee: {self.forced_fee!r} must be a non-negative wei amount")
        if self.fee_recipient is not None and len(self.fee_recipient) != 20:
            raise ValueError(f"fee_recipient: {self.fee_recipient!r} is not a 20-byte address")


@dataclass(frozen=True)
class RollupDeployment:
    inbox: bytes
    queue: bytes
    deploy_block: int
    """The inbox's deployment block: where a reader of BatchAccepted events starts."""

    def to_json(self) -> dict[str, Any]:
        return {"inbox": "0x" + self.inbox.hex(), "forced_queue": "0x" + self.queue.hex(),
                "inbox_deploy_block": self.deploy_block}


@cache
def inbox_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("RollupInbox").abi)


@cache
def queue_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("ForcedInclusionQueue").abi)


def inbox_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, inbox_abi())


def queue_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, queue_abi())


async def deploy_rollup(client: L1Client, deployer: LocalAccount, staking: StakingDeployment,
                        params: RollupParams | None = None) -> RollupDeployment:
    """Queue, then inbox, then ``pool.set_inbox(inbox)``; ``deployer`` must own the pool."""
    chosen = params or RollupParams()
    queue_contract = compile_contract("ForcedInclusionQueue")
    inbox_contract = compile_contract("RollupInbox")
    queue, _ = await ContractHandle.deploy(
        client, deployer, queue_contract.abi, queue_contract.bytecode, chosen.inclusion_window,
        chosen.forced_fee, chosen.fee_recipient or deployer.address, timeout=RECEIPT_TIMEOUT)
    inbox, inbox_receipt = await ContractHandle.deploy(
        client, deployer, inbox_contract.abi, inbox_contract.bytecode, staking.locking_pool,
        queue.address, timeout=RECEIPT_TIMEOUT)
    sent = await pool_handle(client, staking).transact(deployer, "set_inbox", inbox.address)
    receipt = await client.wait_for_receipt(sent.tx_hash, timeout=RECEIPT_TIMEOUT)
    if not receipt.succeeded:
        raise StakingStepFailed(f"set_inbox from 0x{deployer.address.hex()} reverted in block "
                                f"{receipt.block_number} (transaction 0x{sent.tx_hash.hex()})")
    return RollupDeployment(inbox.address, queue.address, inbox_receipt.block_number)
