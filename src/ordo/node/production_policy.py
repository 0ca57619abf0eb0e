"""When a single sequencer produces its next block: a pure rule over times, so it is testable.

A block is produced as soon as transactions are pending, but at most one per ``block_time``, so
a burst of transactions is batched instead of producing one tiny block each; with nothing pending,
an empty heartbeat block every ``heartbeat_interval`` shows clients the chain is alive.
"""

from __future__ import annotations


def seconds_until_next_block(
    now: float,
    last_block_at: float,
    has_pending: bool,
    block_time: float,
    heartbeat_interval: float,
) -> float:
    """Seconds to wait before producing (0 means produce now). Never negative."""
    wait_for = block_time if has_pending else heartbeat_interval
    return max(0.0, last_block_at + wait_for - now)


def next_block_timestamp(now: float, parent_timestamp: int) -> int:
    """Header timestamp in whole seconds: the wall clock, but never before the parent's.

    Several blocks may share one second (docs/state_transition.md §2.3), so equality is allowed.
    """
    return max(int(now), parent_timestamp)


def seconds_until_propose_timer(
    now: float,
    last_commit_at: float,
    has_pending: bool,
    heartbeat_interval: float,
) -> float:
    """Seconds before a validator arms its round-0 propose timer (0 means arm now). Never negative.

    The proposer of round 0 waits for transactions or for the heartbeat deadline before it builds
    (CometBFT's create_empty_blocks); a validator that timed it out meanwhile would vote nil on a
    proposer that is only being patient. So the timer starts when there is something to propose:
    transactions are gossiped to everyone, so all validators arm at about the same moment.
    """
    if has_pending:
        return 0.0
    return max(0.0, last_commit_at + heartbeat_interval - now)


def max_block_transactions(build_rate: float, budget_s: float, floor: int, ceiling: int) -> int:
    """How many transactions to put in a block so that building it takes about ``budget_s``.

    With other validators, a block that takes longer to build (and to re-execute) than their
    propose timeout is voted nil, and the transactions left waiting make the next attempt larger
    still; sizing blocks by the measured build rate keeps every proposal inside the timeout.
    """
    return max(floor, min(ceiling, int(build_rate * budget_s)))
