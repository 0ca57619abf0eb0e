"""The full staking loop on a real anvil: the network forms from the pool's set, a sequencer that
locks starts voting at the next epoch, one that unlocks stops and withdraws after the delay, and
a double-signer is reported by the nodes themselves and slashed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ordo.consensus import LocalSigner, VoteType, encode_vote, sign_vote
from ordo.core.block_extra import decode_anchored_extra
from ordo.core.genesis import dev_private_keys
from ordo.l1.client import L1Client
from ordo.l1.contract_transactions import send_and_wait
from ordo.l1.deploy import lock_stake, mint_tokens
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import inbox_at
from ordo.l1.staking_contracts import pool_at
from ordo.l1.staking_params import DEVNET_EXIT_DELAY, DEVNET_SEQUENCER_STAKE
from ordo.network.message_kind import MessageKind
from ordo.staking.pool_reader import read_sequencer
from ordo.staking.sequencer_state import SequencerStatus
from tests.cluster.cluster_harness import ClusterNode
from tests.l1_network.l1_cluster import (
    EPOCH_LENGTH,
    L1Cluster,
    l1_cluster,
    ticking_l1,  # noqa: F401 (fixture)
)
from tests.network.network_test_peer import RawPeer

TIMEOUT = 90.0


async def commit_signers(node: ClusterNode, height: int) -> set[str]:
    commit = await node.call("ordo_getCommit", hex(height))
    return {entry["validator"] for entry in commit["signatures"]}


async def wait_for_signers(net: L1Cluster, predicate: Any, what: str) -> int:
    """The first new height whose certificate's signers satisfy ``predicate``."""
    node = net.cluster.nodes[2]
    checked = await node.head()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while loop.time() < deadline:
        head = await node.head()
        for height in range(checked + 1, head + 1):
            if predicate(await commit_signers(node, height)):
                return height
        checked = head
        await asyncio.sleep(0.2)
    raise AssertionError(f"no certificate {what} within {TIMEOUT} s")


