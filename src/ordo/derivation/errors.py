"""Why derivation refused a batch: one exception type whose message names the batch, the block
and the transaction concerned, so an operator can find the offending L1 transaction at once."""

from __future__ import annotations


class DerivationError(Exception):
    """L1 holds something that does not derive into a valid L2 chain (or cannot be read)."""


class InvalidBatch(DerivationError):
    """An accepted batch whose data is malformed, out of order or re-executes differently than
    its signed header says. Derivation stops there: every later batch builds on it."""

    def __init__(self, index: int, reason: str, block: int | None = None) -> None:
        self.index = index
        self.block = block
        self.reason = reason
        where = f"batch {index}" if block is None else f"batch {index}, block {block}"
        super().__init__(f"{where}: {reason}")
