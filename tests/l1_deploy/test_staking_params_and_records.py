"""StakingParams defaults and refusals, and the deployment record's JSON form (no chain)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordo.core.genesis import dev_private_keys
from ordo.l1.client import L1Client
from ordo.l1.deploy import (
    DevnetStaking,
    StakedSequencer,
    StakingDeployment,
    devnet_operator_keys,
    stake_devnet_sequencers,
)
from ordo.l1.local_account import LocalAccount
from ordo.l1.staking_params import (
    TOKEN,
    StakingParams,
    devnet_staking_params,
)


def test_defaults_are_the_reference_numbers() -> None:
    params = StakingParams(l2_chain_id=7)
    assert params.min_lock == 20_000 * TOKEN and params.max_lock == 100_000 * TOKEN
    assert params.exit_delay == 1_814_400  # 21 days
    assert params.blocks_per_year == 15_768_000  # one block per 2 s
    assert params.slash_bps == 1_000 and params.reporter_bps == 1_000
    assert params.later_mrr_bps == (1_500, 1_000, 500)
    assert params.epoch_min_interval == 2_000
    token = b"\x11" * 20
    assert params.pool_constructor_args(token) == (
        token, 7, 20_000 * TOKEN, 100_000 * TOKEN, 1_814_400, 2_000, 15_768_000,
        [1_500, 1_000, 500], 1_000, 1_000)


def test_devnet_params_change_only_the_delays() -> None:
    devnet = devnet_staking_params(7, exit_delay=30, epoch_min_interval=3)
    assert devnet == replace(StakingParams(7), exit_delay=30, epoch_min_interval=3)
    assert devnet_staking_params(7).exit_delay == 60


@pytest.mark.parametrize(("changes", "message"), [
    ({"l2_chain_id": 0}, "l2_chain_id: must be positive"),
    ({"l2_chain_id": -1}, "l2_chain_id: -1 is not a uint256"),
    ({"min_lock": 0}, "minimum lock must be positive"),
    ({"min_lock": 5, "max_lock": 4}, "min_lock: 5 is above max_lock 4"),
    ({"blocks_per_year": 0}, "blocks_per_year: must be positive"),
    ({"slash_bps": 10_001}, "slash_bps: 10001 is above 100%"),
    ({"reporter_bps": 20_000}, "reporter_bps: 20000 is above 100%"),
    ({"later_mrr_bps": (1_000, 10_001)}, "year 3 rate 10001 is above 100%"),
    ({"later_mrr_bps": [1_000]}, "later_mrr_bps: expected a tuple"),
    ({"later_mrr_bps": (500,) * 51}, "51 years, the pool holds at most 50"),
    ({"exit_delay": 1.5}, "exit_delay: expected an integer"),
    ({"epoch_min_interval": True}, "epoch_min_interval: expected an integer"),
    ({"reward_reserve": 2**256}, "reward_reserve: .* is not a uint256"),
    ({"token_name": ""}, "token_name: '' must be 1 to 32 bytes"),
    ({"token_symbol": "TOOLONGSYM"}, "token_symbol: 'TOOLONGSYM' must be 1 to 8 bytes"),
])
def test_bad_parameters_are_refused_before_deploying(changes: dict[str, object],
                                                     message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(StakingParams(7), **changes)  # type: ignore[arg-type]


def test_deployment_json_round_trip_and_refusals() -> None:
    deployment = StakingDeployment(b"\x01" * 20, b"\xab" * 20, 12)
    assert deployment.to_json() == {"token": "0x" + "01" * 20, "locking_pool": "0x" + "ab" * 20,
                                    "deploy_block": 12}
    assert StakingDeployment.from_json(deployment.to_json()) == deployment
    good = deployment.to_json()
    for bad, message in [
        ([], "expected an object"),
        ({"token": good["token"]}, "missing deploy_block, locking_pool"),
        ({**good, "token": "0x12"}, "token: '0x12' is not a 0x-prefixed 20-byte hex address"),
        ({**good, "locking_pool": "0x" + "zz" * 20}, "locking_pool: .* is not hex"),
        ({**good, "deploy_block": "12"}, "deploy_block: '12' is not a block number"),
        ({**good, "deploy_block": -1}, "deploy_block: -1 is not a block number"),
        ({**good, "deploy_block": True}, "deploy_block: True is not a block number"),
    ]:
        with pytest.raises(ValueError, match=message):
            StakingDeployment.from_json(bad)
    with pytest.raises(ValueError, match=r"token: .* is not a 20-byte address"):
        StakingDeployment(b"\x01" * 19, b"\xab" * 20, 0)


def test_staked_sequencer_json_keeps_big_amounts_exact() -> None:
    entry = StakedSequencer(b"\x01" * 20, b"\x02" * 20, 50_000 * TOKEN)
    assert entry.to_json() == {"operator": "0x" + "01" * 20, "signer": "0x" + "02" * 20,
                               "stake": "50000000000000000000000"}


def test_devnet_operators_are_the_funded_dev_accounts_after_the_deployer() -> None:
    assert devnet_operator_keys(3) == dev_private_keys(4)[1:]
    for count in (0, 10, True, 2.0):
        with pytest.raises(ValueError, match=r"sequencer count: .* is not in 1\.\.9"):
            devnet_operator_keys(count)  # type: ignore[arg-type]


def test_devnet_staking_json_names_everything_devnet_json_needs() -> None:
    deployment = StakingDeployment(b"\x01" * 20, b"\x02" * 20, 3)
    staking = DevnetStaking(deployment, (StakedSequencer(b"\x03" * 20, b"\x04" * 20, 5),), 1)
    assert staking.to_json() == {
        "token": "0x" + "01" * 20, "locking_pool": "0x" + "02" * 20, "deploy_block": 3,
        "live_epoch": 1, "sequencers": [{"operator": "0x" + "03" * 20,
                                         "signer": "0x" + "04" * 20, "stake": "5"}]}


async def test_devnet_staking_refuses_mismatched_lists_before_any_request() -> None:
    # Port 9 (discard) is never an L1: any request would fail, so the refusals come first.
    async with L1Client("http://127.0.0.1:9/") as client:
        deployer = LocalAccount(client, b"\x01" * 32)
        deployment = StakingDeployment(b"\x01" * 20, b"\x02" * 20, 1)
        keys = [b"\x03" * 32, b"\x04" * 32]
        signers = [b"\x05" * 20, b"\x06" * 20]
        for signer_list, stakes, operator_keys, message in [
            (signers, [TOKEN], keys, "2 operator keys, 2 signers and 1 stakes"),
            ([], [], [], "no sequencers to stake"),
            ([signers[0]] * 2, None, keys, "the same signer twice"),
            (signers, None, [keys[0]] * 2, "the same operator twice"),
            ([b"\x07" * 20] * 10, None, None, r"sequencer count: 10 is not in 1\.\.9"),
        ]:
            with pytest.raises(ValueError, match=message):
                await stake_devnet_sequencers(client, deployment, deployer, signer_list, stakes,
                                              operator_keys=operator_keys)
