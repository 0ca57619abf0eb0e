"""deploy_staking, lock_stake and advance_epoch against the dev chain and a real anvil."""

from __future__ import annotations

import json

import pytest

from ordo.core.genesis import dev_private_keys
from ordo.l1.client import L1Client
from ordo.l1.deploy import (
    StakingDeployment,
    StakingStepFailed,
    advance_epoch,
    deploy_staking,
    lock_stake,
    mint_tokens,
    pool_handle,
    token_handle,
)
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1RpcError
from ordo.l1.staking_params import (
    DEFAULT_REWARD_RESERVE,
    TOKEN,
    StakingParams,
    devnet_staking_params,
)
from tests.l1.conftest import Endpoint

L2_CHAIN_ID = 902


async def test_deploys_with_the_reference_defaults(endpoint: Endpoint) -> None:
    async with L1Client(endpoint.url) as client:
        deployer = LocalAccount(client, dev_private_keys(1)[0])
        deployment = await deploy_staking(client, deployer, StakingParams(L2_CHAIN_ID))
        pool = pool_handle(client, deployment)
        token = token_handle(client, deployment)
        owner = "0x" + deployer.address.hex()
        assert await pool.call("owner") == owner
        assert await token.call("minter") == owner
        assert await token.call("symbol") == "ORDO"
        assert await pool.call("token") == "0x" + deployment.token.hex()
        assert await pool.call("l2_chain_id") == L2_CHAIN_ID
        assert await pool.call("min_lock") == 20_000 * TOKEN
        assert await pool.call("max_lock") == 100_000 * TOKEN
        assert await pool.call("exit_delay") == 21 * 86_400
        assert await pool.call("blocks_per_year") == 15_768_000
        assert await pool.call("slash_bps") == 1_000
        assert await pool.call("reporter_bps") == 1_000
        assert [await pool.call("mrr_bps", year) for year in range(5)] == \
            [2_000, 1_500, 1_000, 500, 500]
        assert await pool.call("reward_reserve") == DEFAULT_REWARD_RESERVE
        assert await token.call("balanceOf", deployment.locking_pool) == DEFAULT_REWARD_RESERVE
        assert await token.call("balanceOf", deployer.address) == 0
        assert await pool.call("current_epoch") == 0

        assert await client.get_code(deployment.locking_pool, deployment.deploy_block) != b""
        assert await client.get_code(deployment.locking_pool, deployment.deploy_block - 1) == b""
        text = json.dumps(deployment.to_json())
        assert StakingDeployment.from_json(json.loads(text)) == deployment


async def test_lock_refusals_carry_the_contract_reason(endpoint: Endpoint) -> None:
    keys = dev_private_keys(3)
    async with L1Client(endpoint.url) as client:
        deployer = LocalAccount(client, keys[0])
        params = devnet_staking_params(L2_CHAIN_ID, epoch_min_interval=3_600)
        deployment = await deploy_staking(client, deployer, params)
        operator = LocalAccount(client, keys[1])
        other = LocalAccount(client, keys[2])
        signer = b"\x5a" * 20
        with pytest.raises(L1RpcError) as poor:
            await lock_stake(client, deployment, operator, 20_000 * TOKEN, signer)
        assert poor.value.revert_reason == "GovernanceToken: transfer amount exceeds balance"
        await mint_tokens(client, deployment, deployer, operator.address, 200_000 * TOKEN)
        with pytest.raises(L1RpcError) as small:
            await lock_stake(client, deployment, operator, 19_999 * TOKEN, signer)
        assert small.value.revert_reason == "LockingPool: lock below minimum"
        with pytest.raises(L1RpcError) as large:
            await lock_stake(client, deployment, operator, 100_001 * TOKEN, signer)
        assert large.value.revert_reason == "LockingPool: lock above maximum"
        receipt = await lock_stake(client, deployment, operator, 60_000 * TOKEN, signer)
        assert receipt.succeeded
        assert await pool_handle(client, deployment).call("total_locked") == 60_000 * TOKEN
        await mint_tokens(client, deployment, deployer, other.address, 20_000 * TOKEN)
        with pytest.raises(L1RpcError) as taken:
            await lock_stake(client, deployment, other, 20_000 * TOKEN, signer)
        assert taken.value.revert_reason == "LockingPool: signer already registered"
        with pytest.raises(StakingStepFailed, match=r"interval not over after 0\.3s"):
            await advance_epoch(client, deployment, deployer, timeout=0.3)
        assert await pool_handle(client, deployment).call("current_epoch") == 0

        for amount in (0, -5, True, 2**256):
            with pytest.raises(ValueError, match="amount"):
                await lock_stake(client, deployment, operator, amount, signer)
        with pytest.raises(ValueError, match="the zero address cannot sign"):
            await lock_stake(client, deployment, operator, TOKEN, bytes(20))
        with pytest.raises(ValueError, match="signer_address"):
            await lock_stake(client, deployment, operator, TOKEN, b"\x01" * 21)


async def test_advance_epoch_waits_for_the_interval_in_real_time(
        clocked_endpoint: Endpoint) -> None:
    async with L1Client(clocked_endpoint.url) as client:
        deployer = LocalAccount(client, dev_private_keys(1)[0])
        params = devnet_staking_params(L2_CHAIN_ID, epoch_min_interval=2)
        deployment = await deploy_staking(client, deployer, params)
        if clocked_endpoint.kind == "anvil":
            # anvil judges calls by its head block: let it make blocks on a timer too.
            await client.request("evm_setIntervalMining", [1])
        assert await advance_epoch(client, deployment, deployer, timeout=15) == 1
        pool = pool_handle(client, deployment)
        with pytest.raises(L1RpcError) as early:  # the second must wait for the chain's clock
            await pool.call("advance_epoch")
        assert early.value.revert_reason == "LockingPool: epoch interval not over"
        assert await advance_epoch(client, deployment, deployer, timeout=15) == 2
        assert await pool.call("epoch_started_at", 2) - await pool.call("epoch_started_at", 1) \
            >= 2
