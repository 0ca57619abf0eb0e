"""Resolving an epoch's validator set is retried until it succeeds, with a doubling pause
capped at SET_RETRY_MAX_S (node/epoch_sets.resolve_until_known)."""

from __future__ import annotations

from ordo.consensus import Validator, ValidatorSet
from ordo.node.epoch_sets import SET_RETRY_FIRST_S, SET_RETRY_MAX_S, resolve_until_known

SET = ValidatorSet.of([Validator(b"\x01" * 20, 5)])


class FlakySource:
    """Fails ``failures`` times (an L1 endpoint that is down), then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.asked: list[tuple[int, bytes]] = []

    def known(self, epoch: int) -> ValidatorSet | None:
        return None

    async def resolve(self, epoch: int, anchor_hash: bytes) -> ValidatorSet:
        self.asked.append((epoch, anchor_hash))
        if len(self.asked) <= self.failures:
            raise ConnectionError("L1 endpoint down")
        return SET


async def test_failures_are_retried_with_a_doubling_capped_pause() -> None:
    source = FlakySource(failures=7)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    assert await resolve_until_known(source, 3, b"\x09" * 32, sleep) == SET
    assert source.asked == [(3, b"\x09" * 32)] * 8
    expected = [min(SET_RETRY_FIRST_S * 2**i, SET_RETRY_MAX_S) for i in range(7)]
    assert pauses == expected and pauses[-1] == SET_RETRY_MAX_S


async def test_a_set_known_at_once_needs_no_pause() -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    assert await resolve_until_known(FlakySource(failures=0), 0, b"\x00" * 32, sleep) == SET
    assert pauses == []
