"""LockingPool: lock, relock, signer changes, unlock and withdraw, the allowlist, owner settings,
and the constructor's checks, against a real anvil."""

from __future__ import annotations

from .anvil_chain import AnvilChain
from .ordo_votes import signer_address, validator_key
from .pool_deployment import (
    EXIT_DELAY,
    MAX_LOCK,
    MIN_LOCK,
    TOKEN,
    PoolDeployment,
    PoolParameters,
)

SIGNER_1 = signer_address(validator_key(1))
SIGNER_2 = signer_address(validator_key(2))
SIGNER_3 = signer_address(validator_key(3))
ZERO = "0x" + "00" * 20
ACTIVE, EXITING = 1, 2


def test_defaults_are_the_reference_systems_numbers(deployment: PoolDeployment) -> None:
    pool = deployment.pool.functions
    assert pool.DEFAULT_MIN_LOCK().call() == 20_000 * TOKEN
    assert pool.DEFAULT_MAX_LOCK().call() == 100_000 * TOKEN
    assert pool.DEFAULT_EXIT_DELAY().call() == 21 * 86_400
    assert pool.DEFAULT_SLASH_BPS().call() == 1_000
    assert pool.DEFAULT_REPORTER_BPS().call() == 1_000
    assert pool.FIRST_YEAR_MRR_BPS().call() == 2_000
    assert pool.owner().call() == deployment.owner.address
    assert pool.allowlist_enabled().call() is False


def test_lock_takes_the_tokens_registers_the_signer_and_logs(deployment: PoolDeployment) -> None:
    alice = deployment.account(1)
    receipt = deployment.lock(alice, MIN_LOCK, SIGNER_1)
    record = deployment.sequencer(alice.address)
    assert record["signer"] == SIGNER_1
    assert record["amount"] == MIN_LOCK
    assert record["status"] == ACTIVE
    assert record["reward_recipient"] == alice.address
    pool = deployment.pool.functions
    assert pool.signer_owner(SIGNER_1).call() == alice.address
    assert pool.total_locked().call() == MIN_LOCK
    assert deployment.token.functions.balanceOf(deployment.pool.address).call() == MIN_LOCK
    assert deployment.token.functions.balanceOf(alice.address).call() == 0
    assert deployment.events(receipt, "Locked") == [
        {"owner": alice.address, "signer": SIGNER_1, "amount": MIN_LOCK}
    ]
    assert pool.pending_set().call() == [(SIGNER_1, MIN_LOCK)]


