"""RollupInbox settlement: output roots and landing times per batch, the challenge window, the
dispute hook, and the exit delay the pool must keep above window + longest dispute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vyper
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from ordo.batcher.batch_header import BatchHeader
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_contracts.pool_deployment import EXIT_DELAY, PoolParameters, deploy_pool
from tests.l1_inbox.rollup_setup import (
    CHALLENGE_WINDOW,
    FALLBACK_BOND,
    MAX_DISPUTE_DURATION,
    PAYLOAD,
    SEQUENCER_TIMEOUT,
    ZERO_ADDRESS,
    RollupSetup,
    deploy_rollup_setup,
    send_paying,
)

DOUBLE_SOURCE = Path(__file__).with_name("DisputeDouble.vy")
NONE, OPEN, LOST, DEFENDED = 0, 1, 2, 3


def deploy_double(chain: AnvilChain) -> Contract:
    out = vyper.compile_code(DOUBLE_SOURCE.read_text(), output_formats=["abi", "bytecode"])
    return chain.deploy_code(out["abi"], bytes.fromhex(out["bytecode"][2:]))


def test_a_landed_batch_records_its_output_root_and_time(rollup: RollupSetup) -> None:
    inbox = rollup.inbox.functions
    assert inbox.output_roots(0).call() == bytes(32)
    assert rollup.chain.revert_reason(inbox.finalizable_at(0), rollup.poster) == \
        "RollupInbox: batch has not landed"
    assert inbox.is_output_final(0).call() is False
    header = rollup.header(0, 1, 3, output_root=b"\x0b" * 32)
    receipt = rollup.submit(header)
    landed = int(rollup.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    assert inbox.output_roots(0).call() == b"\x0b" * 32
    assert inbox.landed_at(0).call() == landed
    assert inbox.finalizable_at(0).call() == landed + CHALLENGE_WINDOW
    assert inbox.dispute_status(0).call() == NONE
    assert inbox.is_output_final(0).call() is False, "inside the window"
    rollup.chain.increase_time(CHALLENGE_WINDOW + 1)
    assert inbox.is_output_final(0).call() is True


def test_a_zero_output_root_is_refused(rollup: RollupSetup) -> None:
    assert rollup.refusal(rollup.header(0, 1, 1, output_root=bytes(32))) == \
        "RollupInbox: output root is zero"


def test_a_zero_inputs_root_is_refused_signed_or_fallback(rollup: RollupSetup) -> None:
    """The game reads a block's inputs only through the signed root: a batch without one
    could not be disputed, so neither a quorum nor a bond can land it."""
    assert rollup.refusal(rollup.header(0, 1, 1, inputs_root=bytes(32))) == \
        "RollupInbox: inputs root is zero"
    rollup.submit(rollup.header(0, 1, 1))
    rollup.chain.increase_time(SEQUENCER_TIMEOUT)
    assert fallback_refusal(rollup, rollup.header(1, 2, 2, producers=(),
                                                  inputs_root=bytes(32))) == \
        "RollupInbox: inputs root is zero"
    assert rollup.inbox.functions.next_index().call() == 1


def test_the_dispute_hook_decides_finality_after_the_window(chain: AnvilChain) -> None:
    double = deploy_double(chain)
    rollup = deploy_rollup_setup(chain, disputes=double.address)
    inbox = rollup.inbox.functions
    for index in range(4):
        rollup.submit(rollup.header(index, index + 1, index + 1))
    for index, status in enumerate((OPEN, LOST, DEFENDED)):
        chain.send(double.functions.set_status(index, status), chain.accounts[0])
    chain.increase_time(CHALLENGE_WINDOW + 1)
    assert [inbox.dispute_status(index).call() for index in range(4)] == \
        [OPEN, LOST, DEFENDED, NONE]
    # ordered finality: batch 0's open dispute holds every later batch back
    assert [inbox.is_output_final(index).call() for index in range(4)] == \
        [False, False, False, False]
    for index, status in enumerate((DEFENDED, NONE)):
        chain.send(double.functions.set_status(index, status), chain.accounts[0])
    assert [inbox.is_output_final(index).call() for index in range(4)] == [True] * 4
    chain.send(double.functions.set_status(3, 9), chain.accounts[0])
    assert chain.revert_reason(inbox.is_output_final(3), rollup.poster) == \
        "RollupInbox: dispute game answered an unknown status"


def test_a_pool_exiting_sooner_than_window_plus_dispute_is_refused(chain: AnvilChain) -> None:
    quick = deploy_pool(chain, PoolParameters(exit_delay=CHALLENGE_WINDOW + MAX_DISPUTE_DURATION))
    queue = deploy_rollup_setup(chain).queue
    reason = chain.deploy_revert_reason(
        "RollupInbox", quick.pool.address, queue.address, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION,
        ZERO_ADDRESS, SEQUENCER_TIMEOUT, FALLBACK_BOND)
    assert reason == (f"RollupInbox: pool exit delay {CHALLENGE_WINDOW + MAX_DISPUTE_DURATION} "
                      f"s does not exceed challenge window + longest dispute "
                      f"({CHALLENGE_WINDOW + MAX_DISPUTE_DURATION} s)")
    assert EXIT_DELAY > CHALLENGE_WINDOW + MAX_DISPUTE_DURATION
    assert chain.deploy_revert_reason(
        "RollupInbox", quick.pool.address, queue.address, 0, 0, ZERO_ADDRESS, 1, 0) == \
        "RollupInbox: challenge window must be positive"


def fallback_call(rollup: RollupSetup, header: BatchHeader) -> Any:
    return rollup.inbox.functions.submit_fallback_batch(header.as_abi_tuple(), PAYLOAD)


def fallback_refusal(rollup: RollupSetup, header: BatchHeader, value: int = FALLBACK_BOND) -> str:
    try:
        fallback_call(rollup, header).call({"from": rollup.poster.address, "value": value})
    except ContractLogicError as error:
        return str(error.message or error).removeprefix("execution reverted: ")
    raise AssertionError("the fallback batch was accepted")


def test_a_fallback_batch_needs_silent_sequencers_a_bond_and_no_producers(
        rollup: RollupSetup) -> None:
    inbox = rollup.inbox.functions
    rollup.submit(rollup.header(0, 1, 4))
    opens = inbox.fallback_opens_at().call()
    assert opens == inbox.landed_at(0).call() + SEQUENCER_TIMEOUT
    unsigned = rollup.header(1, 5, 6, producers=())
    assert fallback_refusal(rollup, unsigned) == (
        f"RollupInbox: the sequencers are not silent; fallback batches open at L1 time {opens}")
    rollup.chain.increase_time(SEQUENCER_TIMEOUT)
    assert fallback_refusal(rollup, unsigned, FALLBACK_BOND - 1) == (
        f"RollupInbox: a fallback batch is bonded with exactly {FALLBACK_BOND} wei")
    assert fallback_refusal(rollup, rollup.header(1, 5, 6)) == \
        "RollupInbox: a fallback batch credits no producer"
    assert fallback_refusal(rollup, rollup.header(1, 6, 6, producers=())) == \
        "RollupInbox: first_block does not follow the previous batch"
    assert fallback_refusal(rollup, rollup.header(2, 5, 6, producers=())) == \
        "RollupInbox: batch index 2 is not the next (1)"
    assert fallback_refusal(rollup, rollup.header(1, 5, 6, producers=(),
                                                  epoch=rollup.epoch + 1)) == \
        "RollupInbox: a fallback batch keeps the last epoch"

    owed = [rollup.owed(index) for index in range(4)]
    receipt = send_paying(rollup.chain, fallback_call(rollup, unsigned), rollup.poster,
                          FALLBACK_BOND)
    (event,) = rollup.accepted(receipt)
    assert (event["index"], event["fallback"], event["first_block"], event["last_block"]) == \
        (1, True, 5, 6)
    assert inbox.output_roots(1).call() == unsigned.output_root
    assert [rollup.owed(index) for index in range(4)] == owed, "no producer is credited"
    assert inbox.fallback_opens_at().call() == opens, "fallback batches may follow each other"
    assert tuple(inbox.fallback_bonds(1).call()) == (rollup.poster.address, FALLBACK_BOND)
    assert rollup.chain.revert_reason(inbox.reclaim_fallback_bond(1), rollup.poster) == \
        "RollupInbox: the batch's output is not final"
    assert rollup.chain.revert_reason(inbox.reclaim_fallback_bond(0), rollup.poster) == \
        "RollupInbox: no bond to reclaim for that batch"

    # The sequencers return: their next signed batch follows the fallback one.
    rollup.submit(rollup.header(2, 7, 7))
    assert inbox.fallback_opens_at().call() == inbox.landed_at(2).call() + SEQUENCER_TIMEOUT
    rollup.chain.increase_time(CHALLENGE_WINDOW + 1)
    before = rollup.chain.w3.eth.get_balance(rollup.poster.address)
    reclaimed = rollup.chain.send(inbox.reclaim_fallback_bond(1), rollup.poster)
    paid_gas = reclaimed["gasUsed"] * reclaimed["effectiveGasPrice"]
    assert rollup.chain.w3.eth.get_balance(rollup.poster.address) == \
        before + FALLBACK_BOND - paid_gas
    assert rollup.chain.revert_reason(inbox.reclaim_fallback_bond(1), rollup.poster) == \
        "RollupInbox: no bond to reclaim for that batch"
