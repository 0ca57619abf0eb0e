"""Deploy the ForcedInclusionQueue, the RollupInbox and the WithdrawalPortal next to an existing
staking deployment.

The inbox reads the pool's epoch sets and is the one caller the pool lets credit rewards, so the
pool's owner names the inbox (``set_inbox``, which the pool allows once). The portal pays
withdrawals against the inbox's final outputs and holds every deposited ETH, so the queue's
owner names it (``set_portal``, once): from then on the queue forwards each deposit to it.
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
DEFAULT_CHALLENGE_WINDOW = 7 * 86_400
"""A week, as OP Stack and Arbitrum: time for one honest party to notice and dispute."""
DEFAULT_MAX_DISPUTE_DURATION = 7 * 86_400
"""Two chess clocks of 3.5 days (OP's). With the window, 14 days < the 21-day exit delay."""
DEFAULT_SEQUENCER_TIMEOUT = 3 * 86_400
"""Three days without a landed batch before anyone may post a fallback batch: far longer than
any L1 outage the batcher rides out, short enough that users are not locked in for long."""
DEFAULT_FALLBACK_BOND = 10**18
"""1 ETH locked by a fallback batch's poster until its output is final."""
DEVNET_CHALLENGE_WINDOW = 30
DEVNET_SEQUENCER_TIMEOUT = 300
"""Five minutes on a devnet."""
DEVNET_FALLBACK_BOND = 10**17
DEVNET_MAX_DISPUTE_DURATION = 20
"""Devnet: window + longest dispute (50 s) stays under the devnet pool's 60 s exit delay."""


@dataclass(frozen=True)
class RollupParams:
    inclusion_window: int = DEFAULT_INCLUSION_WINDOW
    forced_fee: int = DEFAULT_FORCED_FEE
    fee_recipient: bytes | None = None
    """Who may be paid the queue's fees; the deployer when None."""
    challenge_window: int = DEFAULT_CHALLENGE_WINDOW
    """Seconds after a batch lands before its output can be final."""
    max_dispute_duration: int = DEFAULT_MAX_DISPUTE_DURATION
    disputes: bytes | None = None
    """The dispute game the inbox consults on every output; None: no game (the window alone)."""
    sequencer_timeout: int = DEFAULT_SEQUENCER_TIMEOUT
    """Seconds without a landed batch before anyone may post a fallback batch."""
    fallback_bond: int = DEFAULT_FALLBACK_BOND

    def __post_init__(self) -> None:
        for name, least in (("challenge_window", 1), ("max_dispute_duration", 0),
                            ("sequencer_timeout", 1), ("fallback_bond", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name}: {value!r} must be an integer number of seconds "
                                 f">= {least}")
        if self.disputes is not None and len(self.disputes) != 20:
            raise ValueError(f"disputes: {self.disputes!r} is not a 20-byte address")
        if isinstance(self.inclusion_window, bool) or not isinstance(self.inclusion_window, int) \
                or self.inclusion_window <= 0:
            raise ValueError(f"inclusion_window: {self.inclusion_window!r} must be a positive "
                             f"number of L1 blocks")
        if isinstance(self.forced_fee, bool) or not isinstance(self.forced_fee, int) or \
                self.forced_fee < 0:
            raise ValueError(f"forced_fee: {self.forced_fee!r} must be a non-negative wei amount")
        if self.fee_recipient is not None and len(self.fee_recipient) != 20:
            raise ValueError(f"fee_recipient: {self.fee_recipient!r} is not a 20-byte address")


def devnet_rollup_params(challenge_window: int = DEVNET_CHALLENGE_WINDOW,
                         sequencer_timeout: int = DEVNET_SEQUENCER_TIMEOUT) -> RollupParams:
    """Seconds instead of days, for pools with the devnet exit delay."""
    return RollupParams(challenge_window=challenge_window,
                        max_dispute_duration=DEVNET_MAX_DISPUTE_DURATION,
                        sequencer_timeout=sequencer_timeout, fallback_bond=DEVNET_FALLBACK_BOND)


@dataclass(frozen=True)
class RollupDeployment:
    inbox: bytes
    queue: bytes
    deploy_block: int
    """The inbox's deployment block: where a reader of BatchAccepted events starts."""
    portal: bytes | None = None
    """The WithdrawalPortal; None for a record made before withdrawals existed."""
    challenge_window: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"inbox": "0x" + self.inbox.hex(), "forced_queue": "0x" + self.queue.hex(),
                "inbox_deploy_block": self.deploy_block,
                **({} if self.portal is None else {"portal": "0x" + self.portal.hex(),
                                                   "challenge_window": self.challenge_window})}

    def record_fields(self) -> dict[str, Any]:
        """The camelCase fields l1.json and devnet.json carry."""
        return {"inbox": "0x" + self.inbox.hex(), "forcedQueue": "0x" + self.queue.hex(),
                "inboxDeployBlock": self.deploy_block,
                **({} if self.portal is None else {"portal": "0x" + self.portal.hex(),
                                                   "challengeWindow": self.challenge_window})}


@cache
def inbox_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("RollupInbox").abi)


@cache
def queue_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("ForcedInclusionQueue").abi)


@cache
def portal_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("WithdrawalPortal").abi)


def portal_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, portal_abi())


def inbox_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, inbox_abi())


def queue_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, queue_abi())


async def deploy_rollup(client: L1Client, deployer: LocalAccount, staking: StakingDeployment,
                        params: RollupParams | None = None) -> RollupDeployment:
    """Queue, inbox, ``pool.set_inbox(inbox)``, portal, ``queue.set_portal(portal)``;
    ``deployer`` must own the pool."""
    chosen = params or RollupParams()
    queue_contract = compile_contract("ForcedInclusionQueue")
    inbox_contract = compile_contract("RollupInbox")
    portal_contract = compile_contract("WithdrawalPortal")
    queue, _ = await ContractHandle.deploy(
        client, deployer, queue_contract.abi, queue_contract.bytecode, chosen.inclusion_window,
        chosen.forced_fee, chosen.fee_recipient or deployer.address, timeout=RECEIPT_TIMEOUT)
    inbox, inbox_receipt = await ContractHandle.deploy(
        client, deployer, inbox_contract.abi, inbox_contract.bytecode, staking.locking_pool,
        queue.address, chosen.challenge_window, chosen.max_dispute_duration,
        chosen.disputes or bytes(20), chosen.sequencer_timeout, chosen.fallback_bond,
        timeout=RECEIPT_TIMEOUT)
    await _owner_step(client, deployer, pool_handle(client, staking), "set_inbox", inbox.address)
    portal, _ = await ContractHandle.deploy(
        client, deployer, portal_contract.abi, portal_contract.bytecode, inbox.address,
        queue.address, timeout=RECEIPT_TIMEOUT)
    await _owner_step(client, deployer, queue, "set_portal", portal.address)
    return RollupDeployment(inbox.address, queue.address, inbox_receipt.block_number,
                            portal.address, chosen.challenge_window)


async def _owner_step(client: L1Client, deployer: LocalAccount, handle: ContractHandle,
                      function: str, address: bytes) -> None:
    sent = await handle.transact(deployer, function, address)
    receipt = await client.wait_for_receipt(sent.tx_hash, timeout=RECEIPT_TIMEOUT)
    if not receipt.succeeded:
        raise StakingStepFailed(f"{function} from 0x{deployer.address.hex()} reverted in block "
                                f"{receipt.block_number} (transaction 0x{sent.tx_hash.hex()})")
