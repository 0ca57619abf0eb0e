"""Derivation reading a real ForcedInclusionQueue on anvil: items enqueued on L1 (an undecodable
forced transaction, a deposit) are read with the node's reader and taken by the blocks that
named a later origin; a batch whose blocks ignore them is refused; a queue the inbox does not use
is named before any batch is read."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from eth_utils import to_checksum_address

from ordo.core.block_codec import encode_block
from ordo.core.forced_item import ForcedDeposit, ForcedItem, ForcedTransaction
from ordo.core.genesis import Genesis, GenesisL1, devnet_genesis
from ordo.derivation.derivation_run import DerivationOptions, run_derivation
from ordo.storage.chain_store import ChainStore
from tests.derivation.command_runs import l1_url
from tests.derivation.l2_chain_maker import L1OriginRef, L2ChainMaker, batch_block_of
from tests.derivation.rollup_posting import BatchEnd, post_calldata_batch
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID
from tests.l1_inbox.rollup_setup import FORCED_FEE, RollupSetup, send_paying

UNDECODABLE = b"\x02forced"
RECIPIENT = b"\xcd" * 20
DEPOSITED = 5 * 10**15


def anchored_genesis(rollup: RollupSetup, origin: L1OriginRef, queue: bytes) -> Genesis:
    return devnet_genesis(timestamp=1_700_000_000, l1=GenesisL1(
        chain_id=ANVIL_CHAIN_ID, locking_pool=bytes.fromhex(rollup.pools.pool.address[2:]),
        origin_number=origin.number, origin_hash=origin.hash, forced_queue=queue))


def queue_address(rollup: RollupSetup) -> bytes:
    return bytes.fromhex(rollup.queue.address[2:])


def l1_origin(rollup: RollupSetup, number: int) -> L1OriginRef:
    return L1OriginRef(number, bytes(rollup.chain.w3.eth.get_block(number)["hash"]))


def enqueue_two(rollup: RollupSetup) -> list[ForcedItem]:
    """An undecodable forced transaction and a deposit, in two L1 blocks."""
    first = rollup.enqueue(UNDECODABLE)["blockNumber"]
    call = rollup.queue.functions.deposit(to_checksum_address(RECIPIENT))
    second = send_paying(rollup.chain, call, rollup.chain.accounts[7],
                         DEPOSITED + FORCED_FEE)["blockNumber"]
    return [ForcedTransaction(0, UNDECODABLE, first), ForcedDeposit(1, RECIPIENT, DEPOSITED,
                                                                     second)]


def make_chain(rollup: RollupSetup, tmp_path: Path, origins: Sequence[L1OriginRef],
               queue: Sequence[ForcedItem]) -> L2ChainMaker:
    genesis = anchored_genesis(rollup, origins[0], queue_address(rollup))
    maker = L2ChainMaker(tmp_path / "source", genesis, [key.address for key in rollup.keys])
    for origin in origins:
        signers = maker.signers
        maker.build([signers.sign(1, signers.address(2), value=1)], origin, queue)
    return maker


def derive(rollup: RollupSetup, maker: L2ChainMaker, data_dir: Path) -> dict[str, object]:
    options = DerivationOptions(l1_rpc=l1_url(rollup), inbox=rollup.inbox_address,
                                genesis=maker.genesis, data_dir=data_dir)
    return asyncio.run(run_derivation(options)).to_json()


def test_items_read_from_the_queue_are_taken_by_their_blocks(rollup: RollupSetup,
                                                             tmp_path: Path) -> None:
    start = rollup.chain.w3.eth.block_number
    items = enqueue_two(rollup)
    rollup.mine(2)
    origins = [l1_origin(rollup, number) for number in
               (start, items[0].enqueued_block, items[1].enqueued_block,
                items[1].enqueued_block + 1)]
    maker = make_chain(rollup, tmp_path, origins, items)
    try:
        posted = [batch_block_of(block) for block in maker.blocks]
        last = maker.blocks[-1]
        end = BatchEnd(last.hash, maker.output_root(len(maker.blocks)))
        post_calldata_batch(rollup, 0, posted, end)
        summary = derive(rollup, maker, tmp_path / "derived")
        assert summary["ok"], summary
        assert summary["blocks"] == len(maker.blocks)
        with ChainStore(tmp_path / "derived") as store:
            for block in maker.blocks:
                stored = store.get_block_by_number(block.number)
                assert stored is not None and encode_block(stored) == encode_block(block)
        head = maker.chain.head_header()
        assert maker.chain.engine.get_balance(head, RECIPIENT) == DEPOSITED
    finally:
        maker.close()


def test_a_batch_ignoring_an_enqueued_item_is_refused(rollup: RollupSetup,
                                                      tmp_path: Path) -> None:
    start = rollup.chain.w3.eth.block_number
    enqueued = rollup.enqueue(UNDECODABLE)["blockNumber"]
    rollup.mine(1)
    origins = [l1_origin(rollup, number) for number in (start, enqueued, enqueued + 1)]
    maker = make_chain(rollup, tmp_path, origins, ())  # a producer that ignores the queue
    try:
        posted = [batch_block_of(block) for block in maker.blocks]
        last = maker.blocks[-1]
        end = BatchEnd(last.hash, maker.output_root(len(maker.blocks)))
        post_calldata_batch(rollup, 0, posted, end)
        summary = derive(rollup, maker, tmp_path / "derived")
        assert summary["invalid_batch"] is not None, summary
        assert summary["invalid_batch"]["message"] == (  # type: ignore[index]
            f"batch 0, block 2: claims forced-queue items up to 0, but 1 were enqueued up to "
            f"its L1 origin {enqueued}")
        assert summary["head"]["number"] == 0  # type: ignore[index]
    finally:
        maker.close()


def test_a_queue_the_inbox_does_not_use_is_named(rollup: RollupSetup, tmp_path: Path) -> None:
    head = l1_origin(rollup, rollup.chain.w3.eth.block_number)
    genesis = anchored_genesis(rollup, head, b"\x0e" * 20)
    options = DerivationOptions(l1_rpc=l1_url(rollup), inbox=rollup.inbox_address,
                                genesis=genesis, data_dir=tmp_path / "derived")
    summary = asyncio.run(run_derivation(options))
    assert summary.error == (f"inbox 0x{rollup.inbox_address.hex()} takes forced items from "
                             f"queue 0x{queue_address(rollup).hex()}, not 0x{'0e' * 20}")
