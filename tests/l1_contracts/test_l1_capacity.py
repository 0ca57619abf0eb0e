"""LockingPool at its size limit: 64 sequencers, what a full set costs to snapshot, and the gas
of a lock."""

from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount

from .ordo_votes import signer_address, validator_key
from .pool_deployment import MIN_LOCK, PoolDeployment

MAX_SEQUENCERS = 64


def new_account(deployment: PoolDeployment, index: int) -> LocalAccount:
    account: LocalAccount = Account.from_key((0xB0B00000 + index).to_bytes(32, "big"))
    deployment.chain.set_balance(account.address, 10**18)
    return account


def test_lock_gas(deployment: PoolDeployment) -> None:
    first = deployment.lock(deployment.account(1), MIN_LOCK, signer_address(validator_key(1)))
    second = deployment.lock(deployment.account(2), MIN_LOCK, signer_address(validator_key(2)))
    print(f"gas lock: first {first['gasUsed']}, second {second['gasUsed']}")
    assert second["gasUsed"] < 250_000


def test_the_set_holds_64_and_refuses_the_65th(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    assert pool.MAX_SEQUENCERS().call() == MAX_SEQUENCERS
    owners = [new_account(deployment, index) for index in range(MAX_SEQUENCERS + 1)]
    for index, owner in enumerate(owners[:MAX_SEQUENCERS]):
        deployment.lock(owner, MIN_LOCK + index, signer_address(validator_key(100 + index)))
    late = owners[MAX_SEQUENCERS]
    late_signer = signer_address(validator_key(100 + MAX_SEQUENCERS))
    deployment.fund(late, MIN_LOCK)
    assert chain.revert_reason(pool.lock(MIN_LOCK, late_signer), late) == (
        "LockingPool: sequencer set is full"
    )
    receipt = deployment.advance_epoch()
    print(f"gas advance_epoch with {MAX_SEQUENCERS} new members: {receipt['gasUsed']}")
    assert receipt["gasUsed"] < 6_000_000
    members = deployment.epoch_set(1)
    assert len(members) == MAX_SEQUENCERS
    assert sum(stake for _, stake in members) == pool.epoch_total_stake(1).call()
    # a place freed by an exit is taken at once; the running epoch is untouched
    chain.send(pool.unlock(), owners[0])
    chain.send(pool.lock(MIN_LOCK, late_signer), late)
    pending = pool.pending_set().call()
    assert len(pending) == MAX_SEQUENCERS
    assert (late_signer, MIN_LOCK) in [tuple(member) for member in pending]
    assert len(deployment.epoch_set(1)) == MAX_SEQUENCERS
