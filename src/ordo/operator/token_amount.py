"""Token amounts as operators type them (``20000``, ``20000.5``) and as the chain holds them
(integers in the token's smallest unit), converted exactly: never through a float, which
would lock 19999.999999999998 tokens instead of 20000."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

UINT256_CEILING = 2**256


class AmountError(ValueError):
    """An amount cannot be used; the message names the value and what is allowed."""


def parse_token_amount(text: str, decimals: int, symbol: str = "tokens") -> int:
    """``"20000.5"`` with 18 decimals -> 20000500000000000000000; AmountError otherwise."""
    cleaned = text.strip().replace("_", "")
    allowed = (f"allowed is a positive decimal number of {symbol} with at most {decimals} "
               "digits after the point, e.g. 20000 or 20000.5")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError(f"amount: {text!r} is not a number; {allowed}") from None
    if not value.is_finite() or value <= 0 or "e" in cleaned.lower():
        raise AmountError(f"amount: {text!r} is not allowed; {allowed}")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise AmountError(f"amount: {text!r} has more than {decimals} digits after the point; "
                          f"{allowed}")
    units = int(scaled)
    if units >= UINT256_CEILING:
        raise AmountError(f"amount: {text!r} is too large for a uint256; {allowed}")
    return units


def format_token_amount(units: int, decimals: int) -> str:
    """Exact decimal form without trailing zeros: 20000500000000000000000 -> ``20000.5``."""
    whole, fraction = divmod(units, 10**decimals) if decimals else (units, 0)
    if not fraction:
        return f"{whole:,}"
    digits = str(fraction).rjust(decimals, "0").rstrip("0")
    return f"{whole:,}.{digits}"
