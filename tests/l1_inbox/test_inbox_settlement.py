"""RollupInbox settlement: output roots and landing times per batch, the challenge window, the
dispute hook, and the exit delay the pool must keep above window + longest dispute."""

from __future__ import annotations

from pathlib import Path

import vyper
from web3.contract import Contract

from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_contracts.pool_deployment import EXIT_DELAY, PoolParameters, deploy_pool
from tests.l1_inbox.rollup_setup import (
    CHALLENGE_WINDOW,
    MAX_DISPUTE_DURATION,
    ZERO_ADDRESS,
    RollupSetup,
    deploy_rollup_setup,
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
    assert [inbox.is_output_final(index).call() for index in range(4)] == \
        [False, False, True, True]
    chain.send(double.functions.set_status(3, 9), chain.accounts[0])
    assert chain.revert_reason(inbox.is_output_final(3), rollup.poster) == \
        "RollupInbox: dispute game answered an unknown status"


def test_a_pool_exiting_sooner_than_window_plus_dispute_is_refused(chain: AnvilChain) -> None:
    quick = deploy_pool(chain, PoolParameters(exit_delay=CHALLENGE_WINDOW + MAX_DISPUTE_DURATION))
    queue = deploy_rollup_setup(chain).queue
    reason = chain.deploy_revert_reason(
        "RollupInbox", quick.pool.address, queue.address, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION,
        ZERO_ADDRESS)
    assert reason == (f"RollupInbox: pool exit delay {CHALLENGE_WINDOW + MAX_DISPUTE_DURATION} "
                      f"s does not exceed challenge window + longest dispute "
                      f"({CHALLENGE_WINDOW + MAX_DISPUTE_DURATION} s)")
    assert EXIT_DELAY > CHALLENGE_WINDOW + MAX_DISPUTE_DURATION
    assert chain.deploy_revert_reason(
        "RollupInbox", quick.pool.address, queue.address, 0, 0, ZERO_ADDRESS) == \
        "RollupInbox: challenge window must be positive"
