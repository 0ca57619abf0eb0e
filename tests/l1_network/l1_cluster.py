"""Validators whose set comes from a LockingPool on a real anvil (mining a block a second).

The cluster's nodes run in this process (tests/cluster's harness); the genesis names the pool
and an L1 origin, so every epoch's set is read from L1 and every block names its L1 origin.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import pytest

from ordo.config.node_config import NodeConfig
from ordo.consensus import LocalSigner, Validator, ValidatorSet
from ordo.core.genesis import GenesisL1, dev_private_keys, devnet_genesis
from ordo.core.l1_fee import L1FeeRules
from ordo.devnet.ports import free_port
from ordo.l1.client import L1Client
from ordo.l1.deploy import StakingDeployment, deploy_staking, stake_devnet_sequencers
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import RollupDeployment, deploy_rollup, devnet_rollup_params
from ordo.l1.staking_params import DEVNET_SEQUENCER_STAKE, devnet_staking_params
from ordo.mempool import Mempool
from ordo.node.runner import MempoolFactory
from tests.cluster.cluster_harness import FAST_RULES, Cluster, ClusterNode, signer_key
from tests.l1.conftest import wait_until_serving
from tests.l1.l1_process import l1_process

L1_CHAIN_ID = 31337
EPOCH_LENGTH = 6
CONFIRMATIONS = 2
SIGNER_FUNDING = 10**18


@pytest.fixture(params=["anvil", "dev"])
def ticking_l1(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An L1 mining a block every second, as a real one does (origins must advance), that also
    mines each transaction at once, so the cluster's ~30 setup transactions (deploys, stakes,
    funding) do not wait a second each: anvil with --mixed-mining, or Ordo's embedded dev chain
    as its own process with --automine (what `ordo devnet` runs)."""
    chain_id = L1_CHAIN_ID if request.param == "anvil" else None
    with l1_process(request.param, chain_id=chain_id, block_time=1,
                    data_dir=tmp_path / "dev-l1") as l1:
        yield l1.url


@dataclass
class L1Cluster:
    cluster: Cluster
    client: L1Client
    deployment: StakingDeployment
    rollup: RollupDeployment
    deployer: LocalAccount
    signers: list[LocalSigner]
    """Signer of node i; the first ``staked`` of them locked before genesis."""

    @property
    def pool(self) -> bytes:
        return self.deployment.locking_pool


@asynccontextmanager
async def l1_cluster(tmp_path: Path, l1_url: str, staked: int = 4, nodes: int = 5,
                     make_mempool: MempoolFactory = Mempool,
                     l1_fee: L1FeeRules | None = None) -> AsyncIterator[L1Cluster]:
    """``nodes`` validators (the first ``staked`` in the first set) on a fresh rollup; every node
    admits transactions into a pool from ``make_mempool``, so a test can make the whole sequencer
    set misbehave (censor, say) from the harness rather than through the node."""
    await wait_until_serving(l1_url, time.monotonic() + 60)
    async with L1Client(l1_url) as client:
        keys = dev_private_keys(10)
        deployer = LocalAccount(client, keys[0])
        deployment = await deploy_staking(client, deployer, devnet_staking_params(77077))
        # The devnet pool exits in 60 s: the window and the longest dispute must fit below it.
        rollup = await deploy_rollup(client, deployer, deployment, devnet_rollup_params())
        signers = [LocalSigner(signer_key(index)) for index in range(nodes)]
        await stake_devnet_sequencers(client, deployment, deployer,
                                      [signer.address for signer in signers[:staked]],
                                      time_travel=True)
        for signer in signers:  # they pay for evidence reports
            sent = await deployer.send_transaction(signer.address, value=SIGNER_FUNDING)
            await client.wait_for_receipt(sent.tx_hash)
        origin_number = await wait_for_depth(client, CONFIRMATIONS)
        origin = await client.get_block(origin_number)
        assert origin is not None
        anchor = GenesisL1(await client.chain_id(), deployment.locking_pool, origin.number,
                           origin.hash, CONFIRMATIONS, inbox=rollup.inbox,
                           forced_queue=rollup.queue)
        genesis = devnet_genesis(consensus=replace(FAST_RULES, epoch_length=EPOCH_LENGTH),
                                 l1=anchor, l1_fee=l1_fee)
        genesis_path = tmp_path / "genesis.json"
        genesis.save(genesis_path)
        p2p_ports = [free_port() for _ in range(nodes)]
        async with aiohttp.ClientSession() as session:
            members = []
            for index in range(nodes):
                data_dir = tmp_path / f"node{index}"
                data_dir.mkdir()
                key_path = data_dir / "signer.key"
                key_path.write_text(signer_key(index).hex())
                peers = tuple(("127.0.0.1", port) for i, port in enumerate(p2p_ports)
                              if i != index)
                config = NodeConfig(data_dir=data_dir, genesis_path=genesis_path,
                                    rpc_port=free_port(), block_time=0.05,
                                    heartbeat_interval=0.3, signer_key_path=key_path,
                                    p2p_port=p2p_ports[index], peers=peers, l1_rpc=l1_url)
                members.append(ClusterNode(index, config, session, make_mempool))
            first_set = ValidatorSet.of(Validator(signer.address, DEVNET_SEQUENCER_STAKE)
                                        for signer in signers[:staked])
            cluster = Cluster(members, first_set, genesis.chain_id)
            try:
                await asyncio.gather(*(member.start() for member in members))
                yield L1Cluster(cluster, client, deployment, rollup, deployer, signers)
            finally:
                await asyncio.gather(*(member.stop() for member in members))


async def wait_for_depth(client: L1Client, depth: int) -> int:
    """The number of a block with ``depth`` blocks on it (anvil mines one a second)."""
    start = await client.block_number()
    while await client.block_number() < start + depth:
        await asyncio.sleep(0.2)
    return start
