"""The promises a chaos run checks at its end, as pure functions over what was observed.

Each check returns violations (human-readable sentences); an empty list means the promise held.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ordo.chaos.transfer_load import SentTransaction

REPAIR_SIGNS = ("Traceback", "corrupt", "Corrupt", "undecodable", "repair")
"""Log text showing that a restarted node met damaged data (or needed help) at start."""


@dataclass(frozen=True)
class RestartOutcome:
    node: int
    ready_after: float | None
    """Seconds from restart until the node answered JSON-RPC; None: it never did."""
    final_before: int
    """The node's last final height seen before the kill."""
    head_after: int | None
    """Its head when it first answered after the restart."""
    log_signs: tuple[str, ...]


def check_identical_chains(chains: Mapping[int, Mapping[int, str]]) -> list[str]:
    """Every height final on several nodes holds the same block on all of them."""
    violations = []
    heights = sorted({height for chain in chains.values() for height in chain})
    for height in heights:
        hashes = {node: chain[height] for node, chain in chains.items() if height in chain}
        if len(set(hashes.values())) > 1:
            violations.append(f"block {height} differs between nodes: {hashes}")
    return violations


def canonical_chain(chains: Mapping[int, Mapping[int, str]]) -> dict[int, str]:
    """Height -> hash agreed by the nodes (the first node's where they disagree; that is
    reported by check_identical_chains)."""
    canonical: dict[int, str] = {}
    for node in sorted(chains):
        for height, block_hash in chains[node].items():
            canonical.setdefault(height, block_hash)
    return canonical


def check_receipts_final(transactions: Sequence[SentTransaction],
                         canonical: Mapping[int, str]) -> list[str]:
    """A receipt handed to a client names a block that is in the final chain."""
    violations = []
    for tx in transactions:
        if tx.receipt_block is None:
            continue
        number, block_hash = tx.receipt_block
        if canonical.get(number) != block_hash:
            violations.append(f"{tx.hash}: receipt named block {number} {block_hash}, the final "
                              f"chain holds {canonical.get(number)} there")
    return violations


def classify(tx_hash: str, statuses: Sequence[Mapping[str, object]],
             canonical: Mapping[int, str]) -> tuple[str, str | None]:
    """Where an acknowledged transaction ended: final, pending, dropped (with its reason) or
    lost, from every node's ordo_getTransactionStatus answer."""
    for status in statuses:
        if status.get("status") == "included":
            number = int(str(status.get("blockNumber")), 16)
            if canonical.get(number) == status.get("blockHash"):
                return "final", None
    if any(status.get("status") == "pending" for status in statuses):
        return "pending", None
    for status in statuses:
        if status.get("status") == "dropped" and status.get("reason"):
            return "dropped", str(status["reason"])
    return "lost", None


def tally_outcomes(outcomes: Mapping[str, tuple[str, str | None]]
                   ) -> tuple[Counter[str], Counter[str], list[str]]:
    """(count per outcome, count per drop reason, violations for lost transactions)."""
    kinds: Counter[str] = Counter(kind for kind, _ in outcomes.values())
    reasons: Counter[str] = Counter(reason for kind, reason in outcomes.values()
                                    if kind == "dropped" and reason)
    violations = [f"{tx_hash}: acknowledged, but no node has it final, pending or dropped"
                  for tx_hash, (kind, _) in sorted(outcomes.items()) if kind == "lost"]
    return kinds, reasons, violations


def check_restarts(restarts: Sequence[RestartOutcome]) -> list[str]:
    """A node killed at any instant restarts by itself, with its final blocks, no repair."""
    violations = []
    for outcome in restarts:
        if outcome.ready_after is None:
            violations.append(f"node {outcome.node} did not answer after its restart")
        elif outcome.head_after is not None and outcome.head_after < outcome.final_before:
            violations.append(f"node {outcome.node} restarted at block {outcome.head_after}, "
                              f"below its final block {outcome.final_before} before the kill")
        if outcome.log_signs:
            violations.append(f"node {outcome.node} log after restart shows "
                              f"{list(outcome.log_signs)}")
    return violations


def repair_signs(log_text: str) -> tuple[str, ...]:
    return tuple(sign for sign in REPAIR_SIGNS if sign in log_text)


def check_recovery(recovery: float | None, bound: float) -> list[str]:
    if recovery is None:
        return ["no block became final after the last heal"]
    if recovery > bound:
        return [f"first final block after the last heal took {recovery:.1f}s "
                f"(bound {bound:g}s)"]
    return []
