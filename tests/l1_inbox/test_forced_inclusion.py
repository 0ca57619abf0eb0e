"""ForcedInclusionQueue items, fees and deposits, and the inbox's refusal of batches that let a
forced item's deadline pass."""

from __future__ import annotations

from eth_hash.auto import keccak
from web3.logs import DISCARD

from tests.l1_inbox.rollup_setup import FORCED_FEE, INCLUSION_WINDOW, RollupSetup, send_paying


def test_enqueue_records_the_item_and_its_deadline(rollup: RollupSetup) -> None:
    queue = rollup.queue.functions
    raw = b"\x02" + b"\x33" * 120
    receipt = rollup.enqueue(raw)
    (event,) = [dict(entry["args"]) for entry in
                rollup.queue.events.TransactionEnqueued().process_receipt(receipt, errors=DISCARD)]
    block = receipt["blockNumber"]
    assert event == {"index": 0, "sender": rollup.chain.accounts[8].address,
                     "transaction_hash": keccak(raw), "raw_transaction": raw, "fee": FORCED_FEE,
                     "deadline": block + INCLUSION_WINDOW}
    assert queue.length().call() == 1
    assert queue.deadline_of(0).call() == block + INCLUSION_WINDOW
    kind, sender, tx_hash, _recipient, amount, enqueued, deadline = queue.items(0).call()
    assert (kind, sender, tx_hash, amount, enqueued, deadline) == \
        (0, rollup.chain.accounts[8].address, keccak(raw), 0, block, block + INCLUSION_WINDOW)
    assert queue.fees_collected().call() == FORCED_FEE
    assert rollup.chain.revert_reason(queue.deadline_of(1), rollup.poster) == \
        "ForcedInclusionQueue: no item at that index"


def test_deposit_locks_value_minus_fee_for_the_recipient(rollup: RollupSetup) -> None:
    queue = rollup.queue.functions
    depositor, recipient = rollup.chain.accounts[5], rollup.chain.accounts[6]
    receipt = send_paying(rollup.chain, queue.deposit(recipient.address), depositor,
                          FORCED_FEE + 10**18)
    (event,) = [dict(entry["args"]) for entry in
                rollup.queue.events.DepositEnqueued().process_receipt(receipt, errors=DISCARD)]
    assert (event["index"], event["recipient"], event["amount"], event["fee"]) == \
        (0, recipient.address, 10**18, FORCED_FEE)
    assert queue.items(0).call()[0] == 1  # KIND_DEPOSIT
    assert queue.deposits_locked().call() == 10**18
    assert rollup.chain.w3.eth.get_balance(rollup.queue.address) == 10**18 + FORCED_FEE

    fee_recipient = rollup.chain.accounts[9].address
    before = rollup.chain.w3.eth.get_balance(fee_recipient)
    rollup.chain.send(queue.claim_fees(), rollup.poster)
    assert rollup.chain.w3.eth.get_balance(fee_recipient) == before + FORCED_FEE
    assert rollup.chain.w3.eth.get_balance(rollup.queue.address) == 10**18
    assert rollup.chain.revert_reason(queue.claim_fees(), rollup.poster) == \
        "ForcedInclusionQueue: no fees to claim"


def test_queue_refusals(rollup: RollupSetup) -> None:
    queue = rollup.queue.functions
    sender = rollup.chain.accounts[5]

    def reason(call: object, value: int) -> str:
        try:
            call.call({"from": sender.address, "value": value})  # type: ignore[attr-defined]
        except Exception as error:  # ContractLogicError carries the reason
            return str(error.args[0]).removeprefix("execution reverted: ")
        raise AssertionError("the call did not revert")

    assert reason(queue.enqueue_transaction(b"\x02tx"), FORCED_FEE - 1) == \
        "ForcedInclusionQueue: fee below minimum"
    assert reason(queue.enqueue_transaction(b""), FORCED_FEE) == \
        "ForcedInclusionQueue: empty transaction"
    assert reason(queue.deposit(sender.address), FORCED_FEE) == \
        "ForcedInclusionQueue: deposit does not exceed the fee"
    assert reason(queue.deposit("0x" + "00" * 20), FORCED_FEE + 1) == \
        "ForcedInclusionQueue: recipient is the zero address"
    assert rollup.chain.deploy_revert_reason("ForcedInclusionQueue", 0, 1, sender.address) == \
        "ForcedInclusionQueue: inclusion window must be positive"


def test_a_batch_must_include_an_overdue_forced_item(rollup: RollupSetup) -> None:
    rollup.enqueue()
    deadline = rollup.queue.functions.deadline_of(0).call()
    # before the deadline a batch may still leave the item out
    rollup.submit(rollup.header(0, 1, 1))
    # eth_call runs in the head block's context: make the head the first block past it
    rollup.mine(deadline + 1 - rollup.chain.w3.eth.block_number)
    assert rollup.refusal(rollup.header(1, 2, 2)) == "RollupInbox: forced item 0 overdue"
    assert rollup.refusal(rollup.header(1, 2, 2, forced_through=2)) == \
        "RollupInbox: forced_through beyond the queue"
    rollup.enqueue()  # item 1 is fresh: including item 0 alone is enough
    receipt = rollup.submit(rollup.header(1, 2, 2, forced_through=1))
    assert rollup.accepted(receipt)[0]["forced_through"] == 1
    assert rollup.inbox.functions.forced_through().call() == 1
    assert rollup.refusal(rollup.header(2, 3, 3, forced_through=0)) == \
        "RollupInbox: forced_through goes backwards"
    rollup.mine(INCLUSION_WINDOW + 1)
    assert rollup.refusal(rollup.header(2, 3, 3, forced_through=1)) == \
        "RollupInbox: forced item 1 overdue"
    rollup.submit(rollup.header(2, 3, 3, forced_through=2))


def test_a_batch_landing_in_the_deadline_block_may_still_leave_the_item_out(
        rollup: RollupSetup) -> None:
    rollup.enqueue()
    deadline = rollup.queue.functions.deadline_of(0).call()
    rollup.mine(deadline - 1 - rollup.chain.w3.eth.block_number)
    receipt = rollup.submit(rollup.header(0, 1, 1))
    assert receipt["blockNumber"] == deadline
    assert rollup.inbox.functions.forced_through().call() == 0
