"""Checks made before any stake transaction is signed, by the pool's own rules.

A refused transaction costs nothing but time, yet the pool can only say *that* it refuses; here
the operator learns the numbers as well (the minimum, the balance, when the exit delay ends).
Pure: the position is read elsewhere.
"""

from __future__ import annotations

from ordo.operator.pool_position import PoolPosition
from ordo.operator.token_amount import format_token_amount
from ordo.staking.sequencer_state import SequencerStatus


class StakeRefused(ValueError):
    """The action cannot succeed; the message says why in one line."""


def tokens(position: PoolPosition, units: int) -> str:
    return f"{format_token_amount(units, position.decimals)} {position.symbol}"


def check_lock(position: PoolPosition, amount: int, signer: bytes) -> None:
    state = position.sequencer
    if state.status is SequencerStatus.ACTIVE:
        locked = tokens(position, state.locked)
        raise StakeRefused(f"0x{position.operator.hex()} already locked {locked}; use `ordo "
                           "stake relock` to add to it")
    if state.status is SequencerStatus.EXITING:
        raise StakeRefused(f"0x{position.operator.hex()} is exiting; `ordo stake withdraw` the "
                           "previous lock first")
    if signer == bytes(20):
        raise StakeRefused("signer: the zero address is not allowed; use the address of the "
                           "node's signer key")
    _check_range(position, "amount", amount, amount)
    _check_balance(position, amount)


def check_relock(position: PoolPosition, amount: int) -> None:
    _check_active(position)
    total = position.sequencer.locked + amount
    if total > position.max_lock:
        room = position.max_lock - position.sequencer.locked
        raise StakeRefused(f"amount: {tokens(position, amount)} would make the lock "
                           f"{tokens(position, total)}, above the pool's maximum of "
                           f"{tokens(position, position.max_lock)}; allowed is at most "
                           f"{tokens(position, room)} more")
    _check_balance(position, amount)


def check_unlock(position: PoolPosition) -> None:
    _check_active(position)


def check_withdraw(position: PoolPosition) -> None:
    state = position.sequencer
    if state.status is SequencerStatus.NONE:
        raise StakeRefused(f"0x{position.operator.hex()} has no stake in the pool; nothing to "
                           "withdraw")
    if state.status is SequencerStatus.ACTIVE:
        raise StakeRefused(f"0x{position.operator.hex()} is still locked; `ordo stake unlock` "
                           "first, then withdraw after the exit delay")
    waiting = state.seconds_until_withdrawable or 0
    if waiting > 0:
        raise StakeRefused(f"the exit delay is not over: withdrawable from L1 time "
                           f"{state.withdrawable_at}, in {waiting} s")
    if state.current_epoch <= state.exit_epoch:
        raise StakeRefused(f"the stake still counts in epoch {state.current_epoch}; withdraw "
                           "once the pool has advanced to the next epoch")


def check_claim(position: PoolPosition, caller: bytes) -> None:
    state = position.sequencer
    if state.status is SequencerStatus.NONE and state.signer == bytes(20):
        raise StakeRefused(f"0x{state.owner.hex()} is not a sequencer of this pool; nothing to "
                           "claim")
    if caller != state.reward_recipient:
        raise StakeRefused(f"rewards of 0x{state.owner.hex()} go to "
                           f"0x{state.reward_recipient.hex()}; claim with that account's key")
    if state.rewards_owed == 0:
        raise StakeRefused(f"0x{state.owner.hex()} is owed no rewards yet")
    if state.reward_reserve == 0:
        owed = tokens(position, state.rewards_owed)
        raise StakeRefused(f"the pool's reward reserve is empty; {owed} stay owed until it is "
                           "funded")


def _check_active(position: PoolPosition) -> None:
    status = position.sequencer.status
    if status is SequencerStatus.NONE:
        raise StakeRefused(f"0x{position.operator.hex()} has no lock in the pool; use `ordo "
                           "stake lock` first")
    if status is SequencerStatus.EXITING:
        raise StakeRefused(f"0x{position.operator.hex()} is exiting (unlocked); withdraw, then "
                           "lock again")


def _check_range(position: PoolPosition, key: str, amount: int, total: int) -> None:
    allowed = (f"allowed: {tokens(position, position.min_lock)} to "
               f"{tokens(position, position.max_lock)}")
    if total < position.min_lock:
        raise StakeRefused(f"{key}: {tokens(position, amount)} is below the pool's minimum "
                           f"lock; {allowed}")
    if total > position.max_lock:
        raise StakeRefused(f"{key}: {tokens(position, amount)} is above the pool's maximum "
                           f"lock; {allowed}")


def _check_balance(position: PoolPosition, amount: int) -> None:
    if position.balance < amount:
        raise StakeRefused(f"amount: {tokens(position, amount)} is more than the balance of "
                           f"0x{position.operator.hex()}, {tokens(position, position.balance)}")
