"""Posting a fallback batch: the chain moves on from L1 alone when the sequencers are silent.

Anyone may do it once the inbox's ``fallback_opens_at`` has passed, with no key of the
sequencer set: derive the chain from L1 into a data directory, build on its head the one block
L1 determines (``ordo.derivation.fallback_rules``: no builder, the forced-queue items up to a
confirmed L1 origin, the origin's time), and post it unsigned with the inbox's bond. The block
is built on an in-memory layer over the derived state and committed only by deriving the
accepted batch back from L1, so the data directory never holds a block L1 does not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from eth_hash.auto import keccak

from ordo.batcher.batch_codec import compress_blocks
from ordo.batcher.batch_header import BatchHeader, DataKind
from ordo.core.batch_blocks import BatchBlock
from ordo.core.block_extra import decode_anchored_extra
from ordo.core.forced_item import ForcedItem
from ordo.core.genesis import Genesis
from ordo.core.l1_fee import NO_PRICES, l1_prices_of_block
from ordo.core.output_root import OutputRoot
from ordo.derivation.block_replay import PendingAncestry, PendingState
from ordo.derivation.fallback_rules import FallbackOrigin, fallback_block_fields
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.output_roots import output_root_at
from ordo.faultproof.batch_inputs import inputs_root
from ordo.l1.chain_records import L1Receipt
from ordo.l1.client import L1Client
from ordo.l1.contract_transactions import wait_for_success
from ordo.l1.forced_queue_reader import ForcedQueueReader
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import inbox_at
from ordo.settlement.l2_readers import StoreL2Reader

RECEIPT_TIMEOUT = 120.0


class FallbackRefused(RuntimeError):
    """A fallback batch cannot be posted now; the message says why."""


@dataclass(frozen=True)
class FallbackBlock:
    """The block L1 determines on the derived head, with what its batch header commits to."""

    fields: BatchBlock
    block_hash: bytes
    output: OutputRoot
    forced_through: int
    transactions: int


@dataclass(frozen=True)
class PostedFallback:
    receipt: L1Receipt
    header: BatchHeader
    block: FallbackBlock
    bond: int


def build_fallback_block(reader: StoreL2Reader, genesis: Genesis, origin: FallbackOrigin,
                         queue_items: tuple[ForcedItem, ...]) -> FallbackBlock:
    """The fallback block on the derived head naming ``origin``; ``queue_items`` is every
    forced item enqueued up to ``origin`` (the head's forced_through of them are in already).
    Pure but for reading the derived state."""
    chain = reader.chain
    parent = chain.head_header()
    fields = decode_anchored_extra(bytes(parent.extra_data))
    if fields is None:
        raise FallbackRefused("the derived head names no L1 origin: this network is not "
                              "anchored to an L1")
    if origin.number < fields.origin_number:
        raise FallbackRefused(f"L1 origin {origin.number} goes back from the head's "
                              f"{fields.origin_number}")
    taken = queue_items[fields.forced_through:]
    block = fallback_block_fields(int(parent.block_number), int(parent.timestamp),
                                  int(parent.gas_limit), origin, len(queue_items))
    state = PendingState(reader.store.state_reader())
    engine = PyEvmEngine(genesis, state, PendingAncestry(chain.ancestor_hashes))
    env = BlockEnvironment(coinbase=block.coinbase, timestamp=block.timestamp,
                           gas_limit=block.gas_limit, extra_data=block.extra_data,
                           prev_randao=block.mix_hash, forced=taken,
                           l1_prices=origin.prices)
    result = engine.build_block(parent, [], env)
    state.writes.update(result.state_writes)
    header = result.executed.block.header
    transactions = tuple(bytes(tx.encode()) for tx in result.executed.block.transactions)
    posted = BatchBlock(number=block.number, timestamp=block.timestamp,
                        coinbase=block.coinbase, gas_limit=block.gas_limit,
                        extra_data=block.extra_data, mix_hash=block.mix_hash,
                        transactions=transactions, l1_fee_word=block.l1_fee_word)
    return FallbackBlock(posted, bytes(header.hash), output_root_at(engine, header),
                         len(queue_items), len(transactions))


async def post_fallback_batch(l1: L1Client, account: LocalAccount, reader: StoreL2Reader,
                              genesis: Genesis, inbox_address: bytes, queue_address: bytes,
                              confirmations: int) -> PostedFallback:
    """Build and post the next fallback batch (one block, naming the L1 block
    ``confirmations`` deep as its origin)."""
    inbox = inbox_at(l1, inbox_address)
    head = await l1.get_block("latest")
    if head is None:
        raise FallbackRefused(f"L1 {l1.url} has no latest block")
    opens = int(await inbox.call("fallback_opens_at"))
    if head.timestamp < opens:
        raise FallbackRefused(f"the sequencers are not silent: fallback batches open at L1 "
                              f"time {opens}, in {opens - head.timestamp} s")
    index, last_block = int(await inbox.call("next_index")), int(await inbox.call("last_block"))
    if reader.chain.head_number() != last_block:
        raise FallbackRefused(f"the derived chain ends at block {reader.chain.head_number()}, "
                              f"the inbox's at {last_block}: derive again")
    origin_block = await l1.get_block(max(head.number - confirmations, 0))
    if origin_block is None:
        raise FallbackRefused(f"L1 {l1.url} has no block {head.number - confirmations}")
    prices = NO_PRICES if genesis.l1_fee is None else \
        l1_prices_of_block(origin_block.base_fee_per_gas, origin_block.excess_blob_gas)
    origin = FallbackOrigin(origin_block.number, origin_block.hash, origin_block.timestamp,
                            prices)
    items = await ForcedQueueReader(l1, queue_address).items_through(origin.number)
    block = await asyncio.to_thread(build_fallback_block, reader, genesis, origin, tuple(items))
    payload = compress_blocks([block.fields])
    header = BatchHeader(index=index, first_block=block.fields.number,
                         last_block=block.fields.number, last_block_hash=block.block_hash,
                         output_root=block.output.root, inputs_root=inputs_root([block.fields]),
                         data_kind=DataKind.CALLDATA,
                         data_hash=keccak(payload), epoch=int(await inbox.call("last_epoch")),
                         producers=(), forced_through=block.forced_through)
    bond = int(await inbox.call("fallback_bond"))
    sent = await inbox.transact(account, "submit_fallback_batch", header.as_abi_tuple(), payload,
                                value=bond)
    receipt = await wait_for_success(inbox, account, "submit_fallback_batch", sent.tx_hash,
                                     timeout=RECEIPT_TIMEOUT)
    return PostedFallback(receipt, header, block, bond)
