"""Prague gas rules used by the phase-3 steps (py-evm's PragueVM is the reference): memory
expansion, copies, EXP, EIP-2929 access costs and EIP-2200/3529 SSTORE. Costs are computed on
full-width integers, so an offset at or above 2^64 is a huge cost (out of gas), never a wrapped
one. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

WARM_ACCESS = 100
COLD_ACCOUNT_ACCESS = 2600
COLD_SLOAD = 2100
SSTORE_SET = 20_000
SSTORE_RESET = 5000 - COLD_SLOAD
SSTORE_CLEARS_REFUND = 4800
SSTORE_STIPEND = 2300
COPY_PER_WORD = 3
KECCAK_PER_WORD = 6
LOG_PER_BYTE = 8
EXP_PER_BYTE = 50


def words(size: int) -> int:
    return (size + 31) // 32


def memory_cost(size_bytes: int) -> int:
    """The total cost of a memory of ``size_bytes`` (a multiple of 32)."""
    w = size_bytes // 32
    return 3 * w + w * w // 512


def expansion(memory_size: int, offset: int, size: int) -> tuple[int, int]:
    """The memory size after touching ``[offset, offset + size)`` and the gas of growing to it;
    a zero size touches nothing whatever its offset."""
    if size == 0:
        return memory_size, 0
    new_size = words(offset + size) * 32
    if new_size <= memory_size:
        return memory_size, 0
    return new_size, memory_cost(new_size) - memory_cost(memory_size)


def exp_cost(exponent: int) -> int:
    return EXP_PER_BYTE * ((exponent.bit_length() + 7) // 8)


@dataclass(frozen=True)
class SstoreCharge:
    """The gas and the refund-counter change of one SSTORE (``cold`` slot surcharge included)."""

    gas: int
    refund_delta: int


def sstore_charge(original: int, current: int, new: int, cold: bool) -> SstoreCharge:
    """EIP-2200 net metering with EIP-2929's cold surcharge and EIP-3529's refunds."""
    gas = COLD_SLOAD if cold else 0
    refund = 0
    if current == new:
        gas += WARM_ACCESS
    elif original == current:
        if original == 0:
            gas += SSTORE_SET
        else:
            gas += SSTORE_RESET
            if new == 0:
                refund += SSTORE_CLEARS_REFUND
    else:
        gas += WARM_ACCESS
        if original != 0:
            if current == 0:
                refund -= SSTORE_CLEARS_REFUND
            elif new == 0:
                refund += SSTORE_CLEARS_REFUND
        if original == new:
            refund += (SSTORE_SET if original == 0 else SSTORE_RESET) - WARM_ACCESS
    return SstoreCharge(gas, refund)
