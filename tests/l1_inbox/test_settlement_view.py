"""The settlement view (``ordo bridge status`` and ``ordo_status.l1.settlement``) read from a real
inbox, queue and WithdrawalPortal on anvil: the latest batch's root, window and dispute as the
inbox records them, the portal and its balance, each at the block asked for; and the node's
cache turning a dead L1 or a wrong address into an ``error`` text, never an exception."""

from __future__ import annotations

import logging

import pytest
from web3.contract import Contract

from ordo.devnet.ports import free_port
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.view_cache import CachedView
from ordo.settlement import bridge
from ordo.settlement.bridge import BridgeRefused
from ordo.settlement.bridge_target import BridgeTarget
from ordo.settlement.settlement_view import (
    LandedOutput,
    SettlementView,
    read_settlement,
    settlement_cache,
    settlement_status,
)
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_inbox.rollup_setup import (
    CHALLENGE_WINDOW,
    FORCED_FEE,
    RollupSetup,
    deploy_rollup_setup,
    send_paying,
)
from tests.l1_inbox.test_inbox_settlement import DEFENDED, OPEN, deploy_double

DEPOSIT = 3 * 10**17


def address_of(contract: Contract) -> bytes:
    return bytes.fromhex(contract.address[2:])


def with_portal(rollup: RollupSetup) -> Contract:
    portal = rollup.chain.deploy("WithdrawalPortal", rollup.inbox.address,
                                 rollup.queue.address, sender=rollup.pools.owner)
    rollup.chain.send(rollup.queue.functions.set_portal(portal.address), rollup.pools.owner)
    return portal


async def test_the_view_is_the_inbox_and_portal_at_the_block_read(chain: AnvilChain) -> None:
    double = deploy_double(chain)
    rollup = deploy_rollup_setup(chain, disputes=double.address)
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    inbox, queue = rollup.inbox_address, address_of(rollup.queue)
    async with L1Client(url) as client:
        before = await read_settlement(client, inbox, queue, chain.w3.eth.block_number)
        assert before.latest is None and before.portal is None
        assert before.portal_balance is None and before.challenge_window == CHALLENGE_WINDOW
        assert before.to_json()["batchIndex"] is None and before.to_json()["final"] is False

        portal = with_portal(rollup)
        send_paying(chain, rollup.queue.functions.deposit(chain.accounts[5].address),
                    chain.accounts[5], DEPOSIT + FORCED_FEE)
        rollup.submit(rollup.header(0, 1, 4, output_root=b"\x0a" * 32))
        receipt = rollup.submit(rollup.header(1, 5, 9, output_root=b"\x0b" * 32))
        landed_block = int(receipt["blockNumber"])
        landed = int(chain.w3.eth.get_block(landed_block)["timestamp"])

        view = await read_settlement(client, inbox, queue, landed_block)
        assert view.l1_block == landed_block and view.l1_time == landed
        assert view.portal == address_of(portal) and view.portal_balance == DEPOSIT
        assert view.latest is not None
        assert view.latest.index == 1
        assert view.latest.output_root == b"\x0b" * 32 == \
            rollup.inbox.functions.output_roots(1).call()
        assert view.latest.l2_block == 9
        assert view.latest.landed_at == landed
        assert view.latest.finalizable_at == landed + CHALLENGE_WINDOW
        assert (view.latest.dispute_status, view.latest.final) == (0, False)
        assert view.seconds_left(landed + 10) == CHALLENGE_WINDOW - 10
        assert view.to_json() == {
            "batchIndex": 1, "outputRoot": "0x" + "0b" * 32, "l2Block": 9, "landedAt": landed,
            "finalizableAt": landed + CHALLENGE_WINDOW, "disputeStatus": 0, "dispute": "none",
            "final": False, "challengeWindow": CHALLENGE_WINDOW, "l1Block": landed_block,
            "l1Time": landed, "portal": portal.address.lower(), "portalBalance": str(DEPOSIT),
                "disputeGame": double.address.lower(),
                "stepVerifierComplete": None}  # the double names no verifier

        # Past the window with a dispute open: over, yet not final; defended: final.
        chain.send(double.functions.set_status(1, OPEN), chain.accounts[0])
        chain.increase_time(CHALLENGE_WINDOW + 1)
        disputed = await read_settlement(client, inbox, queue, chain.w3.eth.block_number)
        assert disputed.latest is not None
        assert (disputed.latest.dispute_status, disputed.latest.final) == (OPEN, False)
        assert disputed.to_json()["dispute"] == "open"
        assert disputed.seconds_left(disputed.l1_time) == 0
        chain.send(double.functions.set_status(1, DEFENDED), chain.accounts[0])
        defended = await read_settlement(client, inbox, queue, chain.w3.eth.block_number)
        assert defended.latest is not None and defended.latest.final is True
        # An older block still answers as it was then.
        again = await read_settlement(client, inbox, queue, landed_block)
        assert again == view


