"""geth's state and block overrides for simulated calls (eth_call, eth_estimateGas, ...).

Overrides are applied to the throw-away state of one simulation and never reach the store. They
are applied before the call's own changes are locked in, so the call sees them as if a previous
transaction had written them (geth finalises the overridden state the same way), which matters
for SSTORE gas: an overridden slot counts as the slot's original value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from eth.abc import StateAPI
from eth_typing import Address
from eth_utils import to_checksum_address

from ordo.core.errors import CallFailed


@dataclass(frozen=True)
class AccountOverride:
    """New values for one account; None leaves a field as it is.

    ``state`` replaces the whole storage, ``state_diff`` patches single slots; geth refuses both
    together.
    """

    balance: int | None = None
    nonce: int | None = None
    code: bytes | None = None
    state: Mapping[int, int] | None = None
    state_diff: Mapping[int, int] | None = None


StateOverrides = Mapping[bytes, AccountOverride]
"""Per 20-byte address."""


@dataclass(frozen=True)
class BlockOverrides:
    """Block context fields a call runs with instead of those of its block (geth's names)."""

    number: int | None = None
    time: int | None = None
    gas_limit: int | None = None
    fee_recipient: bytes | None = None
    prev_randao: bytes | None = None
    base_fee_per_gas: int | None = None
    blob_base_fee: int | None = None


@dataclass(frozen=True)
class CallOverrides:
    state: StateOverrides = field(default_factory=dict)
    block: BlockOverrides | None = None


NO_OVERRIDES = CallOverrides()


def apply_state_overrides(state: StateAPI, overrides: StateOverrides) -> None:
    """Write ``overrides`` into ``state``; CallFailed with geth's text for a contradiction."""
    for address, account in overrides.items():
        if account.state is not None and account.state_diff is not None:
            raise CallFailed(
                f"account {to_checksum_address(address)} has both 'state' and 'stateDiff'"
            )
    for address, account in overrides.items():
        canonical = Address(address)
        if account.nonce is not None:
            state.set_nonce(canonical, account.nonce)
        if account.code is not None:
            state.set_code(canonical, account.code)
        if account.balance is not None:
            state.set_balance(canonical, account.balance)
        if account.state is not None:
            state.delete_storage(canonical)
            for slot, value in account.state.items():
                state.set_storage(canonical, slot, value)
        if account.state_diff is not None:
            for slot, value in account.state_diff.items():
                state.set_storage(canonical, slot, value)


def align_ancestors(
    ancestors: tuple[bytes, ...], real_number: int, number: int
) -> tuple[bytes, ...]:
    """BLOCKHASH ancestry for a call whose block number is overridden from ``real_number``.

    ``ancestors`` start with the hash of ``real_number - 1``. Blocks between the real and the
    overridden number are unknown and read as zero, as in geth.
    """
    if number >= real_number:
        return (b"\x00" * 32,) * (number - real_number) + ancestors
    return ancestors[real_number - number:]
