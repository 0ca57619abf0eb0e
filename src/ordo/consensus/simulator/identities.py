"""Who the simulated validators are: their keys, the validator set and the genesis hash.

Scenarios need these before a run starts: an attack plan is drawn against the proposer order,
and that order follows from the stakes, the addresses and the genesis hash.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_hash.auto import keccak

from ordo.consensus.schedule import compute_epoch_seed, compute_proposer_order
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
