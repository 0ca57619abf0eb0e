"""Header rules a producer must follow and a validator enforces, without the EVM.

Ordo replaces py-evm's header validation: it wants strictly increasing timestamps, while Ordo
lets several blocks share a second (timestamps only never decrease).
"""

from __future__ import annotations

from eth.abc import BlockHeaderAPI

GAS_LIMIT_BOUND_DIVISOR = 1024
MIN_GAS_LIMIT = 5_000
MAX_EXTRA_DATA = 32
UINT64_CEILING = 2**64

# Compared in this order so the reason names the most telling difference first.
HEADER_FIELDS = (
    "parent_hash",
    "block_number",
    "timestamp",
    "gas_limit",
    "base_fee_per_gas",
    "transaction_root",
    "gas_used",
    "receipt_root",
    "bloom",
    "state_root",
    "coinbase",
    "extra_data",
    "uncles_hash",
    "difficulty",
    "mix_hash",
    "nonce",
    "withdrawals_root",
    "blob_gas_used",
    "excess_blob_gas",
    "parent_beacon_block_root",
    "requests_hash",
)


def environment_error(
    parent: BlockHeaderAPI, *, timestamp: int, gas_limit: int, extra_data: bytes
) -> str | None:
    """Why a child of ``parent`` with these producer-chosen fields is invalid, or None."""
    if not 0 <= timestamp < UINT64_CEILING:
        return f"timestamp {timestamp} out of range"
    if gas_limit >= UINT64_CEILING:
        return f"gas limit {gas_limit} out of range"
    if timestamp < int(parent.timestamp):
        return f"timestamp {timestamp} is before parent timestamp {parent.timestamp}"
    parent_limit = int(parent.gas_limit)
    bound = parent_limit // GAS_LIMIT_BOUND_DIVISOR
    if gas_limit < MIN_GAS_LIMIT:
        return f"gas limit {gas_limit} below minimum {MIN_GAS_LIMIT}"
    if abs(gas_limit - parent_limit) >= max(bound, 1) and gas_limit != parent_limit:
        return f"gas limit {gas_limit} moves more than 1/1024 from parent gas limit {parent_limit}"
    if len(extra_data) > MAX_EXTRA_DATA:
        return f"extra data is {len(extra_data)} bytes, at most {MAX_EXTRA_DATA} allowed"
    return None


def _show(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def header_mismatch(expected: BlockHeaderAPI, actual: BlockHeaderAPI) -> str | None:
    """The first header field where ``actual`` differs from ``expected``, or None."""
    for name in HEADER_FIELDS:
        want = getattr(expected, name, None)
        have = getattr(actual, name, None)
        if want != have:
            return f"{name} mismatch: expected {_show(want)}, got {_show(have)}"
    if expected.hash != actual.hash:
        return "header encoding differs from the expected Prague header"
    return None
