"""Issue 11, crash: a node killed between a withdrawal's inclusion and the batch that carries it
loses nothing.

A 4-node ``ordo devnet`` on the dev L1 and on anvil, epochs of 20 blocks so the batch covering
the withdrawal closes well after it. A user withdraws with ``ordo bridge withdraw``; the moment
its L2 block is final, and while the inbox's last batch still ends below it, the epoch's
producer is SIGKILLed and the devnet's supervisor restarts it. Meanwhile the three others keep
finalizing (a failover round certifies the next block without it; a stream of L2 transfers
goes to one of them), a batch covering the withdrawal lands, the withdrawal is proved with the
restarted node's own output root and storage proof and finalized after the challenge window,
paying the exact amount once. The restarted node holds the same chain: the withdrawal's
receipt, every acknowledged transfer, and for the batch's last block the output root the inbox
recorded. The inbox stays gapless, one BatchAccepted per index, no inbox transaction reverted.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from ordo.core.genesis import dev_private_keys
from ordo.core.output_root import compute_output_root
from ordo.derivation.inbox_batches import AcceptedBatch, decode_submit_batch
from ordo.devnet.ports import free_devnet_base_port, free_port_block
from ordo.keys.key_file import key_address
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import inbox_at
from ordo.l1.rpc_errors import L1Error
from tests.devnet.devnet_on_l1 import DEPLOYER_KEY, rpc
from tests.l1_network.inbox_record import accepted_batches, inbox_problems, inbox_transactions

ETH = 10**18
NODES = 4
EPOCH = 20
WINDOW = 15
CONFIRMATIONS = 2
"""The devnet genesis's L1 confirmation depth, which the batcher reads the inbox at."""
AMOUNT = 3 * ETH // 4 + 123_456_789
"""An odd amount, so an exact payment is not a coincidence."""
DEPOSIT = 2 * ETH
"""Funds the portal (deposits are what withdrawals are paid from)."""
MARGIN_BLOCKS = 8
"""The withdrawal is sent only when at least this many blocks of the epoch are left, so its
batch cannot close (and land) between its finality and the kill."""
NODE_CLIENT = ClientConfig(request_timeout=10.0, max_attempts=3)
"""Patient: four nodes, the L1 and the test share two cores, and a restarting node loads them."""
T = TypeVar("T")


async def until(probe: Callable[[], Awaitable[T | None]], timeout: float, what: str) -> T:
    """Poll ``probe`` until it returns something other than None (or False); that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value is not None and value is not False:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.1)


async def finalized(node: L1Client) -> int:
    """The node's finalized height; -1 while it does not answer."""
    try:
        block = await node.request("eth_getBlockByNumber", ["finalized", False])
    except (L1Error, OSError, TimeoutError):
        return -1
    return -1 if block is None else int(block["number"], 16)


async def block_hash(node: L1Client, number: int) -> str | None:
    block = await node.request("eth_getBlockByNumber", [hex(number), False])
    return None if block is None else str(block["hash"])


def node_pid(data_dir: Path, index: int) -> int:
    """Node ``index``'s pid as the devnet's supervisor last published it."""
    manifest = json.loads((data_dir / "devnet.json").read_text())
    return int(manifest["nodes"][index]["pid"])


async def cli(devnet: Path, l2_rpc: str, *arguments: str) -> tuple[int, Any, str]:
    """``ordo bridge ... --devnet DEVNET --l2-rpc L2_RPC --json`` in a thread (the transfer load
    goes on meanwhile): exit code, the JSON printed (None if none), stderr."""
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "ordo", "bridge", *arguments, "--devnet",
                         str(devnet), "--l2-rpc", l2_rpc, "--json"],
        capture_output=True, text=True, timeout=120)
    output = done.stdout.strip()
    return done.returncode, json.loads(output) if output else None, done.stderr


async def ok(devnet: Path, l2_rpc: str, *arguments: str) -> Any:
    code, document, errors = await cli(devnet, l2_rpc, *arguments)
    assert code == 0, errors
    return document


async def refused(devnet: Path, l2_rpc: str, *arguments: str) -> str:
    code, _, errors = await cli(devnet, l2_rpc, *arguments)
    assert code == 1, errors
    return errors.strip()


def eth(wei: int) -> str:
    whole, fraction = divmod(wei, ETH)
    return f"{whole}.{fraction:018d}"


def covering(batches: list[AcceptedBatch], block: int) -> AcceptedBatch | None:
    return next((batch for batch in batches if batch.first_block <= block <= batch.last_block),
                None)


