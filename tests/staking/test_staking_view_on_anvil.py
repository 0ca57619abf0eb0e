"""The staking view ordo_status shows, read from a real LockingPool on anvil: four locked
sequencers, rewards credited to two, one unlocking; every figure read at one L1 block."""

from __future__ import annotations

from ordo.l1.client import L1Client
from ordo.l1.contract_transactions import send_and_wait
from ordo.l1.deploy import pool_handle, unlock_stake
from ordo.l1.staking_params import TOKEN
from ordo.staking.staking_view import StakingViewCache, confirmed_view_reader, read_staking_view
from tests.l1.conftest import Endpoint
from tests.l1_contracts.ordo_votes import validator_key
from tests.staking.staked_pool import staked_pool

STAKES = [20_000 * TOKEN, 35_000 * TOKEN, 50_000 * TOKEN, 100_000 * TOKEN]
CREDITED_BLOCKS = {0: 10_000, 1: 4_000}
RESERVE = TOKEN
"""Less than the rewards owed, so claimable is capped by the reserve."""


async def test_view_shows_set_locks_rewards_and_exits(anvil_endpoint: Endpoint) -> None:
    async with L1Client(anvil_endpoint.url) as client:
        staked = await staked_pool(client, STAKES, reward_reserve=RESERVE)
        pool = pool_handle(client, staked.deployment)
        # The deployer stands in for the inbox, the one caller allowed to credit rewards.
        await send_and_wait(pool, staked.deployer, "set_inbox", staked.deployer.address)
        for index, blocks in CREDITED_BLOCKS.items():
            await send_and_wait(pool, staked.deployer, "credit_reward",
                                staked.signers[index].address, blocks)
        await unlock_stake(client, staked.deployment, staked.operators[2])
        block = await client.block_number()
        own = staked.signers[0]

        view = await read_staking_view(client, staked.pool, block, own.address)
        document = view.to_json()
        total = sum(STAKES)
        assert view.current_epoch == 1 and document["current_epoch"] == 1
        assert document["l1_block"] == block
        assert document["total_stake"] == str(total)
        assert document["reward_reserve"] == str(RESERVE)
        by_signer = {entry["signer"]: entry for entry in document["members"]}
        assert set(by_signer) == {"0x" + signer.address.hex() for signer in staked.signers}
        for index, (signer, operator, stake) in enumerate(
                zip(staked.signers, staked.operators, STAKES, strict=True)):
            entry = by_signer["0x" + signer.address.hex()]
            # The pool's formula: blocks x the epoch's stake x 20% / blocks per year.
            owed = CREDITED_BLOCKS.get(index, 0) * total * 2_000 // \
                (10_000 * staked.params.blocks_per_year)
            assert entry["owner"] == "0x" + operator.address.hex()
            assert entry["epoch_stake"] == entry["locked"] == str(stake)
            assert entry["rewards_owed"] == str(owed)
            assert entry["rewards_claimable"] == str(min(owed, RESERVE))
            # The unlocking one still weighs in the running epoch, and shows its exit.
            assert entry["status"] == ("exiting" if index == 2 else "active")
            assert entry["can_withdraw"] is False
            assert (entry["seconds_until_withdrawable"] is None) == (index != 2)
        assert by_signer["0x" + staked.signers[2].address.hex()]["exit_epoch"] == 1
        assert int(document["own"]["rewards_owed"]) > RESERVE
        assert document["own"]["rewards_claimable"] == str(RESERVE)
        assert document["own_in_set"] is True
        assert view.own in [member.state for member in view.members]
        assert view.own is not None and view.own.signer == own.address

        stranger = await read_staking_view(client, staked.pool, block, validator_key(50).address)
        assert stranger.own is None and stranger.to_json()["own"] is None
        assert stranger.to_json()["own_in_set"] is False
        assert stranger.members == view.members

        # What the node polls: the cache reads at the newest confirmed block.
        cache = StakingViewCache(confirmed_view_reader(client, staked.pool, own.address, 1))
        assert cache.current().view is None  # starts a read, does not wait for it
        await cache.refresh()
        cached = cache.current().to_json()
        assert cached["error"] is None and cached["view"] == document
        await cache.close()
