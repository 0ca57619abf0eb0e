"""Four validators (and a follower) as real nodes over real TCP: agreement, gossip, failover,
loss of quorum, rejoin after a restart, and sync of a follower that verifies certificates."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ordo.consensus import verify_certificate
from ordo.consensus.certificate import CommitCertificate
from ordo.core.genesis import dev_private_keys
from tests.cluster.cluster_harness import Cluster, ClusterNode, running_cluster


def certificate_of(commit: dict) -> CommitCertificate:  # type: ignore[type-arg]
    return CommitCertificate(
        height=int(commit["height"], 16), round=int(commit["round"], 16),
        block_hash=bytes.fromhex(commit["blockHash"][2:]),
        signatures=tuple((bytes.fromhex(s["validator"][2:]), bytes.fromhex(s["signature"][2:]))
                         for s in commit["signatures"]),
    )


async def assert_same_chain(cluster: Cluster, nodes: list[ClusterNode], upto: int) -> None:
    reference = await cluster.block_hashes(nodes[0], upto)
    for node in nodes[1:]:
        assert await cluster.block_hashes(node, upto) == reference, f"node {node.index} differs"
    for number in range(1, upto + 1):
        commit = await nodes[-1].call("ordo_getCommit", hex(number))
        certificate = certificate_of(commit)
        assert certificate.block_hash.hex() == reference[number][2:]
        assert commit["parentHash"] == reference[number - 1]  # what the precommits signed
        parent = bytes.fromhex(reference[number - 1][2:])
        verify_certificate(certificate, cluster.validators, cluster.chain_id, parent)


async def producer_of(node: ClusterNode) -> str:
    status = await node.call("ordo_status")
    producer: str = status["producer"]
    return producer


async def test_four_validators_agree_and_a_transaction_sent_to_one_is_final_on_all(
        tmp_path: Path) -> None:
    async with running_cluster(tmp_path) as cluster:
        await cluster.wait_for_height(2)
        tx_hash = await cluster.nodes[1].call("eth_sendRawTransaction",
                                              cluster.transfer(dev_private_keys()[0], 7))

        async def included_everywhere() -> bool:
            receipts = [await n.call("eth_getTransactionReceipt", tx_hash) for n in cluster.nodes]
            return all(receipt is not None for receipt in receipts)

        await cluster.wait_until(included_everywhere, 15, "the transaction on every node")
        receipt = await cluster.nodes[3].call("eth_getTransactionReceipt", tx_hash)
        assert receipt["status"] == "0x1"
        number = int(receipt["blockNumber"], 16)
        await cluster.wait_for_height(number)
        await assert_same_chain(cluster, cluster.nodes, number)
        finalized = await cluster.nodes[2].call("eth_getBlockByNumber", "finalized", False)
        assert int(finalized["number"], 16) >= number
        status = await cluster.nodes[0].call("ordo_status")
        assert len(status["validators"]) == 4 and status["role"] == "validator"
        assert len(status["peers"]) == 3
        assert await cluster.nodes[0].call("net_peerCount") == "0x3"
        assert await cluster.nodes[0].call("eth_syncing") is False
        assert await cluster.nodes[0].call("ordo_getEvidence") == []
        assert await cluster.nodes[0].call("ordo_getCommit", "0x0") is None
        assert await cluster.nodes[0].call("ordo_getCommit", hex(10**6)) is None


async def test_producer_failover_then_restart_syncs_and_rejoins(tmp_path: Path) -> None:
    async with running_cluster(tmp_path) as cluster:
        await cluster.wait_for_height(2)
        producer = await producer_of(cluster.nodes[0])
        statuses = [await node.call("ordo_status") for node in cluster.nodes]
        victim = next(node for node, status in zip(cluster.nodes, statuses, strict=True)
                      if status["signer"] == producer)
        await victim.stop()
        stopped_at = max(await cluster.heads())
        # one round timeout later the next proposer takes over and stays producer
        await cluster.wait_for_height(stopped_at + 3, timeout=20)
        survivor = cluster.running()[0]
        assert await producer_of(survivor) != producer
        commit = await survivor.call("ordo_getCommit", hex(stopped_at + 1))
        assert int(commit["round"], 16) >= 1  # decided in a later round: the failover
        assert (await survivor.call("ordo_status"))["timeouts"].get("propose", 0) >= 1
        await victim.start()
        target = max(await cluster.heads()) + 2
        await cluster.wait_for_height(target, timeout=30)
        await assert_same_chain(cluster, cluster.nodes, target)


async def test_no_final_block_without_quorum_then_progress_resumes(tmp_path: Path) -> None:
    async with running_cluster(tmp_path) as cluster:
        await cluster.wait_for_height(2)
        await cluster.nodes[2].stop()
        await cluster.nodes[3].stop()
        await asyncio.sleep(0.5)  # a block in flight may still complete
        stalled = await cluster.heads()
        await asyncio.sleep(3.0)
        assert await cluster.heads() == stalled, "blocks became final without a quorum"
        await cluster.nodes[2].start()
        await cluster.wait_for_height(max(stalled) + 2, timeout=30)
        running = cluster.running()
        await assert_same_chain(cluster, running, max(stalled) + 2)


async def test_follower_syncs_verifies_and_never_votes(tmp_path: Path) -> None:
    async with running_cluster(tmp_path, validators=4, followers=1, start=False) as cluster:
        validators, follower = cluster.nodes[:4], cluster.nodes[4]
        await asyncio.gather(*(node.start() for node in validators))
        await cluster.wait_for_height(8, timeout=30)
        await follower.start()
        target = max(await cluster.heads()) + 1
        await cluster.wait_for_height(target, timeout=30)
        await assert_same_chain(cluster, [validators[0], follower], target)
        status = await follower.call("ordo_status")
        assert status["role"] == "follower" and status["signer"] is None
        for number in range(1, target + 1):
            commit = await follower.call("ordo_getCommit", hex(number))
            signers = {s["validator"] for s in commit["signatures"]}
            assert len(signers) >= 3


async def test_a_reconnecting_peer_is_handed_the_pool(tmp_path: Path) -> None:
    """A transaction admitted while every peer was away must reach them when they return, not
    wait in one pool for that node's turn to produce."""
    async with running_cluster(tmp_path) as cluster:
        await cluster.wait_for_height(2)
        for node in cluster.nodes[1:]:
            await node.stop()
        raw = cluster.transfer(dev_private_keys()[3])
        tx_hash = await cluster.nodes[0].call("eth_sendRawTransaction", raw)
        await cluster.nodes[1].start()  # 2 of 4: no quorum, so nothing can include it yet

        async def handed_over() -> bool:
            found = await cluster.nodes[1].call("eth_getTransactionByHash", tx_hash)
            return found is not None and found["blockHash"] is None
        await cluster.wait_until(handed_over, 15, "node 1 to hold the transaction")
        await cluster.nodes[2].start()

        async def final() -> bool:
            return await cluster.nodes[1].call("eth_getTransactionReceipt", tx_hash) is not None
        await cluster.wait_until(final, 30, "the transaction to be final")