async def indexes_sent_by(l1: L1Client, inbox: bytes, sender: bytes,
                          from_block: int) -> list[int]:
    """The batch index of every inbox transaction ``sender`` sent from L1 block
    ``from_block`` on."""
    indexes = []
    for number in range(from_block, await l1.block_number() + 1):
        found = await l1.request("eth_getBlockByNumber", [hex(number), True])
        for transaction in found["transactions"]:
            if (transaction.get("to") or "").lower() == "0x" + inbox.hex() and \
                    transaction["from"].lower() == "0x" + sender.hex():
                call = decode_submit_batch(bytes.fromhex(transaction["input"][2:]))
                indexes.append(call.header.index)
    return indexes


@asynccontextmanager
async def transfer_load(node: L1Client, key: bytes) -> AsyncIterator[list[bytes]]:
    """One transfer after another to ``node``, each waited for until it is in a block: blocks
    keep coming at the L2 block time instead of the 2 s heartbeat. Yields the hashes the node
    acknowledged (all but the last one are in a block)."""
    account = LocalAccount(node, key)
    sink = keccak(b"withdrawal crash transfer sink")[:20]
    acknowledged: list[bytes] = []
    stop = asyncio.Event()

    async def run() -> None:
        while not stop.is_set():
            sent = await account.send_transaction(sink, value=1, gas=21_000)
            acknowledged.append(sent.tx_hash)
            while await node.get_transaction_receipt(sent.tx_hash) is None:
                await asyncio.sleep(0.05)

    task = asyncio.create_task(run())
    try:
        yield acknowledged
    finally:
        stop.set()
        await task


