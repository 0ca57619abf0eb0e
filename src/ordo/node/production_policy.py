"""When a single sequencer produces its next block: a pure rule over times, so it is testable.

A chain is *quiet* when at most ``quiet_pending`` transactions wait (``QUIET_PENDING`` by
default; 0 turns quiet starts off, as geth's ``--dev.period`` mines on a fixed period, for clients
that need a sent transaction to stay pending for a while): a block then starts as soon as one is
pending, so a client that sends its next transaction right after the previous receipt
is not held for a block time. Blocks cannot come closer than one consensus height (build, the
proposal, two votes, the commit: Tendermint decides one height at a time on the parent's state),
which is the minimum spacing that remains. Under load (more waiting) a block is produced at most
once per ``block_time``, so a burst is batched instead of paying the per-block cost (votes,
re-execution on every validator, the commit) for a few transactions each. With nothing pending,
an empty heartbeat block every ``heartbeat_interval`` shows clients the chain is alive.
"""

from __future__ import annotations

QUIET_PENDING = 16
"""At most this many pending transactions: a block starts at once. A few clients each waiting
for their previous receipt keep the pool this small; a load that fills blocks does not."""


def seconds_until_next_block(
    now: float,
    last_block_at: float,
    pending: int,
    block_time: float,
    heartbeat_interval: float,
    quiet_pending: int = QUIET_PENDING,
) -> float:
    """Seconds to wait before producing (0 means produce now). Never negative."""
    if 0 < pending <= quiet_pending:
        return 0.0
    wait_for = block_time if pending else heartbeat_interval
    return max(0.0, last_block_at + wait_for - now)


def next_block_timestamp(now: float, parent_timestamp: int) -> int:
    """Header timestamp in whole seconds: the wall clock, but never before the parent's.

    Several blocks may share one second (docs/state_transition.md §2.3), so equality is allowed.
    """
    return max(int(now), parent_timestamp)


def seconds_until_propose_timer(
    now: float,
    last_commit_at: float,
    pending: int,
    block_time: float,
    heartbeat_interval: float,
    quiet_pending: int = QUIET_PENDING,
) -> float:
    """Seconds before a validator arms its round-0 propose timer (0 means arm now). Never negative.

    The proposer of round 0 waits for transactions, for the block time on a busy chain, or for
    the heartbeat deadline before it builds (:func:`seconds_until_next_block`; CometBFT's
    create_empty_blocks); a validator that timed it out meanwhile would vote nil on a proposer
    that is only being patient. So the timer starts when the proposer should start building, by
    the same rule over what this validator holds: transactions are gossiped to everyone, so all
    validators arm at about the same moment, and the propose timeout only has to cover building,
    sending and re-executing the block, which is what lets it be short (a dead producer is
    replaced after it).
    """
    return seconds_until_next_block(now, last_commit_at, pending, block_time, heartbeat_interval,
                                    quiet_pending)


def max_block_transactions(build_rate: float, budget_s: float, floor: int, ceiling: int) -> int:
    """How many transactions to put in a block so that building it takes about ``budget_s``.

    With other validators, a block that takes longer to build (and to re-execute) than their
    propose timeout is voted nil, and the transactions left waiting make the next attempt larger
    still; sizing blocks by the measured build rate keeps every proposal inside the timeout.
    """
    return max(floor, min(ceiling, int(build_rate * budget_s)))
