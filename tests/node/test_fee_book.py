"""The node's running tally of fees per sequencer (ordo.node.fee_book): epochs roll over, a gap
forgets the stale epoch, tips follow the receipts."""

from __future__ import annotations

from eth_account import Account

from ordo.core.transaction import decode_transaction
from ordo.execution.block_run import EIP658_TRANSACTION_STATUS_CODE_SUCCESS
from ordo.node.fee_book import FeeBook, block_tips

A, B = b"\xaa" * 20, b"\xbb" * 20
GWEI = 10**9


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