def test_status_counts_the_window_down_from_the_view_and_its_age() -> None:
    view = SettlementView(80, 1_000, CHALLENGE_WINDOW, b"\x01" * 20, 5, None)
    unread = settlement_status(CachedView(None, None, "connection refused", 50.0))
    assert unread["error"] == "connection refused" and unread["batchIndex"] is None
    assert unread["final"] is None and unread["secondsLeft"] is None
    assert settlement_status(CachedView(view, 40.0, None, 50.0))["secondsLeft"] is None
    latest = LandedOutput(3, b"\x0c" * 32, 30, 990, 990 + CHALLENGE_WINDOW, 0, False)
    landed = SettlementView(80, 1_000, CHALLENGE_WINDOW, b"\x01" * 20, 5, latest)
    # 10 s after the landing at read time, 7.5 s since the read: 20 - 7.5, rounded up.
    status = settlement_status(CachedView(landed, 40.0, None, 47.5))
    assert (status["secondsLeft"], status["ageSeconds"], status["batchIndex"]) == (13, 7.5, 3)
    assert settlement_status(CachedView(landed, 40.0, None, 90.0))["secondsLeft"] == 0
    final = SettlementView(80, 1_000, CHALLENGE_WINDOW, None, None,
                           LandedOutput(3, b"\x0c" * 32, 30, 900, 930, 3, True))
    assert settlement_status(CachedView(final, 40.0, None, 40.0))["secondsLeft"] == 0


async def test_a_dead_l1_or_a_wrong_address_is_an_error_field(
        chain: AnvilChain, caplog: pytest.LogCaptureFixture) -> None:
    rollup = deploy_rollup_setup(chain)
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    dead_url = f"http://127.0.0.1:{free_port()}/"
    async with L1Client(url) as client, \
            L1Client(dead_url, ClientConfig(max_attempts=1)) as dead:
        wrong = settlement_cache(client, b"\x77" * 20, address_of(rollup.queue), 1)
        down = settlement_cache(dead, rollup.inbox_address, address_of(rollup.queue), 1)
        good = settlement_cache(client, rollup.inbox_address, address_of(rollup.queue), 1)
        with caplog.at_level(logging.WARNING, logger="ordo.l1.view_cache"):
            for cache in (wrong, down, good):
                assert cache.current().view is None  # answers at once, reads in the background
                await cache.wait()
        wrong_status = settlement_status(wrong.current())
        down_status = settlement_status(down.current())
        assert wrong_status["batchIndex"] is None and wrong_status["challengeWindow"] is None
        assert wrong_status["error"] is not None
        assert wrong_status["error"].startswith("no RollupInbox at 0x" + "77" * 20)
        assert down_status["batchIndex"] is None and down_status["error"] is not None
        assert dead_url.rstrip("/") in down_status["error"] or \
            "connect" in down_status["error"].lower(), down_status["error"]
        good_status = settlement_status(good.current())
        assert good_status["error"] is None
        assert good_status["challengeWindow"] == CHALLENGE_WINDOW
        assert "failed unexpectedly" not in caplog.text, "expected failures, not bugs"
        assert caplog.text.count("settlement view not refreshed") == 2
        for cache in (wrong, down, good):
            await cache.close()


async def test_bridge_status_shows_the_same_view_at_the_head(chain: AnvilChain) -> None:
    rollup = deploy_rollup_setup(chain)
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    target = BridgeTarget(url, url, rollup.inbox_address, address_of(rollup.queue), 0)
    async with L1Client(url) as client:
        with pytest.raises(BridgeRefused, match="names no withdrawal portal"):
            await bridge.overview(client, target)
        portal = with_portal(rollup)
        rollup.submit(rollup.header(0, 1, 2, output_root=b"\x0d" * 32))
        document = await bridge.overview(client, target)
        head = chain.w3.eth.block_number
        assert document == (await read_settlement(client, target.inbox, target.forced_queue,
                                                  head)).to_json()
        assert (document["batchIndex"], document["outputRoot"], document["l2Block"]) == (
            0, "0x" + "0d" * 32, 2)
        assert document["portal"] == portal.address.lower()
        wrong = BridgeTarget(url, url, b"\x66" * 20, address_of(rollup.queue), 0)
        with pytest.raises(BridgeRefused, match="no RollupInbox at 0x" + "66" * 20):
            await bridge.overview(client, wrong)
