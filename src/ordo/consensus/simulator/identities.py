"""Who the simulated validators are: their keys, the validator set and the genesis hash.

Scenarios need these before a run starts: an attack plan is drawn against the proposer order,
and that order follows from the stakes, the addresses and the genesis hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from eth_hash.auto import keccak

from ordo.consensus.schedule import EpochValidators, compute_epoch_seed, compute_proposer_order
from ordo.consensus.signing import LocalSigner
from ordo.consensus.validator_set import Validator, ValidatorSet


def sim_private_key(index: int) -> bytes:
    return keccak(f"ordo-sim-validator-{index}".encode())


def sim_address(index: int) -> bytes:
    return LocalSigner(sim_private_key(index)).address


def sim_validator_set(stakes: Sequence[int]) -> ValidatorSet:
    return ValidatorSet.of(
        Validator(sim_address(index), stake) for index, stake in enumerate(stakes)
    )


def sim_genesis_hash(seed: int, salt: int = 0) -> bytes:
    """Salt 0 is the plain seed's genesis; attack scenarios search salts for a proposer order
    that puts a Byzantine validator where their plan needs one."""
    suffix = f"-{salt}" if salt else ""
    return keccak(f"ordo-sim-genesis-{seed}{suffix}".encode())


def first_epoch_order(stakes: Sequence[int], genesis_hash: bytes) -> tuple[int, ...]:
    """The first epoch's proposer order, as node indexes."""
    index_of = {sim_address(index): index for index in range(len(stakes))}
    order = compute_proposer_order(compute_epoch_seed(genesis_hash), sim_validator_set(stakes))
    return tuple(index_of[address] for address in order)


RESTAKE_FACTORS = 3
LEAVE_ONE_IN = 3


def sim_epoch_validators(stakes: Sequence[int], byzantine: frozenset[int], seed: int,
                         restake: bool) -> EpochValidators:
    """Each epoch's set. With ``restake`` the honest validators' stakes change every epoch (as
    locks and relocks on L1 change them) and now and then one honest validator sits an epoch
    out (an unlock, then a new lock), so runs cross epoch boundaries where the quorum weights,
    the proposer order and the membership change. The Byzantine share always stays below a
    third: honest stake only grows, and a validator leaves only if that still holds."""
    base = tuple(stakes)
    byzantine_stake = sum(base[index] for index in byzantine)

    @cache
    def validators_of(epoch: int) -> ValidatorSet:
        if not restake or epoch == 0:
            return sim_validator_set(base)
        scaled: dict[int, int] = {}
        for index, stake in enumerate(base):
            draw = keccak(f"ordo-sim-restake-{seed}-{epoch}-{index}".encode())[0]
            scaled[index] = stake if index in byzantine else stake * (1 + draw % RESTAKE_FACTORS)
        leave = keccak(f"ordo-sim-leave-{seed}-{epoch}".encode())
        leaver = leave[1] % len(base)
        remaining = sum(scaled.values()) - scaled[leaver]
        if leave[0] % LEAVE_ONE_IN == 0 and leaver not in byzantine \
                and 3 * byzantine_stake < remaining:
            del scaled[leaver]
        return ValidatorSet.of(Validator(sim_address(index), stake)
                               for index, stake in scaled.items())

    return validators_of
