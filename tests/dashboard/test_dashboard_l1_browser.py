"""The dashboard of a node on an L1-anchored network, in headless Chromium.

The network is tests/l1_network's cluster (anvil mining a block a second, a LockingPool with four
staked sequencers, five nodes in this process). One staked signer double-votes (votes injected
over p2p as tests/l1_network does), so the page must show it as slashed and list the event. The
test checks the sequencer set, L1 tiles, recent blocks with their certificate signers and the
batch section against what the node answers, and the settlement panel against the inbox itself
(a real landed batch's output root, its L2 block and window, a deposit in the portal), and saves
a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from ordo.l1.client import L1Client
from ordo.l1.rollup_deploy import (
    DEVNET_CHALLENGE_WINDOW,
    RollupDeployment,
    inbox_at,
    queue_at,
)
from tests.cluster.cluster_harness import ClusterNode
from tests.dashboard.dashboard_dom import DashboardDom
from tests.dashboard.headless_browser import find_chromium, headless_page
from tests.l1_network.l1_cluster import (
    EPOCH_LENGTH,
    L1Cluster,
    l1_cluster,
    ticking_l1,  # noqa: F401 (fixture)
)
from tests.l1_network.test_sets_from_l1 import double_vote

CHROMIUM = find_chromium()
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PAGE_TIMEOUT_S = 30.0
SETTLEMENT_TIMEOUT_S = 90.0
"""A batch must land and be confirmed, and the node's settlement view (read every 10 s) see it."""
TOKEN = 10**18
DEPOSIT = 25 * 10**16
"""Deposited through the queue before the page opens: the portal holds it (0.25 ETH)."""

if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it",
                allow_module_level=True)

pytestmark = pytest.mark.slow

PAGE_SHOWS_STAKING = (
    "document.getElementById('connection').dataset.state === 'live'"
    " && document.getElementById('l1-epoch').textContent !== '—'"
    " && document.querySelectorAll('#validators tbody tr[data-validator]').length === 4"
    " && document.querySelector('#blocks tbody tr[data-number]') !== null")


def page_shows_slashed(signer: str) -> str:
    return (f"{PAGE_SHOWS_STAKING} && document.querySelector('#validators tbody "
            f"tr[data-validator=\"{signer}\"]').dataset.status === 'slashed'"
            f" && document.querySelector('#slashing tbody tr[data-validator=\"{signer}\"]')"
            " !== null")


def page_shows_settlement(balance: str) -> str:
    return ("document.getElementById('settlement').dataset.batch !== undefined"
            f" && document.getElementById('settlement-portal').textContent === '{balance}'")


def tokens(units: str) -> str:
    whole, fraction = divmod(int(units), TOKEN)
    return f"{whole:,}" + (f".{fraction:018d}".rstrip("0") if fraction else "")


@pytest.mark.parametrize("ticking_l1", ["anvil"], indirect=True)
async def test_dashboard_shows_staking_slashing_and_certificates_from_l1(
        tmp_path: Path, ticking_l1: str) -> None:  # noqa: F811
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed: .ci/run must install it")
    async with l1_cluster(tmp_path, ticking_l1) as net:
        node = net.cluster.nodes[0]
        cheat = "0x" + net.signers[3].address.hex()
        await deposit(net)
        async with headless_page(CHROMIUM) as page:
            await page.navigate(node.url.rstrip("/") + "/dashboard")
            await page.wait_for(PAGE_SHOWS_STAKING, PAGE_TIMEOUT_S)
            await double_vote(net, net.signers[3])
            await page.wait_for(page_shows_slashed(cheat), PAGE_TIMEOUT_S)
            # Past the first epoch, so two producers have built blocks.
            await page.wait_for(page_shows_slashed(cheat) + " && Number(document.getElementById("
                                f"'latest').textContent) > {EPOCH_LENGTH}", PAGE_TIMEOUT_S)
            dom = DashboardDom(await page.dom())
            status = await node.call("ordo_status")
            evidence = await node.call("ordo_getEvidence")
            path = await page.screenshot(ARTIFACTS / "dashboard-l1.png")
            print(f"dashboard screenshot: {path}")
            # Later (a batch must land and be confirmed), so read apart: by then the slashed
            # signer may have left the set the checks above are about.
            await page.wait_for(page_shows_settlement("0.25 ETH"), SETTLEMENT_TIMEOUT_S)
            settled = DashboardDom(await page.dom())
            settled_status = await node.call("ordo_status")
            path = await page.screenshot(ARTIFACTS / "dashboard-l1-settlement.png")
            print(f"dashboard screenshot: {path}")
            # The node's answer with a landed batch, for the pure tests' recording.
            (ARTIFACTS / "status-l1-settlement.json").write_text(
                json.dumps(settled_status, indent=2))
        await check_sequencer_set(dom, status, cheat, node)
        check_l1_tiles(dom, status)
        check_slashing(dom, evidence, cheat)
        await check_blocks(dom, node, {"0x" + s.address.hex() for s in net.signers[:4]})
        check_batches(dom, status)
        await check_settlement(settled, settled_status, net.client, net.rollup, node)