def test_lock_refuses_bad_amounts_and_signers(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    alice, bob = deployment.account(1), deployment.account(2)
    deployment.fund(alice, 2 * MAX_LOCK)
    assert chain.revert_reason(pool.lock(MIN_LOCK - 1, SIGNER_1), alice) == (
        "LockingPool: lock below minimum"
    )
    assert chain.revert_reason(pool.lock(MAX_LOCK + 1, SIGNER_1), alice) == (
        "LockingPool: lock above maximum"
    )
    assert chain.revert_reason(pool.lock(MIN_LOCK, ZERO), alice) == (
        "LockingPool: signer is the zero address"
    )
    chain.send(pool.lock(MAX_LOCK, SIGNER_1), alice)
    assert chain.revert_reason(pool.lock(MIN_LOCK, SIGNER_2), alice) == (
        "LockingPool: already locked; use relock"
    )
    deployment.fund(bob, MIN_LOCK)
    assert chain.revert_reason(pool.lock(MIN_LOCK, SIGNER_1), bob) == (
        "LockingPool: signer already registered"
    )


def test_lock_without_allowance_reverts_with_the_tokens_reason(
    deployment: PoolDeployment,
) -> None:
    chain, alice = deployment.chain, deployment.account(1)
    chain.send(deployment.token.functions.mint(alice.address, MIN_LOCK), deployment.owner)
    assert chain.revert_reason(deployment.pool.functions.lock(MIN_LOCK, SIGNER_1), alice) == (
        "GovernanceToken: insufficient allowance"
    )


def test_allowlist_is_off_by_default_and_gates_lock_when_on(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    owner, alice, bob = deployment.owner, deployment.account(1), deployment.account(2)
    assert chain.revert_reason(pool.set_allowlist_enabled(True), alice) == (
        "LockingPool: caller is not the owner"
    )
    assert chain.revert_reason(pool.set_allowed(alice.address, True), alice) == (
        "LockingPool: caller is not the owner"
    )
    assert chain.revert_reason(pool.set_allowed(ZERO, True), owner) == (
        "LockingPool: account is the zero address"
    )
    receipt = chain.send(pool.set_allowlist_enabled(True), owner)
    assert deployment.events(receipt, "AllowlistEnabled") == [{"enabled": True}]
    receipt = chain.send(pool.set_allowed(alice.address, True), owner)
    assert deployment.events(receipt, "AllowlistUpdated") == [
        {"account": alice.address, "allowed": True}
    ]
    deployment.fund(bob, MIN_LOCK)
    assert chain.revert_reason(pool.lock(MIN_LOCK, SIGNER_2), bob) == (
        "LockingPool: not on the allowlist"
    )
    deployment.lock(alice, MIN_LOCK, SIGNER_1)
    chain.send(pool.set_allowlist_enabled(False), owner)
    chain.send(pool.lock(MIN_LOCK, SIGNER_2), bob)
    assert deployment.sequencer(bob.address)["status"] == ACTIVE


def test_relock_adds_up_to_the_maximum(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    alice, bob = deployment.account(1), deployment.account(2)
    assert chain.revert_reason(pool.relock(TOKEN), bob) == "LockingPool: not a sequencer"
    deployment.lock(alice, MIN_LOCK, SIGNER_1)
    deployment.fund(alice, MAX_LOCK)
    assert chain.revert_reason(pool.relock(0), alice) == "LockingPool: amount must be positive"
    assert chain.revert_reason(pool.relock(MAX_LOCK - MIN_LOCK + 1), alice) == (
        "LockingPool: lock above maximum"
    )
    receipt = chain.send(pool.relock(5_000 * TOKEN), alice)
    assert deployment.events(receipt, "Relocked") == [
        {"owner": alice.address, "added": 5_000 * TOKEN, "amount": 25_000 * TOKEN}
    ]
    assert deployment.sequencer(alice.address)["amount"] == 25_000 * TOKEN
    assert pool.total_locked().call() == 25_000 * TOKEN
    chain.send(pool.unlock(), alice)
    assert chain.revert_reason(pool.relock(TOKEN), alice) == "LockingPool: sequencer is exiting"


def test_update_signer_binds_the_new_key_and_keeps_the_old_one(
    deployment: PoolDeployment,
) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    alice, bob = deployment.account(1), deployment.account(2)
    assert chain.revert_reason(pool.update_signer(SIGNER_3), bob) == "LockingPool: not a sequencer"
    deployment.lock(alice, MIN_LOCK, SIGNER_1)
    deployment.lock(bob, MIN_LOCK, SIGNER_2)
    assert chain.revert_reason(pool.update_signer(ZERO), alice) == (
        "LockingPool: signer is the zero address"
    )
    assert chain.revert_reason(pool.update_signer(SIGNER_1), alice) == (
        "LockingPool: signer unchanged"
    )
    assert chain.revert_reason(pool.update_signer(SIGNER_2), alice) == (
        "LockingPool: signer already registered"
    )
    receipt = chain.send(pool.update_signer(SIGNER_3), alice)
    assert deployment.events(receipt, "SignerUpdated") == [
        {"owner": alice.address, "old_signer": SIGNER_1, "new_signer": SIGNER_3}
    ]
    assert deployment.sequencer(alice.address)["signer"] == SIGNER_3
    assert pool.signer_owner(SIGNER_3).call() == alice.address
    assert pool.signer_owner(SIGNER_1).call() == alice.address  # old votes stay reportable
    # the retired key cannot be taken over by someone else, nor taken back as a new key
    assert chain.revert_reason(pool.update_signer(SIGNER_1), bob) == (
        "LockingPool: signer already registered"
    )
    chain.send(pool.unlock(), alice)
    assert chain.revert_reason(pool.update_signer(signer_address(validator_key(9))), alice) == (
        "LockingPool: sequencer is exiting"
    )


def test_unlock_then_withdraw_after_the_delay_and_an_epoch(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    alice, bob = deployment.account(1), deployment.account(2)
    assert chain.revert_reason(pool.unlock(), alice) == "LockingPool: not a sequencer"
    assert chain.revert_reason(pool.withdraw(), alice) == "LockingPool: not a sequencer"
    deployment.lock(alice, MIN_LOCK, SIGNER_1)
    deployment.lock(bob, MIN_LOCK, SIGNER_2)
    assert chain.revert_reason(pool.withdraw(), alice) == (
        "LockingPool: not unlocking; call unlock first"
    )
    receipt = chain.send(pool.unlock(), alice)
    started = chain.timestamp()
    assert deployment.events(receipt, "UnlockStarted") == [
        {"owner": alice.address, "amount": MIN_LOCK, "withdrawable_at": started + EXIT_DELAY,
         "exit_epoch": 0}
    ]
    assert deployment.sequencer(alice.address)["status"] == EXITING
    assert pool.pending_set().call() == [(SIGNER_2, MIN_LOCK)]
    assert chain.revert_reason(pool.unlock(), alice) == "LockingPool: sequencer is exiting"
    assert chain.revert_reason(pool.lock(MIN_LOCK, SIGNER_1), alice) == (
        "LockingPool: withdraw the previous lock first"
    )
    assert chain.revert_reason(pool.withdraw(), alice) == "LockingPool: exit delay not over"
    chain.increase_time(EXIT_DELAY)
    assert chain.revert_reason(pool.withdraw(), alice) == (
        "LockingPool: stake still counts in the current epoch"
    )
    deployment.advance_epoch()
    receipt = chain.send(pool.withdraw(), alice)
    assert deployment.events(receipt, "Withdrawn") == [{"owner": alice.address, "amount": MIN_LOCK}]
    assert deployment.token.functions.balanceOf(alice.address).call() == MIN_LOCK
    assert pool.total_locked().call() == MIN_LOCK
    assert deployment.sequencer(alice.address)["status"] == 0
    assert chain.revert_reason(pool.withdraw(), alice) == "LockingPool: not a sequencer"
    # the owner may come back with the same signer key
    deployment.lock(alice, MIN_LOCK, SIGNER_1)
    assert deployment.sequencer(alice.address)["status"] == ACTIVE


def test_set_inbox_is_owner_only_and_once(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    owner, alice = deployment.owner, deployment.account(1)
    assert chain.revert_reason(pool.set_inbox(alice.address), alice) == (
        "LockingPool: caller is not the owner"
    )
    assert chain.revert_reason(pool.set_inbox(ZERO), owner) == (
        "LockingPool: inbox is the zero address"
    )
    receipt = chain.send(pool.set_inbox(alice.address), owner)
    assert deployment.events(receipt, "InboxSet") == [{"inbox": alice.address}]
    assert pool.inbox().call() == alice.address
    assert chain.revert_reason(pool.set_inbox(owner.address), owner) == (
        "LockingPool: inbox already set"
    )


def test_constructor_refuses_inconsistent_parameters(
    chain: AnvilChain, deployment: PoolDeployment
) -> None:
    token = deployment.token.address
    cases = {
        "LockingPool: token is the zero address": (PoolParameters(), ZERO),
        "LockingPool: minimum lock must be positive": (PoolParameters(min_lock=0), token),
        "LockingPool: minimum lock above maximum lock": (
            PoolParameters(min_lock=MAX_LOCK + 1), token),
        "LockingPool: blocks per year must be positive": (
            PoolParameters(blocks_per_year=0), token),
        "LockingPool: slash share above 100%": (PoolParameters(slash_bps=10_001), token),
        "LockingPool: reporter share above 100%": (PoolParameters(reporter_bps=10_001), token),
        "LockingPool: reward rate above 100%": (
            PoolParameters(later_mrr_bps=[1_000, 10_001]), token),
    }
    for reason, (parameters, token_address) in cases.items():
        args = parameters.constructor_args(token_address)
        assert chain.deploy_revert_reason("LockingPool", *args) == reason


def test_token_mint_is_minter_only(deployment: PoolDeployment) -> None:
    chain, token = deployment.chain, deployment.token.functions
    alice = deployment.account(1)
    assert chain.revert_reason(token.mint(alice.address, 1), alice) == (
        "GovernanceToken: caller is not the minter"
    )
    assert chain.revert_reason(token.mint(ZERO, 1), deployment.owner) == (
        "GovernanceToken: mint to the zero address"
    )
    assert chain.revert_reason(token.transfer(deployment.owner.address, 1), alice) == (
        "GovernanceToken: transfer amount exceeds balance"
    )


def test_ownership_moves_to_a_new_owner_only_by_the_owner(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    owner, alice = deployment.owner, deployment.account(1)
    assert chain.revert_reason(pool.transfer_ownership(alice.address), alice) == (
        "LockingPool: caller is not the owner"
    )
    assert chain.revert_reason(pool.transfer_ownership(ZERO), owner) == (
        "LockingPool: owner is the zero address"
    )
    receipt = chain.send(pool.transfer_ownership(alice.address), owner)
    assert deployment.events(receipt, "OwnershipTransferred") == [
        {"previous_owner": owner.address, "new_owner": alice.address}
    ]
    assert chain.revert_reason(pool.set_allowlist_enabled(True), owner) == (
        "LockingPool: caller is not the owner"
    )
    chain.send(pool.set_allowlist_enabled(True), alice)
    assert pool.allowlist_enabled().call() is True
