"""On the embedded dev L1, which refuses type-3 transactions, a poster that prefers blobs finds
out on its first post and lands the batch as calldata."""

from __future__ import annotations

from ordo.batcher.batch_header import DataKind
from ordo.batcher.batch_poster import BatchPoster, PosterConfig
from ordo.core.genesis import dev_private_keys
from ordo.l1.client import L1Client
from ordo.l1.deploy import pool_handle
from ordo.l1.rollup_deploy import deploy_rollup, devnet_rollup_params, inbox_at
from ordo.l1.staking_params import DEVNET_SEQUENCER_STAKE
from tests.batch_poster.poster_setup import BATCH_BLOCKS, signed_batch
from tests.l1.conftest import Endpoint
from tests.staking.staked_pool import L2_CHAIN_ID, SEQUENCERS, staked_pool


async def test_falls_back_to_calldata_where_the_l1_refuses_blobs(dev_endpoint: Endpoint) -> None:
    async with L1Client(dev_endpoint.url) as client:
        staked = await staked_pool(client)
        rollup = await deploy_rollup(client, staked.deployer, staked.deployment,
                                     devnet_rollup_params())
        inbox = inbox_at(client, rollup.inbox)
        epoch = int(await pool_handle(client, staked.deployment).call("current_epoch"))
        batch = signed_batch(staked.signers, [DEVNET_SEQUENCER_STAKE] * SEQUENCERS, epoch,
                             L2_CHAIN_ID, rollup.inbox, 0, (0, 1, 2))
        poster = BatchPoster(client, dev_private_keys(1)[0], rollup.inbox, L2_CHAIN_ID,
                             PosterConfig(confirmations=1, poll_interval=0.05))
        assert poster.blobs_supported
        await poster.post(batch, timeout=30.0)
        assert not poster.blobs_supported
        (event,) = await inbox.get_events("BatchAccepted", rollup.deploy_block,
                                          await client.block_number())
        assert event.arguments["data_kind"] == int(DataKind.CALLDATA)
        assert event.arguments["last_block"] == BATCH_BLOCKS
        assert int(await inbox.call("next_index")) == 1
