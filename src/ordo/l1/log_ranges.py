"""Splitting an eth_getLogs block range into pieces a node will answer.

Nodes cap a query's block span (geth's default 10,000 on some providers, Alchemy 2,000) or its
result count; the client asks piece by piece and halves a piece the node refuses.
"""

from __future__ import annotations


def split_range(first: int, last: int, span: int) -> list[tuple[int, int]]:
    """``[first, last]`` as consecutive closed ranges of at most ``span`` blocks."""
    if span < 1:
        raise ValueError(f"span must be at least 1 block, got {span}")
    if first > last:
        return []
    return [(start, min(last, start + span - 1)) for start in range(first, last + 1, span)]


def halve(first: int, last: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Two halves of a range, or None for a single block (it cannot get smaller)."""
    if first >= last:
        return None
    middle = (first + last) // 2
    return (first, middle), (middle + 1, last)


RANGE_REFUSALS = ("query returned more than", "too many", "block range", "range too large",
                  "exceed", "limit")


def is_range_refusal(code: int, message: str) -> bool:
    """Whether a node's error means "ask for a smaller range" (wordings of geth, erigon,
    anvil and the big providers; -32005 is EIP-1474's limit exceeded)."""
    lowered = message.lower()
    return code == -32005 or any(phrase in lowered for phrase in RANGE_REFUSALS)