async def check_sequencer_set(dom: DashboardDom, status: dict[str, Any], cheat: str,
                              node: ClusterNode) -> None:
    view = status["l1"]["staking"]["view"]
    members = {m["signer"]: m for m in view["members"]}
    rows = {row.attributes["data-validator"]: row for row in dom.rows["validators"]}
    assert set(rows) == set(members) == {v["address"] for v in status["validators"]}
    for address, row in rows.items():
        member = members[address]
        assert row.cells[1] == tokens(member["epoch_stake"]) == "50,000"
        assert row.cells[4] == tokens(member["rewards_owed"])
        expected = "slashed" if address == cheat else member["status"]
        assert row.cells[2] == row.attributes["data-status"] == expected
    produced = [int(row.cells[3]) for row in rows.values()]
    window = re.fullmatch(r"\(last (\d+) blocks\)", dom.texts["produced-window"])
    assert window is not None, dom.texts["produced-window"]
    assert sum(produced) == int(window.group(1)), "every block shown has a builder in the set"
    # The counts are the builders of the window ending at the newest block the page shows.
    newest = int(dom.rows["blocks"][0].attributes["data-number"])
    built: dict[str, int] = {}
    for number in range(newest - int(window.group(1)) + 1, newest + 1):
        block = await node.call("eth_getBlockByNumber", hex(number), False)
        builder = "0x" + block["extraData"][2:42]
        built[builder] = built.get(builder, 0) + 1
    assert {address: int(row.cells[3]) for address, row in rows.items()
            if int(row.cells[3])} == built
    assert f"L1 block {view['l1_block']}" in dom.texts["staking-note"] or \
        "Stake: tokens the L1 epoch" in dom.texts["staking-note"]


def check_l1_tiles(dom: DashboardDom, status: dict[str, Any]) -> None:
    l1 = status["l1"]
    assert dom.texts["l1-endpoint"] == l1["rpc"]
    head, origin = (int(part) for part in dom.texts["l1-head"].split(" / "))
    assert 0 < origin <= head <= l1["head"]
    assert int(dom.texts["l1-epoch"]) <= l1["staking"]["view"]["current_epoch"]
    assert dom.texts["producer"].startswith("0x") and len(dom.texts["producer"]) == 42


def check_slashing(dom: DashboardDom, evidence: list[dict[str, Any]], cheat: str) -> None:
    assert evidence and {item["validator"] for item in evidence} == {cheat}
    rows = [row for row in dom.rows["slashing"] if row.cells[4] == "ordo_getEvidence"]
    assert [(row.cells[0], row.cells[1], row.cells[2], row.cells[3]) for row in rows] == [
        (item["validator"], f"equivocation ({item['voteType']})", str(item["height"]),
         str(item["round"])) for item in evidence][:len(rows)]
    assert rows, "the double vote is listed"
    assert dom.attributes["slashing"].get("hidden") is None


async def check_blocks(dom: DashboardDom, node: ClusterNode, staked: set[str]) -> None:
    rows = dom.rows["blocks"]
    assert rows
    for row in rows[:5]:
        number = int(row.attributes["data-number"])
        commit = await node.call("ordo_getCommit", hex(number))
        signers = [entry["validator"] for entry in commit["signatures"]]
        assert row.cells[6].split() == signers
        assert len(signers) >= 3 and set(signers) <= staked, "a quorum of the staked set"
        block = await node.call("eth_getBlockByNumber", hex(number), False)
        assert row.cells[1].startswith(block["hash"][:10])


