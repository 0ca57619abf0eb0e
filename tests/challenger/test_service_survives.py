"""The challenger outlives a round that fails in a way nobody planned for (an L1 answer that
does not decode, say): it says so in its status and log every round and keeps playing, instead
of its task ending silently while games run out their clocks."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from ordo.challenger.service import ChallengerService


class FlakyService(ChallengerService):
    def __init__(self) -> None:
        chain: Any = SimpleNamespace(inbox=SimpleNamespace(address=b"\x01" * 20))
        account: Any = SimpleNamespace(address=b"\x02" * 20)
        super().__init__(chain, account, traces=None, interval=0.01)  # type: ignore[arg-type]
        self.rounds = 0

    async def round(self) -> list[Any]:
        self.rounds += 1
        if self.rounds <= 2:
            raise ValueError("games(uint256): answer of 31 bytes does not decode")
        return []


async def test_an_unexpected_error_is_reported_and_the_next_round_runs(
        caplog: pytest.LogCaptureFixture) -> None:
    service = FlakyService()
    service.start()
    for _ in range(200):
        if service.rounds >= 2 and service.state.error:
            break
        await asyncio.sleep(0.01)
    assert service.state.error == "ValueError: games(uint256): answer of 31 bytes does not decode"
    assert "challenger round failed unexpectedly" in caplog.text
    for _ in range(200):
        if service.rounds >= 3 and service.state.error is None:
            break
        await asyncio.sleep(0.01)
    assert service.rounds >= 3 and service.state.error is None
    await service.stop()
