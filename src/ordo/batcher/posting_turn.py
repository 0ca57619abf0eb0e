"""Who posts a ready batch, and when: a pure rule over the epoch's sequencers and elapsed time.

The current epoch's producer posts at once. Every other sequencer takes over only when no batch
has landed for a while: the one right after the producer (in ascending address order, wrapping)
after ``takeover_after`` seconds, the next after twice that, and so on, so a dead producer is
replaced quickly without every sequencer paying gas for the same batch at the same moment.
Racing posters are safe anyway: re-posting an accepted header is a no-op in the inbox.
"""

from __future__ import annotations

from collections.abc import Sequence


def posting_delay(me: bytes, producer: bytes, sequencers: Sequence[bytes],
                  takeover_after: float) -> float | None:
    """Seconds ``me`` waits, once a batch is ready and none has landed, before posting it;
    None when ``me`` is not one of ``sequencers`` (it never posts)."""
    if takeover_after < 0:
        raise ValueError(f"takeover_after: {takeover_after!r} must not be negative")
    if me == producer:
        return 0.0
    ordered = sorted(set(sequencers))
    if me not in ordered:
        return None
    if producer not in ordered:  # a producer outside the set: rank from the lowest address
        return takeover_after * (ordered.index(me) + 1)
    rank = (ordered.index(me) - ordered.index(producer)) % len(ordered)
    return takeover_after * rank


def may_post(now: float, waiting_since: float, delay: float | None) -> bool:
    """Whether the wait is over. ``waiting_since`` is the later of when the batch became ready
    (quorum) and when a batch last landed in the inbox, both on the caller's clock."""
    return delay is not None and now - waiting_since >= delay
