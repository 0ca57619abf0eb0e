"""LockingPool rewards: the per-block formula against hand computations, the yearly schedule,
the inbox-only credit entry point, and a reserve that can run dry without losing credit."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from .ordo_votes import signer_address, validator_key
from .pool_deployment import (
    BLOCKS_PER_YEAR,
    MIN_LOCK,
    TOKEN,
    PoolDeployment,
    PoolParameters,
    deploy_pool,
)

SIGNER_1 = signer_address(validator_key(1))
SIGNER_2 = signer_address(validator_key(2))
YEAR = 365 * 86_400


def with_inbox(deployment: PoolDeployment) -> LocalAccount:
    inbox = deployment.account(9)
    deployment.chain.send(deployment.pool.functions.set_inbox(inbox.address), deployment.owner)
    return inbox


def two_sequencers_in_epoch_1(deployment: PoolDeployment) -> None:
    deployment.lock(deployment.account(1), MIN_LOCK, SIGNER_1)  # 20,000
    deployment.lock(deployment.account(2), 30_000 * TOKEN, SIGNER_2)  # 30,000
    deployment.advance_epoch()


def test_reward_rate_schedule(deployment: PoolDeployment) -> None:
    pool = deployment.pool.functions
    assert [pool.mrr_bps(year).call() for year in range(5)] == [2_000, 1_500, 1_000, 1_000, 1_000]
    flat = deploy_pool(deployment.chain, PoolParameters(later_mrr_bps=[]))
    assert [flat.pool.functions.mrr_bps(year).call() for year in range(3)] == [2_000] * 3


def test_credit_follows_the_formula_computed_by_hand(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    inbox = with_inbox(deployment)
    two_sequencers_in_epoch_1(deployment)
    # year one: 20% of the 50,000 locked = 10,000 tokens a year, shared by 15,768,000 blocks
    yearly = 10_000 * TOKEN
    expected = 100 * yearly // BLOCKS_PER_YEAR
    assert expected == 63_419_583_967_529_173
    assert pool.reward_for(100).call() == expected
    receipt = chain.send(pool.credit_reward(SIGNER_1, 100), inbox)
    assert deployment.events(receipt, "RewardCredited") == [
        {"owner": deployment.account(1).address, "signer": SIGNER_1, "blocks": 100,
         "amount": expected, "owed": expected}
    ]
    one_block = yearly // BLOCKS_PER_YEAR
    assert one_block == 634_195_839_675_291
    chain.send(pool.credit_reward(SIGNER_1, 1), inbox)
    assert deployment.sequencer(deployment.account(1).address)["rewards_owed"] == (
        expected + one_block
    )
    # a full year of blocks pays the yearly reward, to within the rounding of one division
    assert yearly - BLOCKS_PER_YEAR < pool.reward_for(BLOCKS_PER_YEAR).call() <= yearly

    # year two: 15% of 50,000 = 7,500 a year; year three onwards: 10% = 5,000
    chain.increase_time(YEAR)
    assert pool.reward_for(1_000).call() == 1_000 * 7_500 * TOKEN // BLOCKS_PER_YEAR
    chain.increase_time(YEAR)
    assert pool.reward_for(1_000).call() == 1_000 * 5_000 * TOKEN // BLOCKS_PER_YEAR
    chain.increase_time(3 * YEAR)
    assert pool.reward_for(1_000).call() == 1_000 * 5_000 * TOKEN // BLOCKS_PER_YEAR


def test_credit_uses_the_current_epochs_stake(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    inbox = with_inbox(deployment)
    deployment.lock(deployment.account(1), MIN_LOCK, SIGNER_1)
    assert pool.reward_for(1_000).call() == 0  # epoch 0 has no stake yet
    deployment.advance_epoch()
    deployment.fund(deployment.account(1), 80_000 * TOKEN)
    chain.send(pool.relock(80_000 * TOKEN), deployment.account(1))
    # 20% of the 20,000 of epoch 1, not of the 100,000 pending for epoch 2
    assert pool.reward_for(1_000).call() == 1_000 * 4_000 * TOKEN // BLOCKS_PER_YEAR
    chain.send(pool.credit_reward(SIGNER_1, 1_000), inbox)
    deployment.advance_epoch()
    assert pool.reward_for(1_000).call() == 1_000 * 20_000 * TOKEN // BLOCKS_PER_YEAR


def test_credit_is_for_the_inbox_and_registered_signers_only(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    two_sequencers_in_epoch_1(deployment)
    assert chain.revert_reason(pool.credit_reward(SIGNER_1, 1), deployment.owner) == (
        "LockingPool: caller is not the inbox"
    )  # also before any inbox is set
    inbox = with_inbox(deployment)
    assert chain.revert_reason(pool.credit_reward(SIGNER_1, 1), deployment.account(1)) == (
        "LockingPool: caller is not the inbox"
    )
    assert chain.revert_reason(pool.credit_reward(SIGNER_1, 0), inbox) == (
        "LockingPool: no blocks to credit"
    )
    stranger = signer_address(validator_key(8))
    assert chain.revert_reason(pool.credit_reward(stranger, 1), inbox) == (
        "LockingPool: signer is not registered"
    )


def test_an_empty_reserve_keeps_the_credit_until_it_is_refilled(
    deployment: PoolDeployment,
) -> None:
    chain, pool, token = deployment.chain, deployment.pool.functions, deployment.token.functions
    inbox = with_inbox(deployment)
    two_sequencers_in_epoch_1(deployment)
    alice, funder = deployment.account(1), deployment.account(5)
    chain.send(pool.credit_reward(SIGNER_1, 10_000), inbox)
    owed = 10_000 * 10_000 * TOKEN // BLOCKS_PER_YEAR
    assert chain.revert_reason(pool.claim_rewards(alice.address), alice) == (
        "LockingPool: reward reserve is empty"
    )
    # a part of it: paid what the reserve holds, the rest stays owed
    part = owed // 3
    deployment.fund(funder, part)
    assert chain.revert_reason(pool.fund_reserve(0), funder) == (
        "LockingPool: amount must be positive"
    )
    receipt = chain.send(pool.fund_reserve(part), funder)
    assert deployment.events(receipt, "ReserveFunded") == [
        {"funder": funder.address, "amount": part, "reserve": part}
    ]
    receipt = chain.send(pool.claim_rewards(alice.address), alice)
    assert deployment.events(receipt, "RewardClaimed") == [
        {"owner": alice.address, "recipient": alice.address, "amount": part,
         "still_owed": owed - part}
    ]
    assert token.balanceOf(alice.address).call() == part
    assert pool.reward_reserve().call() == 0
    assert chain.revert_reason(pool.claim_rewards(alice.address), alice) == (
        "LockingPool: reward reserve is empty"
    )
    # refilled: the rest is paid, and the locked stake was never touched
    deployment.fund(funder, owed)
    chain.send(pool.fund_reserve(owed), funder)
    chain.send(pool.claim_rewards(alice.address), alice)
    assert token.balanceOf(alice.address).call() == owed
    assert pool.reward_reserve().call() == part
    assert token.balanceOf(deployment.pool.address).call() == 50_000 * TOKEN + part
    assert chain.revert_reason(pool.claim_rewards(alice.address), alice) == (
        "LockingPool: no rewards owed"
    )


def test_rewards_go_to_the_reward_recipient(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    inbox = with_inbox(deployment)
    two_sequencers_in_epoch_1(deployment)
    alice, payee, funder = deployment.account(1), deployment.account(6), deployment.account(5)
    assert chain.revert_reason(pool.set_reward_recipient(payee.address), funder) == (
        "LockingPool: not a sequencer"
    )
    assert chain.revert_reason(pool.set_reward_recipient("0x" + "00" * 20), alice) == (
        "LockingPool: recipient is the zero address"
    )
    receipt = chain.send(pool.set_reward_recipient(payee.address), alice)
    assert deployment.events(receipt, "RewardRecipientSet") == [
        {"owner": alice.address, "recipient": payee.address}
    ]
    chain.send(pool.credit_reward(SIGNER_1, 500), inbox)
    deployment.fund(funder, 1_000 * TOKEN)
    chain.send(pool.fund_reserve(1_000 * TOKEN), funder)
    assert chain.revert_reason(pool.claim_rewards(alice.address), alice) == (
        "LockingPool: caller is not the reward recipient"
    )
    assert chain.revert_reason(pool.claim_rewards(funder.address), payee) == (
        "LockingPool: not a sequencer"
    )
    chain.send(pool.claim_rewards(alice.address), payee)
    assert deployment.token.functions.balanceOf(payee.address).call() == (
        500 * 10_000 * TOKEN // BLOCKS_PER_YEAR
    )


def test_credit_gas(deployment: PoolDeployment) -> None:
    inbox = with_inbox(deployment)
    two_sequencers_in_epoch_1(deployment)
    chain, pool = deployment.chain, deployment.pool.functions
    first = chain.send(pool.credit_reward(SIGNER_1, 1_000), inbox)["gasUsed"]
    again = chain.send(pool.credit_reward(SIGNER_1, 1_000), inbox)["gasUsed"]
    print(f"gas credit_reward: first {first}, later {again}")
    assert again <= first < 80_000