async def wait_for_role(node: ClusterNode, role: str) -> None:
    """Until ``node`` (which may be a few blocks behind the one watched) has entered an epoch in
    which it is a ``role``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while (await node.call("ordo_status"))["role"] != role:
        assert loop.time() < deadline, f"node {node.index} never became a {role}"
        await asyncio.sleep(0.2)


async def next_l1_epoch(net: L1Cluster) -> int:
    """Wait for the nodes' epoch keepers to advance the pool's epoch (they call the
    permissionless advance_epoch() once the interval is over)."""
    pool = pool_at(net.client, net.pool)
    before = int(await pool.call("current_epoch"))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while (epoch := int(await pool.call("current_epoch"))) == before:
        assert loop.time() < deadline, "no node advanced the L1 epoch"
        await asyncio.sleep(0.25)
    return epoch


async def double_vote(net: L1Cluster, signer: LocalSigner) -> None:
    """Speak for ``signer`` from outside: two prevotes for different blocks at the height the
    network is deciding (retried until one lands at a current height)."""
    node = net.cluster.nodes[3]
    peer = await RawPeer.open(node.config.p2p_port)
    await peer.handshake(net.cluster.chain_id)
    try:
        for attempt in range(50):
            if await node.call("ordo_getEvidence"):
                return
            head = await node.call("eth_getBlockByNumber", "latest", False)
            height, parent = int(head["number"], 16) + 1, bytes.fromhex(head["hash"][2:])
            for block_hash in (bytes([attempt]) * 32, bytes([attempt + 100]) * 32):
                vote = sign_vote(signer, net.cluster.chain_id, height, 0, VoteType.PREVOTE,
                                 parent, block_hash)
                peer.send(MessageKind.VOTE, encode_vote(vote))
            await peer.writer.drain()
            await asyncio.sleep(0.2)
        raise AssertionError("the node never recorded the double vote")
    finally:
        peer.writer.close()


async def test_the_sequencer_set_follows_the_locking_pool(tmp_path: Path,
                                                          ticking_l1: str) -> None:  # noqa: F811
    async with l1_cluster(tmp_path, ticking_l1) as net:
        cluster, client = net.cluster, net.client
        # The devnet staking helper locked signer i from dev account i + 1.
        operators = [LocalAccount(client, key) for key in dev_private_keys(7)[1:6]]
        address = ["0x" + signer.address.hex() for signer in net.signers]
        await cluster.wait_for_height(2 * EPOCH_LENGTH + 1, timeout=TIMEOUT)

        # Formed from L1: blocks name advancing L1 origins; only the staked four sign.
        origins = []
        for height in range(1, 2 * EPOCH_LENGTH + 2):
            block = await cluster.nodes[0].call("eth_getBlockByNumber", hex(height), False)
            fields = decode_anchored_extra(bytes.fromhex(block["extraData"][2:]))
            assert fields is not None and "0x" + fields.builder.hex() in address[:4]
            assert fields.forced_through == 0
            origins.append(fields.origin_number)
            assert await commit_signers(cluster.nodes[0], height) <= set(address[:4])
        assert origins == sorted(origins)
        follower = await cluster.nodes[4].call("ordo_status")
        assert follower["role"] == "follower"

        # A fifth sequencer locks: it votes from the L2 epoch after the pool's next epoch.
        await mint_tokens(client, net.deployment, net.deployer, operators[4].address,
                          DEVNET_SEQUENCER_STAKE)
        await lock_stake(client, net.deployment, operators[4], DEVNET_SEQUENCER_STAKE,
                         net.signers[4].address)
        await next_l1_epoch(net)
        await wait_for_signers(net, lambda signers: address[4] in signers,
                               "signed by the fifth sequencer")
        await wait_for_role(cluster.nodes[4], "validator")

        # Signer 1 double-votes: the nodes report it to the pool themselves, and it is slashed.
        await double_vote(net, net.signers[1])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            record = await read_sequencer(client, net.pool, operators[1].address,
                                          await client.block_number())
            if record.locked < DEVNET_SEQUENCER_STAKE:
                break
            assert loop.time() < deadline, "the double-signer was never slashed"
            await asyncio.sleep(0.5)
        assert record.status is SequencerStatus.EXITING

        # Signer 0 unlocks; with the slashed signer 1 it is gone from the next set.
        await send_and_wait(pool_at(client, net.pool), operators[0], "unlock")
        await next_l1_epoch(net)
        await wait_for_signers(
            net, lambda signers: not signers & {address[0], address[1]} and len(signers) == 3,
            "without the departed sequencers")
        await wait_for_role(cluster.nodes[0], "follower")
        staking = (await cluster.nodes[2].call("ordo_status"))["l1"]
        assert staking["lockingPool"] == "0x" + net.pool.hex()
        assert staking["confirmedOrigin"] is not None

        # The exit delay passes: signer 0's operator withdraws its whole lock.
        await client.request("evm_increaseTime", [DEVNET_EXIT_DELAY + 1])
        await next_l1_epoch(net)
        await send_and_wait(pool_at(client, net.pool), operators[0], "withdraw")
        record = await read_sequencer(client, net.pool, operators[0].address,
                                      await client.block_number())
        assert record.locked == 0

        # Final blocks reach the inbox in batches signed by the set; each producer is credited
        # the formula's reward for the blocks it built.
        await check_batches_and_rewards(net)


async def check_batches_and_rewards(net: L1Cluster) -> None:
    client, node = net.client, net.cluster.nodes[2]
    inbox = inbox_at(client, net.rollup.inbox)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while int(await inbox.call("next_index")) < 3:
        assert loop.time() < deadline, "fewer than 3 batches reached the inbox"
        await asyncio.sleep(0.5)
    head = await client.block_number()
    posted_through = int(await inbox.call("last_block", block=head))
    pool = pool_at(client, net.pool)
    credits = await pool.get_events("RewardCredited", 0, head)
    credited_blocks: dict[str, int] = {}
    credited_amounts: dict[str, int] = {}
    blocks_per_year = int(await pool.call("blocks_per_year"))
    for event in credits:
        signer, blocks, amount = (event.arguments["signer"].lower(), event.arguments["blocks"],
                                  event.arguments["amount"])
        credited_blocks[signer] = credited_blocks.get(signer, 0) + blocks
        credited_amounts[signer] = credited_amounts.get(signer, 0) + amount
        expected = set()
        # The epoch's total stake as of the credit (an epoch advance in the same L1 block may
        # come before or after the inbox's call).
        for block in (event.log.block_number - 1, event.log.block_number):
            epoch = int(await pool.call("current_epoch", block=block))
            total = int(await pool.call("epoch_total_stake", epoch, block=block))
            expected.add(blocks * total * 2_000 // (10_000 * blocks_per_year))
        assert amount in expected, (amount, expected)
    built: dict[str, int] = {}
    for height in range(1, posted_through + 1):
        block = await node.call("eth_getBlockByNumber", hex(height), False)
        builder = "0x" + block["extraData"][2:42]
        built[builder] = built.get(builder, 0) + 1
    assert credited_blocks == built
    for index, signer in enumerate(net.signers[2:], start=2):
        record = await read_sequencer(client, net.pool, net_operator(client, index).address,
                                      head)
        assert record.rewards_owed == credited_amounts.get("0x" + signer.address.hex(), 0)
    batcher = (await node.call("ordo_status"))["l1"]["batcher"]
    assert batcher["lastBatchIndex"] is not None


def net_operator(client: L1Client, index: int) -> LocalAccount:
    return LocalAccount(client, dev_private_keys(7)[index + 1])
