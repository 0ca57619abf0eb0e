"""The node's L1 watch names and counts a reorg deeper than the confirmations it trusts (a real
anvil, replaced with anvil_reorg), and stays quiet about one within them."""

from __future__ import annotations

import logging

import pytest

from ordo.l1.client import L1Client
from ordo.node.l1_watch import L1Watch
from tests.l1.conftest import Endpoint, anvil_endpoint, anvil_process  # noqa: F401 (fixtures)

CONFIRMATIONS = 2


async def test_a_reorg_below_the_confirmed_block_is_logged_and_counted(
        anvil_endpoint: Endpoint,  # noqa: F811 (the imported fixture)
        caplog: pytest.LogCaptureFixture) -> None:
    async with L1Client(anvil_endpoint.url) as client:
        await client.request("anvil_mine", [hex(10)])
        watch = L1Watch(client, CONFIRMATIONS)
        await watch.refresh()
        confirmed = watch.confirmed_origin()
        assert confirmed is not None
        await client.request("anvil_reorg", [CONFIRMATIONS, []])  # within the trusted depth
        await watch.refresh()
        assert watch.deep_reorgs == 0
        await client.request("anvil_reorg", [CONFIRMATIONS + 2, []])  # replaces the confirmed
        with caplog.at_level(logging.ERROR, logger="ordo.node.l1_watch"):
            await watch.refresh()
        assert watch.deep_reorgs == 1
        assert f"L1 block {confirmed.number} was 0x{confirmed.hash.hex()}" in caplog.text
        assert watch.confirmed_origin() != confirmed


async def test_a_shallow_reorg_seen_before_and_after_confirmation_is_not_counted(
        anvil_endpoint: Endpoint,  # noqa: F811 (the imported fixture)
        ) -> None:
    """The head seen once, replaced while still shallow, then confirmed with its new hash: a
    normal reorg, not a deep one."""
    async with L1Client(anvil_endpoint.url) as client:
        await client.request("anvil_mine", [hex(10)])
        watch = L1Watch(client, CONFIRMATIONS)
        await watch.refresh()
        await client.request("anvil_reorg", [1, []])
        await client.request("anvil_mine", [hex(CONFIRMATIONS + 1)])
        for _ in range(CONFIRMATIONS + 1):
            await watch.refresh()
        assert watch.deep_reorgs == 0