@pytest.fixture(params=["dev", "anvil"])
def l1_options(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """``ordo devnet`` options for its L1: the embedded dev L1, or a ticking anvil."""
    if request.param == "dev":
        return []
    ticking_anvil: str = request.getfixturevalue("ticking_anvil")
    key_file = tmp_path / "deployer.key"
    key_file.write_text(DEPLOYER_KEY.hex() + "\n")
    key_file.chmod(0o600)
    rpc(ticking_anvil, "anvil_setBalance", key_address(DEPLOYER_KEY), hex(100 * ETH))
    return ["--l1-rpc", ticking_anvil, "--l1-deployer-key-file", str(key_file)]


async def test_a_node_killed_before_the_withdrawals_batch_loses_nothing(
        tmp_path: Path, run_devnet: Any, l1_options: list[str]) -> None:
    started = time.monotonic()
    data_dir = tmp_path / "net"
    run, manifest = run_devnet(
        data_dir, "--nodes", str(NODES), "--epoch-length", str(EPOCH), "--challenge-window",
        str(WINDOW), "--base-port", str(free_devnet_base_port(NODES)),
        "--p2p-base-port", str(free_port_block(NODES)), *l1_options)
    up_at = time.monotonic() - started
    l1_section = manifest["l1"]
    assert l1_section["challengeWindow"] == WINDOW
    inbox_address = bytes.fromhex(l1_section["inbox"][2:])
    portal = bytes.fromhex(l1_section["portal"][2:])
    by_signer = {str(entry["signer"]).lower(): int(entry["index"])
                 for entry in manifest["nodes"]}
    urls = [str(entry["rpc"]) for entry in manifest["nodes"]]
    chain_id = int(manifest["chainId"])
    keys = dev_private_keys()
    withdrawer = "0x" + Account.from_key(keys[5]).address[2:].lower()
    recipient = keccak(b"withdrawal crash recipient")[:20]

    async with AsyncExitStack() as stack:
        l1 = await stack.enter_async_context(L1Client(l1_section["rpc"]))
        nodes = [await stack.enter_async_context(L1Client(url, NODE_CLIENT)) for url in urls]
        inbox = inbox_at(l1, inbox_address)

        # The portal holds what withdrawals are paid from.
        await ok(data_dir, urls[0], "deposit", eth(DEPOSIT), "--to", withdrawer,
                 "--dev-account", "7")
        portal_before = await l1.get_balance(portal)
        assert portal_before == DEPOSIT
        assert await l1.get_balance(recipient) == 0

        # Every node finalizes; the head is early enough in its epoch.
        async def all_final() -> bool:
            return min([await finalized(node) for node in nodes]) >= 1
        await until(all_final, 60, "all four nodes finalize a block")

        # A first batch lands (transfers speed the epoch up), so the withdrawal's is not the
        # first: the restarted node must resume from the inbox's position, not from zero.
        async with transfer_load(nodes[0], keys[3]) as warmup:
            async def first_batch() -> bool:
                return bool(await accepted_batches(l1, inbox_address, chain_id))
            await until(first_batch, 90, "a first batch lands")
        assert warmup

        async def early_in_epoch() -> bool:
            return EPOCH - await finalized(nodes[0]) % EPOCH >= MARGIN_BLOCKS
        await until(early_in_epoch, 4 * EPOCH, "an epoch with room for the withdrawal")
        producer = by_signer[(await nodes[0].request("ordo_status", []))["producer"].lower()]
        via = (producer + 1) % NODES

        # The withdrawal, sent to a node that is not the producer.
        withdrawn = await ok(data_dir, urls[via], "withdraw", eth(AMOUNT), "--to",
                             "0x" + recipient.hex(), "--dev-account", "5")
        assert (withdrawn["sender"], withdrawn["target"], withdrawn["value"]) == \
            (withdrawer, "0x" + recipient.hex(), str(AMOUNT))
        tx_hash, block = withdrawn["txHash"], int(withdrawn["l2Block"])

        async def final_there() -> bool:
            return await finalized(nodes[via]) >= block
        await until(final_there, 30, f"block {block} final")

        # Kill the epoch's producer at once, before any batch covers the withdrawal.
        status = await nodes[via].request("ordo_status", [])
        victim = by_signer[status["producer"].lower()]
        old_pid = node_pid(data_dir, victim)
        os.kill(old_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        inbox_last = int(await inbox.call("last_block"))
        assert inbox_last < block, (inbox_last, block)
        l1_at_kill = await l1.block_number()
        # A batcher takes the inbox at the confirmed L1 block as the truth (restart- and
        # reorg-safe): a batch that landed fewer than CONFIRMATIONS blocks before the kill may be
        # posted again by the restarted node, and the inbox ignores it. One confirmed at the
        # kill must never be.
        landed_at_kill = int(await inbox.call("next_index",
                                              block=max(0, l1_at_kill - CONFIRMATIONS)))
        survivors = [index for index in range(NODES) if index != victim]
        final_at_kill = max([await finalized(nodes[index]) for index in survivors])
        rest = nodes[survivors[0]]

        async with transfer_load(rest, keys[4]) as acknowledged:
            # The supervisor restarts the node; the others finalize meanwhile.
            async def back() -> bool:
                return node_pid(data_dir, victim) != old_pid and \
                    await finalized(nodes[victim]) >= 0
            await until(back, 60, f"node {victim} restarted and serving")
            downtime = time.monotonic() - killed_at
            final_when_back = max([await finalized(nodes[index]) for index in survivors])

            async def landed() -> AcceptedBatch | None:
                return covering(await accepted_batches(l1, inbox_address, chain_id), block)
            batch = await until(landed, 120, f"a batch covering block {block} lands")
            landed_after = time.monotonic() - killed_at
        assert bytes(await inbox.call("output_roots", batch.index)) == batch.output_root

        # The others went on without it: the first block after the kill was the dead
        # producer's to propose in round 0; another proposed it in a later round and the three
        # others certified it.
        victim_signer = str(manifest["nodes"][victim]["signer"]).lower()
        after_kill = await rest.request("ordo_getCommit", [hex(final_at_kill + 1)])
        signers = {str(entry["validator"]).lower() for entry in after_kill["signatures"]}
        assert int(after_kill["round"], 16) >= 1
        assert signers == set(by_signer) - {victim_signer}
        assert batch.last_block > final_at_kill

        # The restarted node catches up: same blocks, the withdrawal's receipt, and for the
        # batch's last block the output root the inbox recorded.
        async def caught_up() -> bool:
            return await finalized(nodes[victim]) >= batch.last_block
        try:
            await until(caught_up, 60, f"node {victim} finalizes block {batch.last_block}")
        except AssertionError:
            log = (data_dir / f"node-{victim}" / "node.log").read_text(errors="replace")
            print(f"node {victim}'s log since its restart:\n"
                  + log.rsplit("--- devnet: starting", 1)[-1][-6000:])
            raise
        for number in (block, batch.last_block):
            hashes = {await block_hash(node, number) for node in nodes}
            assert len(hashes) == 1 and None not in hashes, (number, hashes)
        receipt = await nodes[victim].request("eth_getTransactionReceipt", [tx_hash])
        assert receipt is not None and receipt["status"] == "0x1"
        assert (int(receipt["blockNumber"], 16), receipt["blockHash"]) == \
            (block, await block_hash(rest, block))
        output = await nodes[victim].request("ordo_outputAtBlock", [hex(batch.last_block)])
        assert output["finalized"] is True
        assert output["outputRoot"] == "0x" + batch.output_root.hex()
        assert compute_output_root(*(bytes.fromhex(output[key][2:]) for key in (
            "stateRoot", "messagePasserStorageRoot", "blockHash"))) == batch.output_root
        assert output["blockHash"] == await block_hash(rest, batch.last_block)

        # Proved from the restarted node's output and proof, finalized after the window, paid
        # exactly once.
        victim_url = urls[victim]
        proved = await ok(data_dir, victim_url, "prove", tx_hash, "--dev-account", "6")
        assert (proved["stage"], proved["batchIndex"]) == ("proved", batch.index)
        landing = await l1.get_block_by_hash(batch.l1_block_hash)
        assert landing is not None
        assert proved["finalizableAt"] == landing.timestamp + WINDOW == \
            int(await inbox.call("finalizable_at", batch.index))

        async def window_over() -> bool:
            head = await l1.get_block("latest")
            return head is not None and head.timestamp >= proved["finalizableAt"]
        await until(window_over, WINDOW + 30, "the challenge window ends")
        finalized_document = await ok(data_dir, rest.url, "finalize", tx_hash,
                                      "--dev-account", "6")
        assert finalized_document["paid"] is True
        assert await l1.get_balance(recipient) == AMOUNT
        assert await l1.get_balance(portal) == portal_before - AMOUNT
        assert "already finalized" in await refused(data_dir, victim_url, "finalize", tx_hash,
                                                    "--dev-account", "6")
        assert await l1.get_balance(recipient) == AMOUNT

        # Every transfer the survivors acknowledged while the node was down is in its chain too.
        assert len(acknowledged) >= 2
        for transfer in acknowledged:
            async def included(transfer: bytes = transfer) -> Any:
                return await nodes[victim].request("eth_getTransactionReceipt",
                                                   ["0x" + transfer.hex()])
            found = await until(included, 30, f"transfer 0x{transfer.hex()} on node {victim}")
            assert found["status"] == "0x1"

        # Nothing posted twice: gapless inbox, one BatchAccepted per index, nothing reverted;
        # the restarted node's batcher knows the batch landed.
        async def batcher_knows() -> bool:
            batcher = (await nodes[victim].request("ordo_status", []))["l1"]["batcher"]
            return batcher["lastBatchIndex"] is not None and \
                batcher["lastBatchIndex"] >= batch.index
        await until(batcher_knows, 30, f"node {victim}'s batcher sees batch {batch.index}")
        batches = await accepted_batches(l1, inbox_address, chain_id)
        assert inbox_problems(batches) == []
        assert set(Counter(entry.index for entry in batches).values()) == {1}
        assert int(await inbox.call("next_index")) == len(batches)
        assert int(await inbox.call("last_block")) == batches[-1].last_block
        sent_to_inbox = await inbox_transactions(l1, inbox_address, 0, await l1.block_number())
        assert [sender for sender, succeeded in sent_to_inbox if not succeeded] == []
        resent = [index for index in await indexes_sent_by(
            l1, inbox_address, bytes.fromhex(victim_signer[2:]), l1_at_kill)
            if index < landed_at_kill]
        assert resent == [], f"the restarted node re-sent confirmed batches {resent}"

    output_text = run.output
    assert f"node {victim} (pid {old_pid}) exited unexpectedly with code -9" in output_text
    assert f"node {victim}: restarted (pid {node_pid(data_dir, victim)})" in output_text
    print(f"\ndevnet up in {up_at:.1f} s; withdrawal in block {block} (via node {via}); "
          f"killed node {victim} (the producer) with the inbox at block {inbox_last}; back "
          f"after {downtime:.1f} s, the others finalized {final_at_kill} -> {final_when_back} "
          f"meanwhile (block {final_at_kill + 1} in round {int(after_kill['round'], 16)}); "
          f"batch {batch.index} (blocks {batch.first_block}-{batch.last_block}) posted by "
          f"node {by_signer['0x' + batch.submitter.hex()]} landed {landed_after:.1f} s after "
          f"the kill; {len(acknowledged)} transfers; "
          f"{len(batches)} batches, inbox transactions from nodes "
          f"{[by_signer.get('0x' + sender.hex()) for sender, _ in sent_to_inbox]}; "
          f"total {time.monotonic() - started:.1f} s")
    assert run.stop() == 0
