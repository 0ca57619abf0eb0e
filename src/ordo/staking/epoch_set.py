"""An L1 epoch's sequencer set as the LockingPool froze it, and its mapping to consensus.

Pure: the set hash is recomputed here exactly as the pool computes it
(keccak256(abi.encode(Member[])) in the pool's order), so a node that checks it knows that it
and the inbox contract weigh votes by the same members and stakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from ordo.consensus.validator_set import Validator, ValidatorSet

MEMBERS_ABI_TYPE = "(address,uint256)[]"


class EpochSetError(ValueError):
    """An epoch set that cannot be used: its hash does not match, or it cannot form a
    validator set."""


@dataclass(frozen=True)
class EpochMember:
    signer: bytes
    stake: int


@dataclass(frozen=True)
class EpochSet:
    epoch: int
    validators: tuple[EpochMember, ...]
    """In the pool's order (the order the set hash covers), not sorted."""
    set_hash: bytes

    @property
    def total_stake(self) -> int:
        return sum(member.stake for member in self.validators)


def members_hash(members: Sequence[EpochMember]) -> bytes:
    return keccak(abi_encode([MEMBERS_ABI_TYPE],
                             [[(member.signer, member.stake) for member in members]]))


def verified_epoch_set(epoch: int, members: Sequence[EpochMember],
                       on_chain_hash: bytes) -> EpochSet:
    """The set, once its recomputed hash equals the one the pool reports for the epoch."""
    computed = members_hash(members)
    if computed != on_chain_hash:
        raise EpochSetError(f"epoch {epoch}: set hash 0x{computed.hex()} of the "
                            f"{len(members)} members read differs from the pool's "
                            f"0x{on_chain_hash.hex()}")
    return EpochSet(epoch, tuple(members), on_chain_hash)


def to_validator_set(epoch_set: EpochSet) -> ValidatorSet:
    """Consensus's view: signers weighted by stake, sorted by address.

    An empty epoch (before anyone locked) has no validators and cannot run consensus.
    """
    if not epoch_set.validators:
        raise EpochSetError(f"epoch {epoch_set.epoch}: the set is empty; no sequencer has "
                            "locked stake for it")
    try:
        return ValidatorSet.of(Validator(member.signer, member.stake)
                               for member in epoch_set.validators)
    except ValueError as error:
        raise EpochSetError(f"epoch {epoch_set.epoch}: {error}") from error
