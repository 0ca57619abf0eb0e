"""One sequencer's standing in the pool at one L1 block: its lock, rewards and exit.

Pure: the reader fetches the raw record, this decides what it means (what can be claimed now,
whether the stake can be withdrawn), by the same rules the pool applies.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class SequencerStatus(enum.IntEnum):
    """The pool's STATUS_* values."""

    NONE = 0
    ACTIVE = 1
    EXITING = 2


@dataclass(frozen=True)
class SequencerState:
    owner: bytes
    signer: bytes
    locked: int
    reward_recipient: bytes
    status: SequencerStatus
    withdrawable_at: int
    """L1 timestamp from which the exit delay is over (0 unless exiting)."""
    exit_epoch: int
    rewards_owed: int
    """Credited and not yet claimed."""
    reward_reserve: int
    current_epoch: int
    block_number: int
    block_timestamp: int

    @property
    def rewards_claimable(self) -> int:
        """What claim_rewards would pay now: the owed amount, as far as the reserve holds."""
        return min(self.rewards_owed, self.reward_reserve)

    @property
    def seconds_until_withdrawable(self) -> int | None:
        """None when not exiting; 0 once the delay is over (an epoch change may still be due)."""
        if self.status is not SequencerStatus.EXITING:
            return None
        return max(0, self.withdrawable_at - self.block_timestamp)

    @property
    def can_withdraw(self) -> bool:
        """The pool's withdraw() checks: exiting, delay over, and an epoch change since the
        unlock so no started epoch counts the stake any more."""
        return (self.status is SequencerStatus.EXITING
                and self.block_timestamp >= self.withdrawable_at
                and self.current_epoch > self.exit_epoch)

    def to_json(self) -> dict[str, Any]:
        """For ordo_status: token amounts as decimal strings (they exceed JSON's safe ints)."""
        return {
            "owner": "0x" + self.owner.hex(),
            "signer": "0x" + self.signer.hex(),
            "locked": str(self.locked),
            "reward_recipient": "0x" + self.reward_recipient.hex(),
            "status": self.status.name.lower(),
            "withdrawable_at": self.withdrawable_at,
            "seconds_until_withdrawable": self.seconds_until_withdrawable,
            "can_withdraw": self.can_withdraw,
            "exit_epoch": self.exit_epoch,
            "rewards_owed": str(self.rewards_owed),
            "rewards_claimable": str(self.rewards_claimable),
            "current_epoch": self.current_epoch,
            "l1_block": self.block_number,
        }
