"""The validators of one epoch and the stake thresholds every rule is phrased in.

Thresholds are compared with integers (``3 * stake > 2 * total``) so that no node can disagree with
another through rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

ADDRESS_LENGTH = 20


@dataclass(frozen=True)
class Validator:
    """A signer address (Ethereum-style, from its secp256k1 key) and its locked stake."""

    address: bytes
    stake: int


def is_quorum(stake: int, total: int) -> bool:
    """More than two thirds of the total: any two quorums share more than a third of the stake."""
    return 3 * stake > 2 * total


def is_skip_set(stake: int, total: int) -> bool:
    """More than a third: at least one correct validator is in the set when faults are < 1/3."""
    return 3 * stake > total


@dataclass(frozen=True)
class ValidatorSet:
    """Validators sorted by address (the canonical order every schedule computation starts from).

    Construct with :meth:`of`; the constructor validates and raises ``ValueError`` naming the
    offending entry, because a validator set arrives from genesis files and from L1 events.
    """

    validators: tuple[Validator, ...]
    _stakes: dict[bytes, int] = field(init=False, repr=False, compare=False, hash=False)
    _total: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.validators:
            raise ValueError("validator set: empty")
        stakes: dict[bytes, int] = {}
        previous = b""
        for validator in self.validators:
            address = validator.address
            if not isinstance(address, bytes) or len(address) != ADDRESS_LENGTH:
                raise ValueError(f"validator set: address {address!r} is not 20 bytes")
            if not isinstance(validator.stake, int) or validator.stake <= 0:
                raise ValueError(
                    f"validator set: stake of 0x{address.hex()} must be a positive integer"
                )
            if address <= previous:
                raise ValueError(
                    f"validator set: 0x{address.hex()} duplicated or not in ascending order"
                )
            previous = address
            stakes[address] = validator.stake
        object.__setattr__(self, "_stakes", stakes)
        object.__setattr__(self, "_total", sum(stakes.values()))

    @classmethod
    def of(cls, validators: Iterable[Validator]) -> ValidatorSet:
        """Sort by address, then validate (duplicates are rejected, not merged)."""
        return cls(tuple(sorted(validators, key=lambda validator: validator.address)))

    @property
    def total_stake(self) -> int:
        return self._total

    def __len__(self) -> int:
        return len(self.validators)

    def __contains__(self, address: object) -> bool:
        return address in self._stakes

    def stake_of(self, address: bytes) -> int:
        """Stake of a validator; 0 for anyone else, so unknown signers never count."""
        return self._stakes.get(address, 0)

    def stake_of_all(self, addresses: Iterable[bytes]) -> int:
        """Summed stake of distinct addresses (duplicates and strangers count nothing extra)."""
        return sum(self._stakes.get(address, 0) for address in set(addresses))

    def is_quorum(self, stake: int) -> bool:
        return is_quorum(stake, self._total)

    def is_skip_set(self, stake: int) -> bool:
        return is_skip_set(stake, self._total)
