"""LockingPool epochs: a started epoch's set never changes; every change shows from the next
epoch; the set hash is the ABI encoding nodes and the inbox can recompute."""

from __future__ import annotations

from eth_abi import encode
from eth_hash.auto import keccak

from .ordo_votes import signer_address, validator_key
from .pool_deployment import EPOCH_INTERVAL, MIN_LOCK, TOKEN, PoolDeployment

SIGNER_1 = signer_address(validator_key(1))
SIGNER_2 = signer_address(validator_key(2))
SIGNER_3 = signer_address(validator_key(3))


def set_hash(members: list[tuple[str, int]]) -> bytes:
    return keccak(encode(["(address,uint256)[]"], [members]))


def test_epoch_zero_is_empty_and_future_epochs_are_refused(deployment: PoolDeployment) -> None:
    pool = deployment.pool.functions
    assert pool.current_epoch().call() == 0
    assert deployment.epoch_set(0) == []
    assert pool.epoch_total_stake(0).call() == 0
    assert pool.epoch_set_hash(0).call() == set_hash([])
    for view in (pool.get_epoch_set, pool.epoch_set_hash, pool.epoch_total_stake):
        assert deployment.chain.revert_reason(view(1), deployment.owner) == (
            "LockingPool: epoch has not started"
        )


def test_advance_epoch_waits_for_the_minimum_interval(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    stranger = deployment.account(7)
    chain.increase_time(EPOCH_INTERVAL - 5)
    assert chain.revert_reason(pool.advance_epoch(), stranger) == (
        "LockingPool: epoch interval not over"
    )
    chain.increase_time(5)
    chain.send(pool.advance_epoch(), stranger)  # permissionless
    assert pool.current_epoch().call() == 1
    assert pool.epoch_started_at(1).call() == chain.timestamp()
    assert chain.revert_reason(pool.advance_epoch(), stranger) == (
        "LockingPool: epoch interval not over"
    )


def test_changes_take_effect_from_the_next_epoch_only(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    alice, bob, carol = deployment.account(1), deployment.account(2), deployment.account(3)
    deployment.lock(alice, MIN_LOCK, SIGNER_1)
    deployment.lock(bob, 30_000 * TOKEN, SIGNER_2)
    assert deployment.epoch_set(0) == []  # the running epoch does not see the locks

    receipt = deployment.advance_epoch()
    epoch_1 = [(SIGNER_1, MIN_LOCK), (SIGNER_2, 30_000 * TOKEN)]
    assert deployment.epoch_set(1) == epoch_1
    assert pool.epoch_total_stake(1).call() == 50_000 * TOKEN
    assert pool.epoch_set_hash(1).call() == set_hash(epoch_1)
    assert deployment.events(receipt, "EpochAdvanced") == [
        {"epoch": 1, "version": 1, "set_hash": set_hash(epoch_1),
         "total_stake": 50_000 * TOKEN, "members": 2}
    ]

    # every kind of change during epoch 1 ...
    deployment.fund(alice, 10_000 * TOKEN)
    chain.send(pool.relock(10_000 * TOKEN), alice)
    chain.send(pool.unlock(), bob)
    deployment.lock(carol, MIN_LOCK, SIGNER_3)
    new_key = signer_address(validator_key(4))
    chain.send(pool.update_signer(new_key), alice)
    # ... leaves epoch 1 exactly as it was, and epoch 0 too
    assert deployment.epoch_set(1) == epoch_1
    assert pool.epoch_set_hash(1).call() == set_hash(epoch_1)
    assert deployment.epoch_set(0) == []

    deployment.advance_epoch()
    epoch_2 = [(new_key, 30_000 * TOKEN), (SIGNER_3, MIN_LOCK)]
    assert deployment.epoch_set(2) == epoch_2
    assert pool.epoch_total_stake(2).call() == 50_000 * TOKEN
    assert pool.epoch_set_hash(2).call() == set_hash(epoch_2)
    assert deployment.epoch_set(1) == epoch_1


def test_an_unchanged_set_is_not_copied_again(deployment: PoolDeployment) -> None:
    pool = deployment.pool.functions
    deployment.lock(deployment.account(1), MIN_LOCK, SIGNER_1)
    first = deployment.advance_epoch()
    second = deployment.advance_epoch()
    assert pool.latest_version().call() == 1
    assert pool.epoch_version(1).call() == pool.epoch_version(2).call() == 1
    assert deployment.epoch_set(2) == deployment.epoch_set(1) == [(SIGNER_1, MIN_LOCK)]
    assert second["gasUsed"] < first["gasUsed"] - 40_000


def test_unlock_and_relock_in_one_epoch_show_the_final_state(deployment: PoolDeployment) -> None:
    """Only the state at advance_epoch counts: a lock withdrawn in between never appears."""
    chain, pool = deployment.chain, deployment.pool.functions
    alice, bob = deployment.account(1), deployment.account(2)
    deployment.lock(alice, MIN_LOCK, SIGNER_1)
    deployment.lock(bob, MIN_LOCK, SIGNER_2)
    chain.send(pool.unlock(), alice)
    deployment.advance_epoch()
    assert deployment.epoch_set(1) == [(SIGNER_2, MIN_LOCK)]