def check_batches(dom: DashboardDom, status: dict[str, Any]) -> None:
    batcher = status["l1"].get("batcher")
    if batcher is None:
        assert "Batches posted: —" in dom.texts["batches-note"]
        assert dom.attributes["batches"].get("hidden") is not None
        assert dom.texts["batch-totals"] == ""
        return
    # Once the node reports a batcher, the page shows its numbers and no note about absence.
    assert dom.texts["batch-totals"].startswith("Batches posted: ")
    if batcher.get("lastBatchIndex") is not None:
        indexes = [int(row.attributes["data-batch"]) for row in dom.rows["batches"]]
        assert indexes and indexes == sorted(indexes, reverse=True)


async def deposit(net: L1Cluster) -> None:
    """DEPOSIT to the first signer on L2, through the queue (which hands it to the portal)."""
    queue = queue_at(net.client, net.rollup.queue)
    fee = int(await queue.call("min_fee"))
    sent = await queue.transact(net.deployer, "deposit", net.signers[0].address,
                                value=DEPOSIT + fee)
    receipt = await net.client.wait_for_receipt(sent.tx_hash)
    assert receipt.succeeded


async def check_settlement(dom: DashboardDom, status: dict[str, Any], client: L1Client,
                           rollup: RollupDeployment, node: ClusterNode) -> None:
    """The panel's batch is one the inbox holds, with the inbox's own root and the L2 block the
    batch ended at; the root is also what the L2 node computes for that block."""
    index = int(dom.attributes["settlement"]["data-batch"])
    inbox = inbox_at(client, rollup.inbox)
    assert index < int(await inbox.call("next_index"))
    root = "0x" + bytes(await inbox.call("output_roots", index)).hex()
    assert root != "0x" + "00" * 32
    assert dom.attributes["settlement-root"]["title"] == root
    assert dom.texts["settlement-root"] == root[:10] + "…" + root[-4:]
    (accepted,) = [event for event in await inbox.get_events(
        "BatchAccepted", rollup.deploy_block, await client.block_number())
        if int(event.arguments["index"]) == index]
    l2_block = int(accepted.arguments["last_block"])
    assert dom.texts["settlement-batch"] == f"{index} / {l2_block}"
    output = await node.call("ordo_outputAtBlock", hex(l2_block))
    assert output["outputRoot"] == root, "the L2 node's own output root for that block"
    # The window (the devnet's 30 s) as the page counted it when the DOM was read: the time
    # left can only be more than what L1 time says (the node reads a confirmed block), never
    # past the window, and "final" only where the inbox says so.
    l1_now = await l1_time(client)
    finalizable_at = int(await inbox.call("finalizable_at", index))
    landed_at = int(await inbox.call("landed_at", index))
    assert finalizable_at - landed_at == int(await inbox.call("challenge_window")) == \
        DEVNET_CHALLENGE_WINDOW
    window = dom.texts["settlement-window"]
    state = dom.attributes["settlement-window"]["data-state"]
    counting = re.fullmatch(r"(\d+) s left", window)
    if counting is not None:
        assert state == "open"
        assert finalizable_at - l1_now - 2 <= int(counting.group(1)) <= DEVNET_CHALLENGE_WINDOW
    elif window == "final":
        assert state == "final" and await inbox.call("is_output_final", index) is True
    else:
        assert (window, state) == ("window over; final once L1 confirms it", "closing")
        assert l1_now >= finalizable_at - 2
    assert dom.texts["settlement-dispute"] == "none"
    portal = str(await queue_at(client, rollup.queue).call("portal"))
    assert await client.get_balance(bytes.fromhex(portal[2:])) == DEPOSIT
    assert dom.attributes["settlement-portal"]["title"] == f"WithdrawalPortal {portal}"
    settlement = status["l1"]["settlement"]
    assert settlement["error"] is None and settlement["portal"] == portal
    assert settlement["batchIndex"] >= index and settlement["final"] is False
    assert 0 <= settlement["secondsLeft"] <= DEVNET_CHALLENGE_WINDOW
    assert "Read at confirmed L1 block" in dom.texts["settlement-note"]


async def l1_time(client: L1Client) -> int:
    block = await client.get_block("latest")
    assert block is not None
    return block.timestamp
