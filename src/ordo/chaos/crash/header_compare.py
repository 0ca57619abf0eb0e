"""Do the nodes hold the same block and the same state at every height? (pure)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class BlockHeader:
    hash: str
    state_root: str


def header_mismatches(victim: int, victim_headers: Mapping[int, BlockHeader | None],
                      reference: int, reference_headers: Mapping[int, BlockHeader | None]
                      ) -> list[str]:
    """One sentence per height where the victim's block hash or state root differs from the
    reference node's, or where either node has no block."""
    problems = []
    for height in sorted(set(victim_headers) | set(reference_headers)):
        mine = victim_headers.get(height)
        theirs = reference_headers.get(height)
        if mine is None or theirs is None:
            missing = victim if mine is None else reference
            problems.append(f"block {height}: node {missing} has no block there")
        elif mine.hash != theirs.hash:
            problems.append(f"block {height}: node {victim} holds {mine.hash}, node {reference} "
                            f"holds {theirs.hash}")
        elif mine.state_root != theirs.state_root:
            problems.append(f"block {height} {mine.hash}: node {victim} state root "
                            f"{mine.state_root}, node {reference} {theirs.state_root}")
    return problems


def all_mismatches(chains: Mapping[int, Mapping[int, BlockHeader | None]]) -> list[str]:
    """Every node against the lowest-numbered one, at every height given."""
    if not chains:
        return []
    reference, *others = sorted(chains)
    problems = []
    for node in others:
        problems += header_mismatches(node, chains[node], reference, chains[reference])
    return problems
