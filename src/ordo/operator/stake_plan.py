"""What one ``ordo stake`` action will send: pure planning (checks, approval, the call) and the
thin shell that signs, sends and waits.

Approval is planned, not assumed: lock and relock pull tokens with transferFrom, so an allowance
short of the amount is topped up first, and only by what the action needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ordo.l1.chain_records import L1Receipt
from ordo.l1.client import L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.contract_transactions import send_and_wait
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1RpcError
from ordo.l1.staking_contracts import pool_at, token_at
from ordo.operator.pool_position import PoolPosition
from ordo.operator.stake_checks import (
    StakeRefused,
    check_claim,
    check_lock,
    check_relock,
    check_unlock,
    check_withdraw,
)

ACTIONS = ("lock", "relock", "unlock", "withdraw", "claim")
RECEIPT_TIMEOUT = 120.0


@dataclass(frozen=True)
class StakePlan:
    action: str
    function: str
    arguments: tuple[Any, ...]
    amount: int | None = None
    """Tokens the action moves into the pool (lock, relock)."""
    signer: bytes | None = None
    approve: int = 0
    """Allowance to grant the pool first (0: what it has is enough)."""


def plan_action(action: str, position: PoolPosition, *, amount: int | None = None,
                signer: bytes | None = None, caller: bytes | None = None) -> StakePlan:
    """The transactions for ``action``; StakeRefused when the pool would refuse them."""
    if action == "lock":
        assert amount is not None and signer is not None
        check_lock(position, amount, signer)
        return StakePlan("lock", "lock", (amount, signer), amount, signer,
                         _approval(position, amount))
    if action == "relock":
        assert amount is not None
        check_relock(position, amount)
        return StakePlan("relock", "relock", (amount,), amount, None,
                         _approval(position, amount))
    if action == "unlock":
        check_unlock(position)
        return StakePlan("unlock", "unlock", ())
    if action == "withdraw":
        check_withdraw(position)
        return StakePlan("withdraw", "withdraw", ())
    if action == "claim":
        check_claim(position, caller if caller is not None else position.operator)
        return StakePlan("claim", "claim_rewards", (position.sequencer.owner,))
    raise ValueError(f"action: {action!r} is not one of {', '.join(ACTIONS)}")


def _approval(position: PoolPosition, amount: int) -> int:
    return 0 if position.allowance >= amount else amount


async def execute_plan(client: L1Client, account: LocalAccount, position: PoolPosition,
                       plan: StakePlan) -> L1Receipt:
    """Approve if planned, then the pool call; the pool call's receipt. A revert found while
    estimating gas is StakeRefused with the pool's reason (nothing was sent)."""
    if plan.approve:
        await _send(token_at(client, position.token), account, "approve", position.pool,
                    plan.approve)
    return await _send(pool_at(client, position.pool), account, plan.function,
                       *plan.arguments)


async def _send(handle: ContractHandle, account: LocalAccount, function: str,
                *arguments: Any) -> L1Receipt:
    """A revert seen by gas estimation becomes the pool's reason in one line; a transaction
    mined and failed, or never mined, stays the L1 error that says so with its hash."""
    try:
        return await send_and_wait(handle, account, function, *arguments,
                                   timeout=RECEIPT_TIMEOUT)
    except L1RpcError as error:
        if error.is_revert:
            raise StakeRefused(f"{function} refused: "
                               f"{error.revert_reason or 'no reason given'}") from None
        raise
