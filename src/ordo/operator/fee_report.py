"""``ordo fees``: one epoch's fee-vault settlement, recomputed from public data only.

Every sequencer can check its share of the fee vault (``ordo.staking.fee_sharing``) without
trusting anyone: the L2 node's JSON-RPC gives each block's builder (its extra data), the tips its
coinbase earned (receipts) and the vault's balance at the epoch's ends; the L1 node gives the
inbox's ``BatchAccepted`` and ``BatchesRemoved`` events and the receipts of the transactions
that landed them (what each poster paid: ``gas_used * effective_gas_price + blob_gas_used *
blob_gas_price``). A batch belongs to the epoch of its last block (epochs as consensus counts
them, ``ordo.consensus.schedule.epoch_heights``). Only batches that still stand are reimbursed,
folded as derivation folds them (``standing_batches``): a batch a lost dispute removed is not,
and neither is the first posting of blocks that were posted again after a removal.

The gas price reimbursed is capped at the L1 block's base fee plus ``MAX_REIMBURSED_TIP``: the
tip goes to L1's block builder, and a poster who is (or pays back) that builder could otherwise
move the vault to itself by overpaying. The blob gas price is the protocol's, not chosen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ordo.consensus.schedule import epoch_heights
from ordo.core.block_extra import builder_in
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.derivation.l1_batches import L1BatchReader
from ordo.derivation.removed_batches import InboxEvent, standing_batches
from ordo.l1.client import L1Client
from ordo.staking.fee_sharing import EpochShares, share_epoch

MAX_REIMBURSED_TIP = 2 * 10**9
"""Wei per gas above the L1 block's base fee that reimbursement still counts."""


@dataclass(frozen=True)
class EpochFees:
    """What the settlement of one epoch is computed from, and its result."""

    epoch: int
    first_block: int
    last_block: int
    vault_income: int
    blocks_built: dict[bytes, int]
    tips: dict[bytes, int]
    posting_costs: dict[bytes, int]
    posting_gas: dict[bytes, int]
    shares: EpochShares

    def to_json(self) -> dict[str, Any]:
        people = sorted({*self.blocks_built, *self.posting_costs, *self.tips})
        return {
            "epoch": self.epoch, "firstBlock": self.first_block, "lastBlock": self.last_block,
            "vaultIncome": str(self.vault_income), "carried": str(self.shares.carried),
            "sequencers": [{
                "address": "0x" + who.hex(),
                "blocksProduced": self.blocks_built.get(who, 0),
                "l2FeesEarned": str(self.tips.get(who, 0)),
                "l1GasSpentPosting": self.posting_gas.get(who, 0),
                "l1CostPosting": str(self.posting_costs.get(who, 0)),
                "reimbursed": str(self.shares.reimbursed.get(who, 0)),
                "blockRewards": str(self.shares.rewards.get(who, 0)),
            } for who in people],
        }


def batches_landed(events: Iterable[InboxEvent], first: int, last: int) -> list[AcceptedBatch]:
    """The batches standing after the inbox's ``events`` (in L1 order) whose last block is in
    ``first..last``: the postings an epoch reimburses. Pure."""
    return [batch for batch in standing_batches(events) if first <= batch.last_block <= last]


async def epoch_fees(l2: L1Client, l1: L1Client, inbox: bytes, l2_chain_id: int, vault: bytes,
                     epoch: int, epoch_length: int, l1_from_block: int) -> EpochFees:
    """The epoch's settlement (its blocks must exist on ``l2``). The inbox's events are read
    from L1 block ``l1_from_block`` (no batch lands before the genesis's L1 origin)."""
    first, last = epoch_heights(epoch, epoch_length)
    built: Counter[bytes] = Counter()
    tips: Counter[bytes] = Counter()
    for number in range(first, last + 1):
        block = await l2.request("eth_getBlockByNumber", [hex(number), False])
        if block is None:
            raise ValueError(f"the L2 node has no block {number}: epoch {epoch} is not over")
        builder = builder_in(bytes.fromhex(block["extraData"][2:]))
        built[builder] += 1
        base_fee = int(block["baseFeePerGas"], 16)
        for receipt in await l2.request("eth_getBlockReceipts", [hex(number)]):
            tip = int(receipt["effectiveGasPrice"], 16) - base_fee
            tips[builder] += int(receipt["gasUsed"], 16) * tip
    before = await l2.request("eth_getBalance", ["0x" + vault.hex(), hex(first - 1)])
    after = await l2.request("eth_getBalance", ["0x" + vault.hex(), hex(last)])
    income = int(after, 16) - int(before, 16)
    costs: Counter[bytes] = Counter()
    gas: Counter[bytes] = Counter()
    reader = L1BatchReader(l1, inbox, l2_chain_id)
    events = await reader.events_between(l1_from_block, await l1.block_number())
    for batch in batches_landed(events, first, last):
        receipt = await l1.request("eth_getTransactionReceipt",
                                   ["0x" + batch.l1_transaction.hex()])
        landed = await l1.get_block(batch.l1_block_number)
        price = int(receipt["effectiveGasPrice"], 16)
        if landed is not None and landed.base_fee_per_gas is not None:
            price = min(price, landed.base_fee_per_gas + MAX_REIMBURSED_TIP)
        cost = int(receipt["gasUsed"], 16) * price
        if receipt.get("blobGasUsed"):
            cost += int(receipt["blobGasUsed"], 16) * int(receipt["blobGasPrice"], 16)
        costs[batch.submitter] += cost
        gas[batch.submitter] += int(receipt["gasUsed"], 16)
    return EpochFees(epoch, first, last, income, dict(built), dict(tips), dict(costs), dict(gas),
                     share_epoch(income, costs, built))
