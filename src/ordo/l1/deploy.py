"""Deploy the staking contracts and put stake in them, over any L1 endpoint.

Every step waits for its receipt and refuses a failed one, so a deployment either ends with a
pool whose reward reserve is funded or raises naming the step that did not happen. Reverts are
caught by gas estimation before anything is sent, with the contract's reason in the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ordo.core.genesis import DEV_ACCOUNT_COUNT, dev_private_keys
from ordo.l1.chain_records import L1Receipt
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.contract_transactions import TransactionReverted, send_and_wait
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error, L1RpcError
from ordo.l1.staking_contracts import pool_at, token_at
from ordo.l1.staking_params import DEVNET_SEQUENCER_STAKE, StakingParams

RECEIPT_TIMEOUT = 60.0
EPOCH_WAIT_POLL = 0.25


class StakingStepFailed(L1Error):
    """A staking transaction was mined but reverted, or an epoch could not be advanced."""


@dataclass(frozen=True)
class StakingDeployment:
    token: bytes
    locking_pool: bytes
    deploy_block: int
    """The pool's deployment block: where a reader of its events starts."""

    def __post_init__(self) -> None:
        for name in ("token", "locking_pool"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 20:
                raise ValueError(f"{name}: {value!r} is not a 20-byte address")
        if isinstance(self.deploy_block, bool) or not isinstance(self.deploy_block, int) or \
                self.deploy_block < 0:
            raise ValueError(f"deploy_block: {self.deploy_block!r} is not a block number")

    def to_json(self) -> dict[str, Any]:
        return {"token": "0x" + self.token.hex(), "locking_pool": "0x" + self.locking_pool.hex(),
                "deploy_block": self.deploy_block}

    @classmethod
    def from_json(cls, value: Any) -> StakingDeployment:
        """Read back what to_json wrote (devnet.json); ValueError names a bad field."""
        if not isinstance(value, dict):
            raise ValueError(f"staking deployment: expected an object, got {value!r:.100}")
        missing = {"token", "locking_pool", "deploy_block"} - set(value)
        if missing:
            raise ValueError(f"staking deployment: missing {', '.join(sorted(missing))}")
        block = value["deploy_block"]
        if isinstance(block, bool) or not isinstance(block, int):
            raise ValueError(f"deploy_block: {block!r} is not a block number")
        return cls(_address_field(value["token"], "token"),
                   _address_field(value["locking_pool"], "locking_pool"), block)


@dataclass(frozen=True)
class StakedSequencer:
    operator: bytes
    """The L1 account that locked (owns the stake, receives rewards)."""
    signer: bytes
    """The key the sequencer votes with."""
    stake: int

    def to_json(self) -> dict[str, Any]:
        return {"operator": "0x" + self.operator.hex(), "signer": "0x" + self.signer.hex(),
                "stake": str(self.stake)}


def token_handle(client: L1Client, deployment: StakingDeployment) -> ContractHandle:
    return token_at(client, deployment.token)


def pool_handle(client: L1Client, deployment: StakingDeployment) -> ContractHandle:
    return pool_at(client, deployment.locking_pool)


async def deploy_staking(client: L1Client, deployer: LocalAccount,
                         params: StakingParams) -> StakingDeployment:
    """Token, then pool, then the reward reserve minted to the deployer and paid in.

    The deployer stays the token's minter and the pool's owner (who later sets the inbox).
    """
    token_contract = compile_contract("GovernanceToken")
    pool_contract = compile_contract("LockingPool")
    token, _ = await ContractHandle.deploy(
        client, deployer, token_contract.abi, token_contract.bytecode, params.token_name,
        params.token_symbol, timeout=RECEIPT_TIMEOUT)
    pool, pool_receipt = await ContractHandle.deploy(
        client, deployer, pool_contract.abi, pool_contract.bytecode,
        *params.pool_constructor_args(token.address), timeout=RECEIPT_TIMEOUT)
    deployment = StakingDeployment(token.address, pool.address, pool_receipt.block_number)
    if params.reward_reserve > 0:
        await asyncio.gather(
            _transact(token, deployer, "mint", deployer.address, params.reward_reserve),
            _transact(token, deployer, "approve", pool.address, params.reward_reserve))
        await _transact(pool, deployer, "fund_reserve", params.reward_reserve)
    return deployment


async def mint_tokens(client: L1Client, deployment: StakingDeployment, minter: LocalAccount,
                      receiver: bytes, amount: int) -> L1Receipt:
    _check_address(receiver, "receiver")
    _check_amount(amount)
    return await _transact(token_handle(client, deployment), minter, "mint", receiver, amount)


async def lock_stake(client: L1Client, deployment: StakingDeployment, operator: LocalAccount,
                     amount: int, signer_address: bytes) -> L1Receipt:
    """Approve the pool for ``amount`` and lock it with ``signer_address`` as the voting key.

    The stake joins the pending set: it counts from the next epoch the pool advances to.
    """
    _check_address(signer_address, "signer_address")
    if signer_address == bytes(20):
        raise ValueError("signer_address: the zero address cannot sign")
    _check_amount(amount)
    pool = pool_handle(client, deployment)
    await _transact(token_handle(client, deployment), operator, "approve", pool.address, amount)
    return await _transact(pool, operator, "lock", amount, signer_address)


async def unlock_stake(client: L1Client, deployment: StakingDeployment,
                       operator: LocalAccount) -> L1Receipt:
    """Leave the pending set at once; the stake is withdrawable after the exit delay and an
    epoch change."""
    return await _transact(pool_handle(client, deployment), operator, "unlock")


async def advance_epoch(client: L1Client, deployment: StakingDeployment, caller: LocalAccount,
                        *, time_travel: bool = False, timeout: float = RECEIPT_TIMEOUT) -> int:
    """Freeze the pending set as the next epoch's set; the new epoch number.

    Waits until the pool's minimum interval is over by the chain's clock. A chain that makes
    blocks only for transactions (automine without a timer, anvil's default) judges the call
    against a head whose clock stands still between them: there, use ``time_travel``, which
    moves the chain's clock forward with evm_increaseTime instead of waiting.
    """
    pool = pool_handle(client, deployment)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    epoch = int(await pool.call("current_epoch"))
    due = int(await pool.call("epoch_started_at", epoch)) + \
        int(await pool.call("epoch_min_interval"))
    if time_travel:
        head = await client.get_block("latest")
        if head is not None and head.timestamp < due:
            await client.request("evm_increaseTime", [due - head.timestamp])
            await client.request("evm_mine", [])
    while True:
        try:
            receipt = await _transact(pool, caller, "advance_epoch")
            break
        except L1RpcError as error:
            if error.revert_reason != "LockingPool: epoch interval not over":
                raise
            if loop.time() >= deadline:
                raise StakingStepFailed(f"epoch {epoch} interval not over after {timeout}s "
                                        f"(due at L1 time {due})") from error
            await asyncio.sleep(EPOCH_WAIT_POLL)
    (event,) = [event for event in pool.decode_receipt(receipt) if event.name == "EpochAdvanced"]
    return int(event.arguments["epoch"])


@dataclass(frozen=True)
class DevnetStaking:
    """What a devnet's L1 holds after staking: for devnet.json and for the nodes' genesis."""

    deployment: StakingDeployment
    sequencers: tuple[StakedSequencer, ...]
    live_epoch: int
    """The first L1 epoch whose set is these sequencers."""

    def to_json(self) -> dict[str, Any]:
        return {**self.deployment.to_json(), "live_epoch": self.live_epoch,
                "sequencers": [entry.to_json() for entry in self.sequencers]}


def devnet_operator_keys(count: int) -> list[bytes]:
    """Dev mnemonic accounts 1..count (account 0 deploys): the ones a dev L1 and anvil fund."""
    if isinstance(count, bool) or not isinstance(count, int) or \
            not 1 <= count < DEV_ACCOUNT_COUNT:
        raise ValueError(f"sequencer count: {count!r} is not in 1..{DEV_ACCOUNT_COUNT - 1} "
                         f"(the dev L1 funds {DEV_ACCOUNT_COUNT} accounts, one deploys)")
    return dev_private_keys(count + 1)[1:]


async def stake_devnet_sequencers(client: L1Client, deployment: StakingDeployment,
                                  deployer: LocalAccount, signers: Sequence[bytes],
                                  stakes: Sequence[int] | None = None, *,
                                  operator_keys: Sequence[bytes] | None = None,
                                  time_travel: bool = False) -> DevnetStaking:
    """Mint each operator its stake, lock it for its signer, and advance the epoch so the set
    is live.

    Operators default to the dev mnemonic accounts 1..N and stakes to DEVNET_SEQUENCER_STAKE.
    The deployer must be the token's minter. Operators lock concurrently, each from its own
    account.
    """
    chosen_stakes = list(stakes) if stakes is not None else \
        [DEVNET_SEQUENCER_STAKE] * len(signers)
    keys = list(operator_keys) if operator_keys is not None else \
        devnet_operator_keys(len(signers))
    if not len(keys) == len(signers) == len(chosen_stakes):
        raise ValueError(f"{len(keys)} operator keys, {len(signers)} signers and "
                         f"{len(chosen_stakes)} stakes: one of each per sequencer")
    if not keys:
        raise ValueError("no sequencers to stake")
    if len(set(signers)) != len(signers):
        raise ValueError("signers: the same signer twice")
    operators = [LocalAccount(client, key) for key in keys]
    if len({operator.address for operator in operators}) != len(operators):
        raise ValueError("operator_keys: the same operator twice")
    await asyncio.gather(*(mint_tokens(client, deployment, deployer, operator.address, stake)
                           for operator, stake in zip(operators, chosen_stakes, strict=True)))
    await asyncio.gather(*(lock_stake(client, deployment, operator, stake, signer)
                           for operator, stake, signer in zip(operators, chosen_stakes, signers,
                                                              strict=True)))
    epoch = await advance_epoch(client, deployment, deployer, time_travel=time_travel)
    staked = tuple(StakedSequencer(operator.address, signer, stake)
                   for operator, signer, stake in zip(operators, signers, chosen_stakes,
                                                      strict=True))
    return DevnetStaking(deployment, staked, epoch)


async def _transact(handle: ContractHandle, account: LocalAccount, function: str,
                    *arguments: Any) -> L1Receipt:
    try:
        return await send_and_wait(handle, account, function, *arguments,
                                   timeout=RECEIPT_TIMEOUT)
    except TransactionReverted as error:
        raise StakingStepFailed(str(error)) from error


def _check_address(value: object, name: str) -> None:
    if not isinstance(value, bytes) or len(value) != 20:
        raise ValueError(f"{name}: {value!r} is not a 20-byte address")


def _check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount: {amount!r} must be a positive integer")
    if amount >= 2**256:
        raise ValueError(f"amount: {amount} is not a uint256")


def _address_field(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 42:
        raise ValueError(f"{name}: {value!r} is not a 0x-prefixed 20-byte hex address")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as error:
        raise ValueError(f"{name}: {value!r} is not hex") from error
