"""The L1 data fee on a live L1-anchored network (docs/state_transition.md 6.4): producers copy
each block's L1 prices from their origin, validators check them against their own L1 view, the
batches carry them, and a separate derivation process that reads only the L1 checks them
against the origins' headers and rebuilds every block byte for byte; the fee vault fills, and
receipts over RPC carry OP's fields equal to the formula; ``ordo fees`` settles an epoch from
the two nodes' public data (posting reimbursed first, the rest by blocks produced), and a
node's ``ordo status`` tally of its last closed epoch agrees with it."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from ordo.core.l1_fee import FEE_VAULT_ADDRESS, L1FeeRules, L1Prices, l1_fee, l1_prices_of_block
from tests.l1_network.derivation_process import derive_from_l1
from tests.l1_network.inbox_record import accepted_batches, inbox_problems, wait_for_batches
from tests.l1_network.l1_cluster import (  # noqa: F401 (fixture)
    EPOCH_LENGTH,
    l1_cluster,
    ticking_l1,
)
from tests.l1_network.transfer_load import TransferLoad

BATCHES = 2
TIMEOUT = 90.0


@pytest.mark.parametrize("ticking_l1", ["anvil"], indirect=True)
async def test_a_fee_network_charges_l1_prices_and_derivation_agrees(
        tmp_path: Path, ticking_l1: str) -> None:  # noqa: F811
    rules = L1FeeRules()
    async with l1_cluster(tmp_path, ticking_l1, l1_fee=rules) as net:
        cluster, inbox = net.cluster, net.rollup.inbox
        async with TransferLoad(cluster) as load:
            await wait_for_batches(net.client, inbox, BATCHES, TIMEOUT)
        batches = await accepted_batches(net.client, inbox, cluster.chain_id)
        assert len(batches) >= BATCHES and not inbox_problems(batches), inbox_problems(batches)
        posted_through = batches[-1].last_block
        follower = cluster.nodes[4]

        charged = 0
        for number in range(1, posted_through + 1):
            block = await follower.call("eth_getBlockByNumber", hex(number), True)
            prices = L1Prices.of_word(bytes.fromhex(block["parentBeaconBlockRoot"][2:]))
            origin = await net.client.get_block(int(block["extraData"][42:58], 16))
            assert origin is not None and origin.hash.hex() == block["mixHash"][2:]
            assert prices == l1_prices_of_block(origin.base_fee_per_gas, origin.excess_blob_gas)
            assert prices.base_fee > 0
            for tx in block["transactions"]:
                receipt = await follower.call("eth_getTransactionReceipt", tx["hash"])
                raw = await follower.call("eth_getRawTransactionByHash", tx["hash"])
                fee = l1_fee(bytes.fromhex(raw[2:]), prices, rules)
                assert int(receipt["l1Fee"], 16) == fee > 0
                assert int(receipt["l1GasPrice"], 16) == prices.base_fee
                charged += fee
        assert charged > 0
        vault = int(await follower.call("eth_getBalance", "0x" + FEE_VAULT_ADDRESS.hex(),
                                        hex(posted_through)), 16)
        assert vault > charged, "the vault holds the L1 fees and the L2 base fees"

        started = time.monotonic()
        status, summary = await derive_from_l1(ticking_l1, inbox, tmp_path / "genesis.json",
                                               tmp_path / "derived", follower.url)
        assert status == 0 and summary["ok"], summary
        assert summary["mismatches"] == [] and summary["invalid_batch"] is None
        assert summary["l1"]["origins_checked"]
        assert summary["blocks"] >= posted_through

        # ordo fees: epoch 1's settlement, recomputed from the two nodes' public data.
        # (the nodes run in this event loop: the command must not block it)
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ordo", "fees", "--genesis", str(tmp_path / "genesis.json"),
            "--epoch", "1", "--rpc", follower.url, "--l1-rpc", ticking_l1,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(command.communicate(), 60)
        assert command.returncode == 0, err.decode()
        report = json.loads(out)
        first, last = EPOCH_LENGTH + 1, 2 * EPOCH_LENGTH  # consensus's epoch 1
        assert (report["firstBlock"], report["lastBlock"]) == (first, last)
        rows = {row["address"]: row for row in report["sequencers"]}
        assert sum(row["blocksProduced"] for row in rows.values()) == EPOCH_LENGTH
        balances = [int(await follower.call("eth_getBalance", "0x" + FEE_VAULT_ADDRESS.hex(),
                                            hex(n)), 16) for n in (first - 1, last)]
        income = balances[1] - balances[0]
        assert int(report["vaultIncome"]) == income > 0
        paid = sum(int(row["reimbursed"]) + int(row["blockRewards"]) for row in rows.values())
        assert paid + int(report["carried"]) == income
        posters = {"0x" + b.submitter.hex() for b in batches if first <= b.last_block <= last}
        assert {a for a, row in rows.items() if row["l1GasSpentPosting"]} == posters
        for row in rows.values():
            assert int(row["reimbursed"]) <= int(row["l1CostPosting"])

        # ordo status: the follower's running tally of the last closed epoch says the same.
        economics = (await follower.call("ordo_status"))["economics"]
        closed = economics["previous"]
        assert closed is not None and closed["since"] == closed["epoch"] * EPOCH_LENGTH + 1
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ordo", "fees", "--genesis", str(tmp_path / "genesis.json"),
            "--epoch", str(closed["epoch"]), "--rpc", follower.url, "--l1-rpc", ticking_l1,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(command.communicate(), 60)
        assert command.returncode == 0, err.decode()
        settled = json.loads(out)
        assert closed["vaultIncome"] == settled["vaultIncome"]
        assert {row["address"]: (row["blocksProduced"], row["l2FeesEarned"])
                for row in closed["sequencers"]} == \
            {row["address"]: (row["blocksProduced"], row["l2FeesEarned"])
             for row in settled["sequencers"] if row["blocksProduced"]}
        print(f"\nL1 fee loop: {len(batches)} batches through block {posted_through}, "
              f"{load.sent} transfers sent, {charged} wei of L1 fees, vault {vault} wei; "
              f"derived in {time.monotonic() - started:.1f} s")
