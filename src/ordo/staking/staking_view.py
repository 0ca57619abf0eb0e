"""The staking picture ordo_status shows: the current L1 epoch's set, each member's standing in
the pool, and this node's own, all read at one L1 block.

Reading one block keeps the picture consistent (stakes, rewards and the reserve add up as the
pool saw them at that block). The cache below lets ordo_status answer from memory: it returns
the last good view at once and refreshes in the background at most every ``max_age`` seconds,
so an L1 that is slow or down never holds up the node's RPC.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ordo.l1.abi_codec import AbiError
from ordo.l1.client import L1Client
from ordo.l1.rpc_errors import L1Error, L1RpcError
from ordo.l1.staking_contracts import pool_at
from ordo.l1.view_cache import DEFAULT_MAX_AGE, CachedView, L1ViewCache
from ordo.staking.epoch_set import EpochSetError
from ordo.staking.pool_reader import (
    PoolReadError,
    confirmed_block,
    read_current_set,
    read_sequencer_by_signer,
)
from ordo.staking.sequencer_state import SequencerState

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class MemberStanding:
    """One member of the epoch's set: its stake in the frozen set, and its record now."""

    signer: bytes
    stake: int
    """What the epoch weighs it by (the lock when the set was frozen)."""
    state: SequencerState
    """Its owner's record at the view's block (lock, rewards, exit)."""

    def to_json(self) -> dict[str, Any]:
        return {"epoch_stake": str(self.stake), **self.state.to_json()}


@dataclass(frozen=True)
class StakingView:
    block_number: int
    current_epoch: int
    set_hash: bytes
    members: tuple[MemberStanding, ...]
    """In the pool's order."""
    total_stake: int
    """Of the current epoch's set."""
    reward_reserve: int
    own_signer: bytes
    own: SequencerState | None
    """This node's record, None if nobody registered its signer."""

    @property
    def own_in_set(self) -> bool:
        """Whether this node votes in the current epoch."""
        return any(member.signer == self.own_signer for member in self.members)

    def to_json(self) -> dict[str, Any]:
        """For ordo_status: token amounts as decimal strings (they exceed JSON's safe ints)."""
        return {
            "l1_block": self.block_number,
            "current_epoch": self.current_epoch,
            "set_hash": "0x" + self.set_hash.hex(),
            "total_stake": str(self.total_stake),
            "reward_reserve": str(self.reward_reserve),
            "members": [member.to_json() for member in self.members],
            "own_signer": "0x" + self.own_signer.hex(),
            "own_in_set": self.own_in_set,
            "own": None if self.own is None else self.own.to_json(),
        }


async def read_staking_view(client: L1Client, pool: bytes, block: int,
                            own_signer: bytes) -> StakingView:
    """The view at ``block`` (a confirmed block number). Raises PoolReadError (or EpochSetError)
    when the pool cannot be read as a LockingPool, L1Error when L1 cannot be reached."""
    if not isinstance(own_signer, bytes) or len(own_signer) != 20:
        raise ValueError(f"own signer: {own_signer!r} is not a 20-byte address")
    epoch_set = await read_current_set(client, pool, block)
    states = await asyncio.gather(*(read_sequencer_by_signer(client, pool, member.signer, block)
                                    for member in epoch_set.validators))
    members = []
    for member, state in zip(epoch_set.validators, states, strict=True):
        if state is None:
            raise PoolReadError(f"pool 0x{pool.hex()} at L1 block {block}: set member "
                                f"0x{member.signer.hex()} has no owner")
        members.append(MemberStanding(member.signer, member.stake, state))
    own = next((standing.state for standing in members if standing.signer == own_signer),
               None)
    if own is None:
        own = await read_sequencer_by_signer(client, pool, own_signer, block)
    return StakingView(
        block_number=block, current_epoch=epoch_set.epoch, set_hash=epoch_set.set_hash,
        members=tuple(members), total_stake=epoch_set.total_stake,
        reward_reserve=await _reward_reserve(client, pool, block, members, own),
        own_signer=own_signer, own=own)


async def _reward_reserve(client: L1Client, pool: bytes, block: int,
                          members: list[MemberStanding], own: SequencerState | None) -> int:
    """From a record already read when there is one (same block), else asked."""
    if members:
        return members[0].state.reward_reserve
    if own is not None:
        return own.reward_reserve
    try:
        return int(await pool_at(client, pool).call("reward_reserve", block=block))
    except L1RpcError as error:
        if not error.is_revert:
            raise
        raise PoolReadError(f"pool 0x{pool.hex()} refused reward_reserve at L1 block {block}: "
                            f"{error.revert_reason or error.message}") from error
    except AbiError as error:
        raise PoolReadError(f"no LockingPool answers at 0x{pool.hex()} at L1 block {block}: "
                            f"{error}") from error


def confirmed_view_reader(client: L1Client, pool: bytes, own_signer: bytes,
                          confirmations: int) -> Callable[[], Awaitable[StakingView]]:
    """What the node gives StakingViewCache: read the view at the newest block with
    ``confirmations`` blocks on it."""
    async def read() -> StakingView:
        block = await confirmed_block(client, confirmations)
        return await read_staking_view(client, pool, block, own_signer)
    return read


class CachedStakingView(CachedView[StakingView]):
    """The cache's answer in the shape ordo_status has always shown for staking."""

    def to_json(self) -> dict[str, Any]:
        return {"view": None if self.view is None else self.view.to_json(),
                "age_seconds": self.age_seconds, "error": self.error}


class StakingViewCache(L1ViewCache[StakingView]):
    """The staking view's L1ViewCache (see there: never waits for L1, one refresh at a time,
    the last good view kept with the error of a failed refresh)."""

    def __init__(self, read: Callable[[], Awaitable[StakingView]],
                 max_age: float = DEFAULT_MAX_AGE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(read, "staking view", (L1Error, PoolReadError, EpochSetError),
                         max_age, clock)

    def current(self) -> CachedStakingView:
        """What is known now, in the shape ordo_status has always shown for staking."""
        cached = super().current()
        return CachedStakingView(cached.view, cached.read_at, cached.error, cached.now)
