"""The sequencer set read from a real LockingPool on the dev chain and on anvil: four operators
join, a fifth joins later, one leaves; each change shows only from the next epoch, and every
read is pinned to a block number."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from ordo.core.genesis import dev_private_keys
from ordo.l1.client import L1Client
from ordo.l1.deploy import (
    advance_epoch,
    deploy_staking,
    lock_stake,
    mint_tokens,
    pool_handle,
    stake_devnet_sequencers,
    unlock_stake,
)
from ordo.l1.local_account import LocalAccount
from ordo.l1.staking_params import (
    DEVNET_EXIT_DELAY,
    DEVNET_SEQUENCER_STAKE,
    TOKEN,
    devnet_staking_params,
)
from ordo.staking.epoch_set import EpochMember, EpochSetError, members_hash, to_validator_set
from ordo.staking.pool_reader import (
    EpochNotStarted,
    PoolReadError,
    confirmed_block,
    current_epoch,
    read_current_set,
    read_epoch_set,
    read_sequencer,
    read_sequencer_by_signer,
)
from ordo.staking.sequencer_state import SequencerStatus
from tests.l1.conftest import Endpoint

L2_CHAIN_ID = 901
STAKES = [20_000 * TOKEN, 35_000 * TOKEN, 50_000 * TOKEN, 100_000 * TOKEN]
FIFTH_STAKE = 42_000 * TOKEN


def signer_address(index: int) -> bytes:
    """A signing key's address, distinct from every operator account."""
    key = keccak(f"ordo test signer {index}".encode())
    return bytes.fromhex(Account.from_key(key).address[2:])


def as_pairs(members: tuple[EpochMember, ...]) -> set[tuple[bytes, int]]:
    return {(member.signer, member.stake) for member in members}


async def test_set_follows_locks_and_unlocks_one_epoch_later(endpoint: Endpoint) -> None:
    keys = dev_private_keys(6)
    signers = [signer_address(index) for index in range(5)]
    async with L1Client(endpoint.url) as client:
        deployer = LocalAccount(client, keys[0])
        deployment = await deploy_staking(client, deployer, devnet_staking_params(L2_CHAIN_ID))
        pool = deployment.locking_pool
        head = await confirmed_block(client, 1)
        assert await current_epoch(client, pool, head) == 0
        empty = await read_epoch_set(client, pool, 0, head)
        assert empty.validators == () and empty.set_hash == members_hash(())
        with pytest.raises(EpochSetError, match="epoch 0: the set is empty"):
            to_validator_set(empty)

        staking = await stake_devnet_sequencers(
            client, deployment, deployer, signers[:4], STAKES, time_travel=True)
        assert staking.live_epoch == 1 and staking.deployment == deployment
        assert [entry.operator for entry in staking.sequencers] == \
            [LocalAccount(client, key).address for key in keys[1:5]]
        first_set_block = await confirmed_block(client, 1)
        epoch_one = await read_epoch_set(client, pool, 1, first_set_block)
        assert await read_current_set(client, pool, first_set_block) == epoch_one
        assert epoch_one.epoch == 1
        assert as_pairs(epoch_one.validators) == set(zip(signers[:4], STAKES, strict=True))
        assert epoch_one.set_hash == members_hash(epoch_one.validators)
        assert epoch_one.total_stake == sum(STAKES)
        validators = to_validator_set(epoch_one)
        assert [v.address for v in validators.validators] == sorted(signers[:4])
        assert validators.total_stake == sum(STAKES)
        assert validators.stake_of(signers[3]) == 100_000 * TOKEN
        assert validators.is_quorum(sum(STAKES[1:])) and not validators.is_quorum(STAKES[3])

        # A fifth operator locks: pending only, epoch 1 keeps its four.
        fifth = LocalAccount(client, keys[5])
        await mint_tokens(client, deployment, deployer, fifth.address, FIFTH_STAKE)
        await lock_stake(client, deployment, fifth, FIFTH_STAKE, signers[4])
        after_lock = await confirmed_block(client, 1)
        assert await current_epoch(client, pool, after_lock) == 1
        assert await read_epoch_set(client, pool, 1, after_lock) == epoch_one
        with pytest.raises(EpochNotStarted, match="epoch 2 has not started"):
            await read_epoch_set(client, pool, 2, after_lock)
        assert await advance_epoch(client, deployment, deployer, time_travel=True) == 2
        epoch_two_block = await confirmed_block(client, 1)
        epoch_two = await read_epoch_set(client, pool, 2, epoch_two_block)
        assert as_pairs(epoch_two.validators) == \
            set(zip(signers, [*STAKES, FIFTH_STAKE], strict=True))
        assert epoch_two.set_hash != epoch_one.set_hash
        assert signers[4] in to_validator_set(epoch_two)

        # The second operator unlocks: still in epoch 2, gone from epoch 3.
        await unlock_stake(client, deployment, LocalAccount(client, keys[2]))
        after_unlock = await confirmed_block(client, 1)
        assert await read_epoch_set(client, pool, 2, after_unlock) == epoch_two
        assert await advance_epoch(client, deployment, deployer, time_travel=True) == 3
        latest = await confirmed_block(client, 1)
        epoch_three = await read_epoch_set(client, pool, 3, latest)
        assert as_pairs(epoch_three.validators) == \
            set(zip(signers, [*STAKES, FIFTH_STAKE], strict=True)) - {(signers[1], STAKES[1])}
        assert signers[1] not in to_validator_set(epoch_three)
        # Started epochs never change, whichever later block reads them.
        assert await read_epoch_set(client, pool, 2, latest) == epoch_two
        assert await read_epoch_set(client, pool, 1, latest) == epoch_one
        # A reader pinned below the advance still sees epoch 2 as current (reorg safety).
        assert await current_epoch(client, pool, after_unlock) == 2
        with pytest.raises(EpochNotStarted):
            await read_epoch_set(client, pool, 3, after_unlock)

        leaver = await read_sequencer(client, pool, LocalAccount(client, keys[2]).address,
                                      latest)
        assert leaver.status is SequencerStatus.EXITING and leaver.exit_epoch == 2
        assert leaver.locked == STAKES[1] and leaver.current_epoch == 3
        assert not leaver.can_withdraw  # the 60 s exit delay is not over
        waiting = leaver.seconds_until_withdrawable
        assert waiting is not None and 0 < waiting <= DEVNET_EXIT_DELAY

        member = await read_sequencer_by_signer(client, pool, signers[3], latest)
        assert member is not None
        assert member.owner == LocalAccount(client, keys[4]).address
        assert member.status is SequencerStatus.ACTIVE and member.locked == 100_000 * TOKEN
        assert member.reward_recipient == member.owner
        assert member.rewards_owed == 0 and member.rewards_claimable == 0
        assert member.reward_reserve == devnet_staking_params(L2_CHAIN_ID).reward_reserve
        assert member.seconds_until_withdrawable is None
        assert member.to_json()["status"] == "active"
        assert await read_sequencer_by_signer(client, pool, signer_address(99), latest) is None
        stranger = await read_sequencer(client, pool, bytes(range(20)), latest)
        assert stranger.status is SequencerStatus.NONE and stranger.locked == 0


