"""The pure parts of staking: the set hash, the mapping to consensus, a sequencer's standing."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from ordo.consensus.validator_set import Validator
from ordo.staking.epoch_set import (
    EpochMember,
    EpochSet,
    EpochSetError,
    members_hash,
    to_validator_set,
    verified_epoch_set,
)
from ordo.staking.sequencer_state import SequencerState, SequencerStatus

HIGH = EpochMember(b"\xcc" * 20, 30)
LOW = EpochMember(b"\x11" * 20, 50)


def test_hash_is_the_abi_encoding_of_the_members_in_pool_order() -> None:
    # Hand-built abi.encode((address,uint256)[]): offset, length, then the pairs in order.
    words = [32, 2]
    payload = b"".join(word.to_bytes(32, "big") for word in words)
    payload += bytes(12) + HIGH.signer + (30).to_bytes(32, "big")
    payload += bytes(12) + LOW.signer + (50).to_bytes(32, "big")
    assert payload == encode(["(address,uint256)[]"], [[(HIGH.signer, 30), (LOW.signer, 50)]])
    assert members_hash([HIGH, LOW]) == keccak(payload)
    assert members_hash([LOW, HIGH]) != members_hash([HIGH, LOW])
    assert members_hash([]) == keccak((32).to_bytes(32, "big") + bytes(32))


def test_a_set_is_accepted_only_with_the_pools_hash() -> None:
    good = members_hash([HIGH, LOW])
    epoch_set = verified_epoch_set(4, [HIGH, LOW], good)
    assert epoch_set == EpochSet(4, (HIGH, LOW), good)
    assert epoch_set.total_stake == 80
    with pytest.raises(EpochSetError, match=r"epoch 4: set hash 0x.* of the 2 members read "
                                            r"differs from the pool's 0x00"):
        verified_epoch_set(4, [HIGH, LOW], bytes(32))
    with pytest.raises(EpochSetError):
        verified_epoch_set(4, [LOW, HIGH], good)


def test_validator_set_is_sorted_by_signer_with_the_same_stakes() -> None:
    validators = to_validator_set(EpochSet(2, (HIGH, LOW), members_hash([HIGH, LOW])))
    assert validators.validators == (Validator(LOW.signer, 50), Validator(HIGH.signer, 30))
    assert validators.total_stake == 80


@pytest.mark.parametrize(("members", "message"), [
    ((), "epoch 9: the set is empty"),
    ((HIGH, HIGH), "epoch 9: validator set: 0xcc.* duplicated"),
    ((EpochMember(b"\x01" * 20, 0),), "epoch 9: validator set: stake of 0x01.* must be a "
                                      "positive integer"),
])
def test_unusable_sets_are_refused_with_the_epoch(members: tuple[EpochMember, ...],
                                                  message: str) -> None:
    with pytest.raises(EpochSetError, match=message):
        to_validator_set(EpochSet(9, members, members_hash(members)))


def state(**changes: object) -> SequencerState:
    fields: dict[str, object] = dict(
        owner=b"\x01" * 20, signer=b"\x02" * 20, locked=100, reward_recipient=b"\x03" * 20,
        status=SequencerStatus.EXITING, withdrawable_at=1_000, exit_epoch=5, rewards_owed=40,
        reward_reserve=25, current_epoch=6, block_number=77, block_timestamp=1_000)
    fields.update(changes)
    return SequencerState(**fields)  # type: ignore[arg-type]


def test_withdrawal_needs_the_delay_and_an_epoch_change() -> None:
    assert state().can_withdraw and state().seconds_until_withdrawable == 0
    early = state(block_timestamp=990)
    assert not early.can_withdraw and early.seconds_until_withdrawable == 10
    assert not state(current_epoch=5).can_withdraw
    active = state(status=SequencerStatus.ACTIVE, withdrawable_at=0, exit_epoch=0)
    assert not active.can_withdraw and active.seconds_until_withdrawable is None


def test_claimable_is_what_the_reserve_can_pay() -> None:
    assert state().rewards_claimable == 25
    assert state(reward_reserve=1_000).rewards_claimable == 40
    assert state(reward_reserve=0).rewards_claimable == 0
    shown = state().to_json()
    assert shown["status"] == "exiting" and shown["rewards_owed"] == "40"
    assert shown["rewards_claimable"] == "25" and shown["can_withdraw"] is True
    assert shown["owner"] == "0x" + "01" * 20 and shown["l1_block"] == 77
