"""What the fee vault and the builders earned, per sequencer, in this epoch and the last one, as
this node committed the blocks (``ordo status``'s ``economics``, the metrics' ``ordo_fee_*``).

It is a running tally of public data, kept so that status and scrapes read it without walking
an epoch of blocks: per block, its builder (extra data), the tips its coinbase earned (each
receipt's gas times ``min(tip cap, fee cap - base fee)``) and the vault's income (its balance
after the block minus before). Posting costs live on L1 and the settlement of a closed epoch
needs them: ``ordo fees`` computes it (``ordo.operator.fee_report``). A starting node tallies
the stored blocks of the last and the current epoch again (``Node._backfill_fees``: about 0.4 ms
a block, 0.8 s for two epochs of 1,000), so ``since`` is the epoch's first block unless the
node's store starts later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth.abc import ReceiptAPI, SignedTransactionAPI

from ordo.consensus.schedule import get_epoch
from ordo.core.block_extra import builder_in


@dataclass
class EpochTally:
    epoch: int
    since: int
    """The first block of the epoch this node counted (later than the epoch's first block after
    a restart)."""
    blocks: Counter[bytes] = field(default_factory=Counter)
    tips: Counter[bytes] = field(default_factory=Counter)
    vault_income: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "since": self.since, "vaultIncome": str(self.vault_income),
                "sequencers": [{"address": "0x" + who.hex(),
                                "blocksProduced": self.blocks.get(who, 0),
                                "l2FeesEarned": str(self.tips.get(who, 0))}
                               for who in sorted({*self.blocks, *self.tips})]}


def block_tips(transactions: Sequence[SignedTransactionAPI], receipts: Sequence[ReceiptAPI],
               base_fee: int) -> int:
    """What the block's coinbase earned in tips, by the receipts' gas."""
    total, previous = 0, 0
    for tx, receipt in zip(transactions, receipts, strict=True):
        gas = int(receipt.gas_used) - previous
        previous = int(receipt.gas_used)
        total += gas * max(0, min(int(tx.max_priority_fee_per_gas),
                                  int(tx.max_fee_per_gas) - base_fee))
    return total


class FeeBook:
    def __init__(self, epoch_length: int) -> None:
        self.epoch_length = epoch_length
        self.current: EpochTally | None = None
        self.previous: EpochTally | None = None

    def record(self, number: int, extra_data: bytes, tips: int, vault_income: int) -> None:
        """Count committed block ``number`` (blocks arrive in order)."""
        epoch = get_epoch(number, self.epoch_length)
        if self.current is None or self.current.epoch != epoch:
            if self.current is not None and self.current.epoch == epoch - 1:
                self.previous = self.current
            else:
                self.previous = None
            self.current = EpochTally(epoch, number)
        builder = builder_in(extra_data)
        self.current.blocks[builder] += 1
        self.current.tips[builder] += tips
        self.current.vault_income += vault_income

    def status(self) -> dict[str, Any]:
        return {"current": None if self.current is None else self.current.to_json(),
                "previous": None if self.previous is None else self.previous.to_json()}
