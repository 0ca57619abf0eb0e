"""What one derivation run did, as the JSON document ``python -m ordo.derivation`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ordo.core.block import Block
from ordo.derivation.errors import InvalidBatch
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.derivation.removed_batches import RemovedBatches


@dataclass
class DerivationSummary:
    l1_from_block: int
    l1_to_block: int | None = None
    batches: int = 0
    """Batches read and checked (derived now, or already in the data directory)."""
    blocks: int = 0
    """Blocks derived and committed by this run."""
    transactions: int = 0
    compared_blocks: int = 0
    mismatches: list[str] = field(default_factory=list)
    invalid_batch: dict[str, Any] | None = None
    removed: list[dict[str, Any]] = field(default_factory=list)
    """BatchesRemoved events read: batches whose root lost a dispute, with every later one."""
    error: str | None = None
    head_number: int = 0
    head_hash: bytes = b""
    head_state_root: bytes = b""
    seconds: float = 0.0
    l1_origins_checked: bool = False
    """Whether each block's L1 origin was checked against the L1 read (the one the genesis is
    anchored to)."""

    def add_batch(self, committed: list[Block]) -> None:
        self.batches += 1
        self.blocks += len(committed)
        self.transactions += sum(len(block.transactions) for block in committed)

    def refuse(self, batch: AcceptedBatch, error: InvalidBatch) -> None:
        self.invalid_batch = {
            "index": error.index, "block": error.block, "reason": error.reason,
            "message": str(error), "l1_transaction": "0x" + batch.l1_transaction.hex(),
            "l1_block": batch.l1_block_number,
        }

    def remove(self, removal: RemovedBatches) -> None:
        """A refused batch that L1 removed is no longer a failure of the chain: it is kept in
        the removal's entry (``refused``) and the run goes on with what lands after it."""
        refused = self.invalid_batch
        if refused is not None and refused["index"] >= removal.index:
            self.invalid_batch = None
        else:
            refused = None
        self.removed.append({"index": removal.index,
                             "header_hash": "0x" + removal.header_hash.hex(),
                             "count": removal.count, "l1_block": removal.l1_block_number,
                             "refused": refused})

    @property
    def ok(self) -> bool:
        return self.invalid_batch is None and self.error is None and not self.mismatches

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "batches": self.batches,
            "blocks": self.blocks,
            "transactions": self.transactions,
            "head": {"number": self.head_number, "hash": "0x" + self.head_hash.hex(),
                     "state_root": "0x" + self.head_state_root.hex()},
            "l1": {"from_block": self.l1_from_block, "to_block": self.l1_to_block,
                   "origins_checked": self.l1_origins_checked},
            "compared_blocks": self.compared_blocks,
            "mismatches": self.mismatches,
            "invalid_batch": self.invalid_batch,
            "removed": self.removed,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "blocks_per_second": round(self.blocks / self.seconds, 1) if self.seconds else 0.0,
        }