async def test_refusals_name_the_problem(endpoint: Endpoint) -> None:
    keys = dev_private_keys(1)
    async with L1Client(endpoint.url) as client:
        deployer = LocalAccount(client, keys[0])
        deployment = await deploy_staking(client, deployer, devnet_staking_params(L2_CHAIN_ID))
        head = await confirmed_block(client, 1)
        with pytest.raises(PoolReadError, match="no LockingPool answers at"):
            await read_epoch_set(client, deployment.token, 0, head)
        with pytest.raises(PoolReadError, match="no LockingPool answers at"):
            await current_epoch(client, bytes(20), head)
        with pytest.raises(ValueError, match="confirmed block number, not a tag"):
            await current_epoch(client, deployment.locking_pool, "latest")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="epoch: -1 is not an epoch number"):
            await read_epoch_set(client, deployment.locking_pool, -1, head)
        with pytest.raises(ValueError, match="pool address"):
            await current_epoch(client, b"\x01" * 19, head)
        with pytest.raises(PoolReadError, match="fewer than 100000 blocks"):
            await confirmed_block(client, 100_000)


async def test_rewards_owed_and_claimable_as_the_pool_credits_them(endpoint: Endpoint) -> None:
    keys = dev_private_keys(2)
    async with L1Client(endpoint.url) as client:
        deployer = LocalAccount(client, keys[0])
        params = replace(devnet_staking_params(L2_CHAIN_ID), reward_reserve=TOKEN)
        deployment = await deploy_staking(client, deployer, params)
        signer = signer_address(0)
        await stake_devnet_sequencers(client, deployment, deployer, [signer], time_travel=True)
        pool = pool_handle(client, deployment)
        # The deployer stands in for the inbox, the one caller allowed to credit rewards.
        for function, argument in (("set_inbox", deployer.address),
                                   ("credit_reward", signer)):
            arguments = (argument,) if function == "set_inbox" else (argument, 10_000)
            sent = await pool.transact(deployer, function, *arguments)
            receipt = await client.wait_for_receipt(sent.tx_hash, timeout=20)
            assert receipt.succeeded
        state = await read_sequencer_by_signer(client, deployment.locking_pool, signer,
                                               receipt.block_number)
        assert state is not None
        expected = 10_000 * DEVNET_SEQUENCER_STAKE * 2_000 // (10_000 * params.blocks_per_year)
        assert state.rewards_owed == expected and expected > TOKEN
        assert state.reward_reserve == TOKEN and state.rewards_claimable == TOKEN
        before = await read_sequencer_by_signer(client, deployment.locking_pool, signer,
                                                receipt.block_number - 1)
        assert before is not None and before.rewards_owed == 0
