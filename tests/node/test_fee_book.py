"""The node's running tally of fees per sequencer (ordo.node.fee_book): epochs roll over, a gap
forgets the stale epoch, tips follow the receipts."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from eth_account import Account
from eth_hash.auto import keccak

from ordo.core.genesis import ConsensusRules, GenesisL1, devnet_genesis
from ordo.core.l1_fee import L1FeeRules, L1Prices
from ordo.core.transaction import decode_transaction
from ordo.execution.block_run import EIP658_TRANSACTION_STATUS_CODE_SUCCESS
from ordo.mempool.config import ChainRules
from ordo.mempool.pool import Mempool
from ordo.node.fee_book import FeeBook, block_tips
from ordo.node.node import Node
from tests.derivation.l2_chain_maker import L1OriginRef, made_traffic

A, B = b"\xaa" * 20, b"\xbb" * 20
GWEI = 10**9
BUILDERS = [b"\xb1" * 20, b"\xb2" * 20]
FEE_GENESIS = devnet_genesis(timestamp=1_700_000_000, l1_fee=L1FeeRules(), l1=GenesisL1(
    chain_id=31337, locking_pool=b"\x01" * 20, origin_number=3, origin_hash=keccak(b"l1 3")))


def test_epochs_roll_over_and_a_gap_forgets() -> None:
    book = FeeBook(epoch_length=4)
    for number, builder in ((1, A), (2, B), (3, A)):
        book.record(number, builder + bytes(12), tips=10 * number, vault_income=100)
    assert book.status()["current"] == {
        "epoch": 0, "since": 1, "vaultIncome": "300",
        "sequencers": [{"address": "0x" + A.hex(), "blocksProduced": 2, "l2FeesEarned": "40"},
                       {"address": "0x" + B.hex(), "blocksProduced": 1, "l2FeesEarned": "20"}]}
    # Consensus's epochs (get_epoch): epoch 0 is heights 1..4, so block 4 still counts in it.
    book.record(4, B, tips=0, vault_income=7)
    assert book.status()["current"]["epoch"] == 0
    assert book.status()["current"]["vaultIncome"] == "307"
    book.record(5, B, tips=0, vault_income=9)
    status = book.status()
    assert status["previous"]["epoch"] == 0 and status["current"]["epoch"] == 1
    assert status["current"]["vaultIncome"] == "9" and status["current"]["since"] == 5
    book.record(13, A, tips=0, vault_income=0)  # epoch 2 missed: nothing stale is kept
    assert book.status()["previous"] is None and book.status()["current"]["since"] == 13


def test_tips_follow_the_receipts_gas() -> None:
    fields = {"type": 2, "chainId": 1, "nonce": 0, "gas": 50_000, "to": "0x" + "11" * 20,
              "value": 0, "maxFeePerGas": 5 * GWEI, "maxPriorityFeePerGas": 2 * GWEI}
    key = b"\x01" * 32
    txs = [decode_transaction(bytes(Account.sign_transaction({**fields, "nonce": n},
                                                             key).raw_transaction)).tx
           for n in (0, 1)]
    receipts = [tx.make_receipt(EIP658_TRANSACTION_STATUS_CODE_SUCCESS, cumulative, [])
                for tx, cumulative in zip(txs, (21_000, 51_000), strict=True)]
    # base fee 4 gwei: the tip is min(2, 5 - 4) = 1 gwei per gas
    assert block_tips(txs, receipts, 4 * GWEI) == 51_000 * GWEI


def test_a_restarted_node_tallies_the_stored_epochs_again(tmp_path: Path) -> None:
    """The tally is rebuilt from the stored blocks of the last and the current epoch at start:
    a restart does not reset ``economics`` to the blocks committed after it."""
    prices = {3: L1Prices(GWEI, 1), 4: L1Prices(10 * GWEI, 1), 5: L1Prices(100 * GWEI, 7)}
    genesis = dataclasses.replace(FEE_GENESIS, consensus=ConsensusRules(epoch_length=3))
    origins = [L1OriginRef(n, keccak(b"l1 %d" % n)) for n in (3, 3, 4, 4, 5, 5, 5, 5)]
    with made_traffic(tmp_path / "chain", genesis, BUILDERS, 8, origins, prices) as maker:
        live = Node(maker.chain, Mempool(ChainRules.from_genesis(genesis)), None)
        assert live.fee_book is not None
        for block in maker.blocks:
            live._record_fees(block)
        restarted = Node(maker.chain, Mempool(ChainRules.from_genesis(genesis)), None)

        async def start_and_stop() -> None:
            restarted.start()
            await restarted.stop()
        asyncio.run(start_and_stop())
        assert restarted.fee_book is not None
    tally = restarted.fee_book.status()
    assert tally == live.fee_book.status()
    assert tally["current"]["epoch"] == 2 and tally["current"]["since"] == 7
    assert tally["previous"]["epoch"] == 1 and tally["previous"]["since"] == 4
    assert int(tally["previous"]["vaultIncome"]) > 0
    assert sum(s["blocksProduced"] for s in tally["previous"]["sequencers"]) == 3
