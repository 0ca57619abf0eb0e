"""The dashboard in a real browser against a real devnet node, across a node restart.

Headless Chromium (Debian's ``chromium``) loads /dashboard from a running ``ordo devnet``, the
test checks what the page shows against what the node answers, saves screenshots under
tests/artifacts/, then restarts the node on the same data dir and checks the page reconnects
and resyncs by itself. Outside CI a machine without chromium skips with the reason; in CI
(CI=true) a missing chromium fails, so the test can never silently vanish there.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ordo.core.genesis import dev_private_keys
from tests.dashboard.dashboard_dom import DashboardDom
from tests.dashboard.four_node_devnet import FourNodeDevnet
from tests.dashboard.headless_browser import BrowserPage, find_chromium, headless_page
from tests.e2e.targets import OrdoDevnet, rpc_request

CHROMIUM = find_chromium()
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
RECIPIENT = "0x000000000000000000000000000000000000dEaD"
TRANSFERS = 3
PAGE_TIMEOUT_S = 30.0

if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it",
                allow_module_level=True)

pytestmark = pytest.mark.slow

PAGE_LIVE = "document.getElementById('connection').dataset.state === 'live'"
PAGE_DOWN = "document.getElementById('connection').dataset.state === 'down'"


def page_reached(height: int) -> str:
    """The page is live, shows a block at or above ``height`` and has a rate to show."""
    return (f"{PAGE_LIVE} && Number(document.getElementById('latest').textContent) >= {height}"
            " && document.getElementById('tps').textContent !== '—'"
            f" && document.querySelector('#blocks tbody tr[data-number]') !== null")


def send_transfers(rpc_url: str, chain_id: int) -> list[str]:
    account = Account.from_key(dev_private_keys()[0])
    nonce = int(rpc_request(rpc_url, "eth_getTransactionCount", [account.address, "pending"]), 16)
    hashes = []
    for offset in range(TRANSFERS):
        signed = account.sign_transaction({
            "to": RECIPIENT, "value": 1, "gas": 21000, "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9, "nonce": nonce + offset, "chainId": chain_id,
            "type": 2})
        hashes.append(rpc_request(rpc_url, "eth_sendRawTransaction",
                                  ["0x" + signed.raw_transaction.hex()]))
    return hashes


def wait_for_height(rpc_url: str, height: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while int(rpc_request(rpc_url, "eth_blockNumber", []), 16) < height:
        assert time.monotonic() < deadline, f"the devnet did not reach block {height}"
        time.sleep(0.2)


def wait_for_receipts(rpc_url: str, hashes: list[str], timeout: float = 30.0
                      ) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    receipts: list[dict[str, Any]] = []
    for tx_hash in hashes:
        while (receipt := rpc_request(rpc_url, "eth_getTransactionReceipt", [tx_hash])) is None:
            assert time.monotonic() < deadline, f"{tx_hash} was not mined in {timeout} s"
            time.sleep(0.2)
        receipts.append(receipt)
    return receipts


def expected_rate(rpc_url: str, head: int, window: int = 10) -> float:
    """The page's rate at ``head`` worked out from the node's blocks (a short chain: the page
    holds every block from 1, so the window starts at block 1 at the earliest)."""
    start = max(1, head - window)
    blocks = [rpc_request(rpc_url, "eth_getBlockByNumber", [hex(n), False])
              for n in range(start, head + 1)]
    seconds = int(blocks[-1]["timestamp"], 16) - int(blocks[0]["timestamp"], 16)
    return sum(len(block["transactions"]) for block in blocks[1:]) / seconds


async def rendered(page: BrowserPage) -> DashboardDom:
    return DashboardDom(await page.dom())


async def save_screenshot(page: BrowserPage, name: str) -> Path:
    path = await page.screenshot(ARTIFACTS / name)
    print(f"dashboard screenshot: {path}")
    return path


def between(shown: str, before: str, after: str) -> bool:
    return int(before, 16) <= int(shown) <= int(after, 16)


async def test_dashboard_shows_a_live_devnet_and_survives_a_node_restart(
        tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed: .ci/run must install it")
    devnet = OrdoDevnet(tmp_path / "devnet")
    try:
        endpoint = await asyncio.to_thread(devnet.start)
        # The rate counts transactions of blocks after the first one the page holds, so the
        # transfers go into a later block than block 1.
        await asyncio.to_thread(wait_for_height, endpoint.rpc_url, 3)
        receipts = await asyncio.to_thread(
            wait_for_receipts, endpoint.rpc_url,
            send_transfers(endpoint.rpc_url, endpoint.chain_id))
        tx_block = max(int(receipt["blockNumber"], 16) for receipt in receipts)
        page_url = endpoint.rpc_url.rstrip("/") + "/dashboard"

        async with headless_page(CHROMIUM) as page:
            await page.navigate(page_url)
            before = rpc_request(endpoint.rpc_url, "ordo_status", [])
            await page.wait_for(page_reached(tx_block), PAGE_TIMEOUT_S)
            dom = await rendered(page)
            after = rpc_request(endpoint.rpc_url, "ordo_status", [])
            await save_screenshot(page, "dashboard.png")
            check_live_view(dom, before, after, endpoint.rpc_url, tx_block)

            shown_before_restart = int(dom.texts["latest"])
            await asyncio.to_thread(devnet.stop)
            await page.wait_for(PAGE_DOWN, PAGE_TIMEOUT_S)
            assert "retrying" in (await rendered(page)).texts["connection"]
            endpoint = await asyncio.to_thread(devnet.start)
            await page.wait_for(page_reached(shown_before_restart + 1), PAGE_TIMEOUT_S * 2)
            dom = await rendered(page)
            await save_screenshot(page, "dashboard-after-restart.png")
            status = rpc_request(endpoint.rpc_url, "ordo_status", [])
            rows = dom.rows["blocks"]
            numbers = [int(row.attributes["data-number"]) for row in rows]
            assert numbers == sorted(numbers, reverse=True)
            assert len(numbers) == len(set(numbers)), "a resync left duplicate rows"
            assert numbers[0] > shown_before_restart
            assert numbers[0] <= int(status["latestBlock"], 16)
            signer = status["signer"]
            assert all(signer in row.cells[-1] for row in rows)
    finally:
        await asyncio.to_thread(devnet.stop)


def check_live_view(dom: DashboardDom, before: dict[str, Any], after: dict[str, Any],
                    rpc_url: str, tx_block: int) -> None:
    assert dom.attributes["connection"]["data-state"] == "live"
    signer = after["signer"]
    validators = dom.rows["validators"]
    assert len(validators) == len(after["validators"]) == 1
    row = validators[0]
    assert row.attributes["data-validator"] == signer
    assert row.cells[0] == signer
    assert row.cells[1] == f"{int(after['validators'][0]['stake'], 16):,}"
    assert row.cells[4] == "not connected to L1 yet"
    assert int(row.cells[3]) > 0, "the only validator built every block shown"

    assert between(dom.texts["epoch"], before["epoch"], after["epoch"])
    assert dom.texts["producer"] == signer
    assert int(dom.texts["finalized"]) > 0
    assert between(dom.texts["finalized"], before["finalizedBlock"], after["finalizedBlock"])
    assert dom.attributes["failover"].get("hidden") is not None, "no failover happened"

    rows = {int(r.attributes["data-number"]): r for r in dom.rows["blocks"]}
    assert tx_block in rows, f"block {tx_block} with the transfers is not among {sorted(rows)}"
    block = rpc_request(rpc_url, "eth_getBlockByNumber", [hex(tx_block), False])
    commit = rpc_request(rpc_url, "ordo_getCommit", [hex(tx_block)])
    cells = rows[tx_block].cells
    assert cells[1].startswith(block["hash"][:10])
    assert int(cells[3]) == len(block["transactions"]) > 0
    assert cells[5] == str(int(commit["round"], 16))
    assert cells[6] == " ".join(s["validator"] for s in commit["signatures"]) == signer

    assert re.fullmatch(r"\d+\.\d\d", dom.texts["tps"]), dom.texts["tps"]
    assert dom.texts["tps"] == f"{expected_rate(rpc_url, int(dom.texts['latest'])):.2f}"
    peak = re.search(r"peak (\d+\.\d\d)", dom.texts["tps-window"])
    assert peak is not None and float(peak.group(1)) > 0, "the transfers are in the chart"
    assert "Not connected to L1 yet" in dom.texts["batches-note"]
    assert dom.attributes["batches"].get("hidden") is not None
    assert "not connected to L1 yet" in dom.texts["slashing-note"]
    assert dom.rows["slashing"] == []
    assert dom.texts["settlement-note"] == "Not connected to L1: this node reports no settlement."
    assert [dom.texts[f"settlement-{part}"] for part in ("root", "batch", "window", "portal")] \
        == ["—"] * 4
    assert "data-batch" not in dom.attributes["settlement"]


async def test_dashboard_marks_a_failover_on_a_four_sequencer_devnet(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed: .ci/run must install it")
    devnet = FourNodeDevnet(tmp_path / "devnet4")
    try:
        nodes = await asyncio.to_thread(devnet.start)
        await asyncio.to_thread(wait_for_height, nodes[0].rpc_url, 2)
        producer = rpc_request(nodes[0].rpc_url, "ordo_status", [])["producer"]
        watched = next(node for node in nodes if node.signer != producer)
        async with headless_page(CHROMIUM) as page:
            await page.navigate(watched.rpc_url.rstrip("/") + "/dashboard")
            await page.wait_for(page_reached(2) + " && document.querySelectorAll("
                                "'#validators tbody tr[data-validator]').length === 4",
                                PAGE_TIMEOUT_S)
            dom = await rendered(page)
            status = rpc_request(watched.rpc_url, "ordo_status", [])
            shown = {row.attributes["data-validator"]: row.cells[1]
                     for row in dom.rows["validators"]}
            assert shown == {v["address"]: f"{int(v['stake'], 16):,}"
                             for v in status["validators"]}
            assert dom.attributes["failover"].get("hidden") is not None
            for row in dom.rows["blocks"]:
                assert len(row.cells[6].split()) >= 3, "a certificate carries a quorum of 3"

            producer = rpc_request(watched.rpc_url, "ordo_status", [])["producer"]
            victim = next(node for node in nodes if node.signer == producer)
            devnet.pause(victim)
            await page.wait_for("!document.getElementById('failover').hidden", PAGE_TIMEOUT_S)
            await page.wait_for("document.querySelector('#blocks tbody tr.failover') !== null",
                                PAGE_TIMEOUT_S)
            dom = await rendered(page)
            await save_screenshot(page, "dashboard-failover.png")
            failover_rows = [row for row in dom.rows["blocks"]
                             if "failover" in row.attributes.get("class", "")]
            row = failover_rows[0]
            height = int(row.attributes["data-number"])
            commit = rpc_request(watched.rpc_url, "ordo_getCommit", [hex(height)])
            rounds = int(commit["round"], 16)
            assert rounds > 0
            assert row.cells[5] == f"{rounds} (failover)"
            assert victim.signer not in row.cells[6].split()
            assert row.cells[6].split() == [s["validator"] for s in commit["signatures"]]
            assert re.search(r"failover (in progress|at height \d+)", dom.texts["failover"])
            assert dom.texts["producer"] != victim.signer or "in progress" in dom.texts[
                "failover"]
    finally:
        await asyncio.to_thread(devnet.stop)
