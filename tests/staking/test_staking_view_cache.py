"""The staking-view cache ordo_status reads: never waits for L1, refreshes at most every
max_age seconds, one refresh at a time, keeps the last good view when a refresh fails."""

from __future__ import annotations

import asyncio

import pytest

from ordo.l1.rpc_errors import L1TransportError
from ordo.staking.staking_view import StakingView, StakingViewCache


def view_at(block: int) -> StakingView:
    return StakingView(block_number=block, current_epoch=1, set_hash=b"\x01" * 32, members=(),
                       total_stake=0, reward_reserve=5, own_signer=b"\x02" * 20, own=None)


class ScriptedReader:
    """Answers each read with the next scripted view or error, once ``gate`` is open."""

    def __init__(self, answers: list[StakingView | Exception]) -> None:
        self.answers = answers
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> StakingView:
        self.calls += 1
        await self.gate.wait()
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_cache_answers_at_once_and_refreshes_in_the_background() -> None:
    reader = ScriptedReader([view_at(1), L1TransportError("eth_call: connection refused"),
                             RuntimeError("bug"), view_at(4)])
    clock = Clock()
    cache = StakingViewCache(reader, max_age=10.0, clock=clock)

    reader.gate.clear()  # L1 hangs: ordo_status still answers, and only one read runs
    first = cache.current()
    assert first.view is None and first.error is None and first.to_json()["age_seconds"] is None
    await asyncio.sleep(0)
    clock.now += 30
    assert cache.current().view is None and reader.calls == 1
    reader.gate.set()
    await cache.wait()
    clock.now += 1
    fresh = cache.current()
    assert fresh.view == view_at(1) and fresh.to_json()["age_seconds"] == 1.0
    assert reader.calls == 1  # due max_age after the slow read ended, not began

    await cache.wait()
    clock.now += 10
    cache.current()
    await cache.wait()
    failed = cache.current()
    assert failed.view == view_at(1) and failed.error == "eth_call: connection refused"
    assert failed.to_json()["view"] == view_at(1).to_json()

    clock.now += 10
    cache.current()
    await cache.wait()
    assert cache.current().error == "RuntimeError: bug"

    clock.now += 10
    cache.current()
    await cache.wait()
    recovered = cache.current()
    assert recovered.view == view_at(4) and recovered.error is None
    assert reader.calls == 4
    await cache.close()


def test_cache_refuses_a_non_positive_max_age() -> None:
    with pytest.raises(ValueError, match="max_age: 0 must be positive"):
        StakingViewCache(ScriptedReader([]), max_age=0)
