"""Timestamps of the dev L1's blocks: a pure rule, so time travel is testable without a clock.

Ethereum L1 headers need strictly increasing timestamps (unlike Ordo's L2, where blocks may
share a second). The dev chain follows the wall clock shifted by whatever ``evm_increaseTime``
added, and a one-shot ``evm_setNextBlockTimestamp`` pins the next block exactly.
"""

from __future__ import annotations

from dataclasses import dataclass


class TimeTravelError(ValueError):
    """A requested time would break the strictly increasing timestamps of L1 blocks."""


@dataclass
class BlockClock:
    offset: int = 0
    """Seconds added to the wall clock by evm_increaseTime, in total."""
    next_timestamp: int | None = None
    """Set by evm_setNextBlockTimestamp; used once, by the next block."""

    def increase(self, seconds: int, now: float, latest_timestamp: int) -> int:
        """Shift the clock forward; returns the total shift (anvil's answer).

        The shift counts from the chain's time, not the wall clock's: blocks made faster than
        one a second run ahead of the wall clock, and "an hour later" must mean an hour after
        the latest block.
        """
        if seconds < 0:
            raise TimeTravelError(f"cannot move time backwards by {-seconds} seconds")
        self.offset = max(self.offset, latest_timestamp - int(now)) + seconds
        return self.offset

    def pin_next(self, timestamp: int, parent_timestamp: int) -> None:
        if timestamp <= parent_timestamp:
            raise TimeTravelError(
                f"timestamp {timestamp} is not after the latest block's {parent_timestamp}")
        self.next_timestamp = timestamp

    def timestamp_for_next_block(self, now: float, parent_timestamp: int) -> int:
        """The next block's timestamp; consumes a pinned one. Always > ``parent_timestamp``."""
        if self.next_timestamp is not None:
            pinned = self.next_timestamp
            self.next_timestamp = None
            # A pinned time that later blocks overtook still cannot go backwards.
            if pinned > parent_timestamp:
                # evm_setNextBlockTimestamp moves the clock with it, as anvil does.
                self.offset = max(self.offset, pinned - int(now))
                return pinned
        return max(int(now) + self.offset, parent_timestamp + 1)
