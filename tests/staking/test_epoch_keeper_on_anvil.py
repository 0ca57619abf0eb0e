"""The epoch keeper on a real LockingPool on anvil: it sends nothing before the epoch is due,
advances it once it is, two keepers racing for one epoch advance it once without an error, and
its loop keeps advancing epochs and survives an L1 it cannot reach."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ordo.core.genesis import dev_private_keys
from ordo.devnet.ports import free_port
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.staking_contracts import pool_at
from ordo.staking.epoch_keeper import EpochKeeper
from tests.l1.conftest import Endpoint
from tests.staking.staked_pool import staked_pool

KEEPER_KEY_INDEXES = (6, 7)
"""Funded dev accounts that are neither the deployer nor an operator."""


def keeper_account(client: L1Client, index: int) -> LocalAccount:
    return LocalAccount(client, dev_private_keys(index + 1)[-1])


async def move_time(client: L1Client, seconds: int) -> None:
    """Anvil makes blocks only for transactions: move its clock and mine one."""
    await client.request("evm_increaseTime", [seconds])
    await client.request("evm_mine", [])


async def test_keepers_advance_a_due_epoch_once_and_nothing_before(
        anvil_endpoint: Endpoint) -> None:
    async with L1Client(anvil_endpoint.url) as client:
        staked = await staked_pool(client)
        pool = pool_at(client, staked.pool)
        senders = [keeper_account(client, index) for index in KEEPER_KEY_INDEXES]
        keepers = [EpochKeeper(client, staked.pool, sender) for sender in senders]
        assert int(await pool.call("current_epoch")) == 1

        assert await keepers[0].advance_if_due() is None
        assert not (await keepers[0].epoch_due()).is_due
        assert await client.get_transaction_count(senders[0].address) == 0  # nothing sent
        assert int(await pool.call("current_epoch")) == 1

        await move_time(client, staked.params.epoch_min_interval)
        outcomes = await asyncio.gather(*(keeper.advance_if_due() for keeper in keepers))
        assert sorted(outcomes, key=str) == [2, None]
        assert int(await pool.call("current_epoch")) == 2
        # The new epoch is not due yet: a third try sends nothing.
        sent = [await client.get_transaction_count(sender.address) for sender in senders]
        assert await keepers[0].advance_if_due() is None
        assert [await client.get_transaction_count(sender.address)
                for sender in senders] == sent


async def test_the_keeper_loop_advances_due_epochs(anvil_endpoint: Endpoint) -> None:
    async with L1Client(anvil_endpoint.url) as client:
        staked = await staked_pool(client)
        pool = pool_at(client, staked.pool)
        keeper = EpochKeeper(client, staked.pool, keeper_account(client, 6))
        task = asyncio.create_task(keeper.run(0.05))
        try:
            for expected in (2, 3):
                await move_time(client, staked.params.epoch_min_interval)
                async with asyncio.timeout(20):
                    while int(await pool.call("current_epoch")) < expected:
                        await asyncio.sleep(0.05)
                assert not task.done()
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert int(await pool.call("current_epoch")) == 3


async def test_the_keeper_loop_survives_an_unreachable_l1(
        caplog: pytest.LogCaptureFixture) -> None:
    config = ClientConfig(request_timeout=0.5, max_attempts=1)
    async with L1Client(f"http://127.0.0.1:{free_port()}", config) as client:
        keeper = EpochKeeper(client, b"\x11" * 20, keeper_account(client, 6))
        with caplog.at_level(logging.WARNING, logger="ordo.staking.epoch_keeper"):
            task = asyncio.create_task(keeper.run(0.05))
            async with asyncio.timeout(10):
                while sum("epoch keeper:" in record.message for record in caplog.records) < 2:
                    await asyncio.sleep(0.05)
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


def test_bad_keeper_arguments_are_refused() -> None:
    client = L1Client("http://127.0.0.1:1")
    sender = keeper_account(client, 6)
    with pytest.raises(ValueError, match=r"pool: .* is not a 20-byte address"):
        EpochKeeper(client, b"\x11" * 19, sender)
    with pytest.raises(ValueError, match="receipt_timeout"):
        EpochKeeper(client, b"\x11" * 20, sender, receipt_timeout=0)
