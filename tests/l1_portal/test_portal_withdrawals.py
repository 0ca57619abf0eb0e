"""Withdrawals end to end on the portal: deposits reach it through the forced queue; a proven
withdrawal pays its target exactly once, only after its output's challenge window and only
while that output is undisputed or defended; a failed call stays retryable; re-proving is
allowed only when the earlier output was removed, replaced or lost; and finalize gives the
call its whole gas limit or refuses to run.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from eth_hash.auto import keccak
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import RPCEndpoint, TxReceipt, Wei

from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, AnvilChain
from tests.l1_inbox.rollup_setup import send_paying

from .conftest import (
    CHALLENGE_WINDOW,
    DISPUTE_DEFENDED,
    DISPUTE_LOST,
    DISPUTE_NONE,
    DISPUTE_OPEN,
    INCLUSION_WINDOW,
    MIN_FEE,
    PortalSetup,
    call_reason,
    deploy_test_contract,
    send_with_gas,
)
from .storage_tries import StorageTrie, Withdrawal, output_root

ETHER = 10**18
_nonces = itertools.count(1)


def new_withdrawal(setup: PortalSetup, target: str, value: int, gas_limit: int = 200_000,
                   data: bytes = b"") -> Withdrawal:
    return Withdrawal(next(_nonces), setup.chain.accounts[1].address, target, value, gas_limit,
                      data)


def note_call(target: Contract, note: int) -> bytes:
    return bytes.fromhex(target.encode_abi("note", args=[note])[2:])


def land_trie(setup: PortalSetup, index: int, withdrawals: list[Withdrawal]) -> Any:
    """Land batch `index` over a storage trie holding `withdrawals` and 40 others."""
    crowd = [Withdrawal(nonce, setup.chain.accounts[2].address, setup.chain.accounts[3].address,
                        1, 1) for nonce in range(100_000 + 100 * index, 100_040 + 100 * index)]
    trie = StorageTrie.of([*withdrawals, *crowd])
    return trie, setup.land(index, trie.root)


def prove(setup: PortalSetup, withdrawal: Withdrawal, index: int, trie: StorageTrie,
          output: Any) -> TxReceipt:
    return setup.prove(withdrawal, index, output, trie.proof(withdrawal))


def events(contract: Contract, name: str, receipt: TxReceipt) -> list[dict[str, Any]]:
    event = getattr(contract.events, name)()
    return [dict(entry["args"]) for entry in event.process_receipt(receipt, errors=DISCARD)]


def paid_gas(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])


def test_deposits_through_the_queue_end_in_the_portal(chain: AnvilChain) -> None:
    owner, stranger, depositor = chain.accounts[0], chain.accounts[1], chain.accounts[5]
    queue = chain.deploy("ForcedInclusionQueue", INCLUSION_WINDOW, MIN_FEE,
                         chain.accounts[9].address, sender=owner)
    assert queue.functions.owner().call() == owner.address
    assert queue.functions.portal().call() == "0x" + "00" * 20
    # before a portal is set, deposits stay locked in the queue, as before
    for amount in (ETHER, 2 * ETHER):
        send_paying(chain, queue.functions.deposit(depositor.address), depositor,
                    amount + MIN_FEE)
    assert queue.functions.deposits_locked().call() == 3 * ETHER
    assert chain.w3.eth.get_balance(queue.address) == 3 * ETHER + 2 * MIN_FEE

    inbox = deploy_test_contract(chain, "InboxDouble", queue.address, CHALLENGE_WINDOW)
    other_queue = chain.deploy("ForcedInclusionQueue", INCLUSION_WINDOW, MIN_FEE,
                               chain.accounts[9].address, sender=owner)
    assert chain.deploy_revert_reason("WithdrawalPortal", inbox.address, other_queue.address) \
        == "WithdrawalPortal: the inbox reads another queue"
    portal = chain.deploy("WithdrawalPortal", inbox.address, queue.address, sender=owner)
    other_inbox = deploy_test_contract(chain, "InboxDouble", other_queue.address, 1)
    foreign_portal = chain.deploy("WithdrawalPortal", other_inbox.address, other_queue.address)

    set_portal = queue.functions.set_portal
    assert chain.revert_reason(set_portal(portal.address), stranger) == \
        "ForcedInclusionQueue: only the owner may set the portal"
    assert chain.revert_reason(set_portal("0x" + "00" * 20), owner) == \
        "ForcedInclusionQueue: portal is the zero address"
    assert chain.revert_reason(set_portal(foreign_portal.address), owner) == \
        "ForcedInclusionQueue: the portal serves another queue"
    receipt = chain.send(set_portal(portal.address), owner)
    assert events(queue, "PortalSet", receipt) == [
        {"portal": portal.address, "forwarded": 3 * ETHER}]
    assert chain.w3.eth.get_balance(portal.address) == 3 * ETHER
    assert portal.functions.deposits_received().call() == 3 * ETHER
    assert queue.functions.deposits_locked().call() == 0
    assert chain.w3.eth.get_balance(queue.address) == 2 * MIN_FEE
    assert chain.revert_reason(set_portal(portal.address), owner) == \
        "ForcedInclusionQueue: portal already set"

    # after it is set, each deposit's amount goes straight to the portal; the fee stays
    receipt = send_paying(chain, queue.functions.deposit(depositor.address), depositor,
                          ETHER // 2 + MIN_FEE)
    assert events(queue, "DepositEnqueued", receipt)[0]["amount"] == ETHER // 2
    assert events(portal, "DepositReceived", receipt) == [
        {"amount": ETHER // 2, "deposits_received": 3 * ETHER + ETHER // 2}]
    assert chain.w3.eth.get_balance(portal.address) == 3 * ETHER + ETHER // 2
    assert chain.w3.eth.get_balance(queue.address) == 3 * MIN_FEE
    assert queue.functions.deposits_locked().call() == 0
    assert queue.functions.fees_collected().call() == 3 * MIN_FEE
    chain.send(queue.functions.claim_fees(), stranger)
    assert chain.w3.eth.get_balance(queue.address) == 0

    # only the queue pays the portal: not an account through receive_deposit, not a plain send
    call: Any = portal.functions.receive_deposit()
    with pytest.raises(ContractLogicError, match="WithdrawalPortal: only the queue may deposit"):
        call.call({"from": stranger.address, "value": Wei(ETHER)})
    with pytest.raises(ContractLogicError):
        chain.w3.eth.call({"from": stranger.address, "to": portal.address, "value": Wei(1),
                           "chainId": ANVIL_CHAIN_ID})


def test_a_proven_withdrawal_pays_its_target_once_after_the_window(setup: PortalSetup) -> None:
    chain, portal = setup.chain, setup.portal
    setup.deposit(5 * ETHER)
    target = deploy_test_contract(chain, "WithdrawalTarget", portal.address)
    withdrawal = new_withdrawal(setup, target.address, 3 * ETHER // 2,
                                data=note_call(target, 42))
    trie, output = land_trie(setup, 1, [withdrawal])
    landed = int(setup.inbox.functions.landed_at(1).call())

    assert setup.finalize_refusal(withdrawal) == "WithdrawalPortal: withdrawal not proven"
    assert portal.functions.finalizable_at_of(withdrawal.hash).call() == 0
    receipt = prove(setup, withdrawal, 1, trie, output)
    prove_gas = int(receipt["gasUsed"])
    root = output_root(output[1], output[2], output[3], output[0])
    assert events(portal, "WithdrawalProven", receipt) == [{
        "withdrawal_hash": withdrawal.hash, "sender": withdrawal.sender,
        "target": withdrawal.target, "batch_index": 1, "output_root": root}]
    proven = portal.functions.proven_withdrawals(withdrawal.hash).call()
    assert proven[0] == 1 and proven[1] == root and proven[2] >= landed
    assert portal.functions.finalizable_at_of(withdrawal.hash).call() == \
        landed + CHALLENGE_WINDOW

    assert setup.finalize_refusal(withdrawal) == \
        "WithdrawalPortal: challenge window not over (see finalizable_at)"
    chain.increase_time(CHALLENGE_WINDOW)
    before = {who: setup.balance(who) for who in
              (portal.address, target.address, setup.relayer.address)}
    receipt = setup.finalize(withdrawal)
    finalize_gas = int(receipt["gasUsed"])
    assert setup.balance(target.address) - before[target.address] == 3 * ETHER // 2
    assert before[portal.address] - setup.balance(portal.address) == 3 * ETHER // 2
    assert before[setup.relayer.address] - setup.balance(setup.relayer.address) == \
        paid_gas(receipt)
    assert events(portal, "WithdrawalFinalized", receipt) == [{
        "withdrawal_hash": withdrawal.hash, "target": target.address,
        "value": 3 * ETHER // 2}]
    assert target.functions.calls().call() == 1
    assert target.functions.last_note().call() == 42
    assert target.functions.last_sender().call() == withdrawal.sender  # l2_sender in the call
    assert portal.functions.l2_sender().call() == "0x" + "00" * 20  # and reset after
    assert setup.finalized(withdrawal)
    assert portal.functions.withdrawals_paid().call() == 3 * ETHER // 2

    assert setup.finalize_refusal(withdrawal) == "WithdrawalPortal: withdrawal already finalized"
    assert setup.prove_refusal(withdrawal, 1, output, trie.proof(withdrawal)) == \
        "WithdrawalPortal: withdrawal already finalized"
    print(f"\nprove_withdrawal gas (41-key trie, {len(trie.proof(withdrawal))} nodes): "
          f"{prove_gas}; finalize_withdrawal gas (call with 4-byte+word data, 1.5 ETH): "
          f"{finalize_gas}")


def test_a_failed_call_stays_retryable_and_pays_once_when_it_succeeds(
        setup: PortalSetup) -> None:
    chain, portal = setup.chain, setup.portal
    setup.deposit(ETHER)
    target = deploy_test_contract(chain, "WithdrawalTarget", portal.address)
    chain.send(target.functions.set_failing(True), setup.owner)
    withdrawal = new_withdrawal(setup, target.address, ETHER // 4)
    # a second withdrawal worth more than the portal holds fails the same way, and waits
    large = new_withdrawal(setup, chain.accounts[6].address, 2 * ETHER)
    trie, output = land_trie(setup, 1, [withdrawal, large])
    prove(setup, withdrawal, 1, trie, output)
    prove(setup, large, 1, trie, output)
    chain.increase_time(CHALLENGE_WINDOW)

    for _ in range(2):
        receipt = setup.finalize(withdrawal)
        assert events(portal, "WithdrawalFailed", receipt) == [{
            "withdrawal_hash": withdrawal.hash, "target": target.address,
            "value": ETHER // 4}]
        assert events(portal, "WithdrawalFinalized", receipt) == []
        assert not setup.finalized(withdrawal)
        assert setup.balance(portal.address) == ETHER
        assert setup.balance(target.address) == 0
        assert portal.functions.l2_sender().call() == "0x" + "00" * 20
    receipt = setup.finalize(large)
    assert len(events(portal, "WithdrawalFailed", receipt)) == 1 and not setup.finalized(large)

    chain.send(target.functions.set_failing(False), setup.owner)
    setup.finalize(withdrawal)
    assert setup.finalized(withdrawal)
    assert setup.balance(target.address) == ETHER // 4
    assert setup.balance(portal.address) == 3 * ETHER // 4
    assert target.functions.calls().call() == 1
    assert setup.finalize_refusal(withdrawal) == "WithdrawalPortal: withdrawal already finalized"

    recipient_before = setup.balance(large.target)
    setup.deposit(2 * ETHER)
    setup.finalize(large)
    assert setup.finalized(large)
    assert setup.balance(large.target) - recipient_before == 2 * ETHER
    assert setup.balance(portal.address) == 3 * ETHER // 4
    assert portal.functions.withdrawals_paid().call() == 2 * ETHER + ETHER // 4
    assert portal.functions.deposits_received().call() == 3 * ETHER


def portal_calls(chain: AnvilChain, receipt: TxReceipt, portal: str) -> list[dict[str, Any]]:
    """The calls into the portal nested below the transaction's own call (callTracer)."""
    trace: Any = chain.w3.provider.make_request(
        RPCEndpoint("debug_traceTransaction"),
        [receipt["transactionHash"].to_0x_hex(), {"tracer": "callTracer"}])
    found: list[dict[str, Any]] = []

    def visit(frame: dict[str, Any], depth: int) -> None:
        if depth > 0 and frame.get("to", "").lower() == portal.lower():
            found.append(frame)
        for child in frame.get("calls", []):
            visit(child, depth + 1)

    visit(trace["result"], 0)
    return found


def test_finalize_cannot_be_reentered_from_the_call(setup: PortalSetup) -> None:
    chain, portal = setup.chain, setup.portal
    setup.deposit(ETHER)
    target = deploy_test_contract(chain, "WithdrawalTarget", portal.address)
    # the first call gets gas enough for a whole nested finalize of the second, so only the
    # reentrancy lock can stop it
    first = new_withdrawal(setup, target.address, ETHER // 10, gas_limit=1_000_000)
    second = new_withdrawal(setup, chain.accounts[6].address, ETHER // 10, gas_limit=30_000)
    trie, output = land_trie(setup, 1, [first, second])
    prove(setup, first, 1, trie, output)
    prove(setup, second, 1, trie, output)
    chain.increase_time(CHALLENGE_WINDOW)
    reentry = bytes.fromhex(portal.encode_abi("finalize_withdrawal",
                                              args=[second.as_tuple()])[2:])
    chain.send(target.functions.set_reentry(reentry), setup.owner)

    receipt = setup.finalize(first)
    assert len(events(portal, "WithdrawalFailed", receipt)) == 1
    assert not setup.finalized(first) and not setup.finalized(second)
    nested = portal_calls(chain, receipt, portal.address)
    assert len(nested) == 1 and nested[0]["error"] == "execution reverted"
    assert int(nested[0]["gasUsed"], 16) < 5_000  # refused at the lock, not out of gas
    assert setup.balance(portal.address) == ETHER

    chain.send(target.functions.set_reentry(b""), setup.owner)
    setup.finalize(first)
    receipt = setup.finalize(second)
    assert setup.finalized(first) and setup.finalized(second)
    print(f"\nfinalize_withdrawal gas, plain ETH to an account: {receipt['gasUsed']}")
    assert setup.balance(portal.address) == ETHER - 2 * (ETHER // 10)


def test_proving_is_refused_against_missing_mismatched_or_disputed_outputs(
        setup: PortalSetup) -> None:
    chain, inbox = setup.chain, setup.inbox
    withdrawal = new_withdrawal(setup, chain.accounts[6].address, 1)
    trie, output = land_trie(setup, 1, [withdrawal])
    proof = trie.proof(withdrawal)

    assert setup.prove_refusal(withdrawal, 99, output, proof) == \
        "WithdrawalPortal: no output root for that batch"
    wrong = (output[0], output[1], output[2], b"\x00" * 32)
    assert setup.prove_refusal(withdrawal, 1, wrong, proof) == \
        "WithdrawalPortal: output root proof does not match the batch's root"
    version_one = (b"\x00" * 31 + b"\x01", *output[1:])
    chain.send(inbox.functions.land(2, keccak(b"".join(version_one))), setup.owner)
    assert setup.prove_refusal(withdrawal, 2, version_one, proof) == \
        "WithdrawalPortal: unsupported output root version"
    at_portal = Withdrawal(withdrawal.nonce, withdrawal.sender, setup.portal.address, 1, 1)
    assert setup.prove_refusal(at_portal, 1, output, proof) == \
        "WithdrawalPortal: a withdrawal may not call the portal"

    for status, reason in ((DISPUTE_OPEN, "WithdrawalPortal: output is disputed"),
                           (DISPUTE_LOST, "WithdrawalPortal: output was disproved"),
                           (7, "WithdrawalPortal: unknown dispute status")):
        setup.set_status(1, status)
        assert setup.prove_refusal(withdrawal, 1, output, proof) == reason
    setup.set_status(1, DISPUTE_DEFENDED)
    setup.prove(withdrawal, 1, output, proof)
    assert setup.portal.functions.proven_withdrawals(withdrawal.hash).call()[0] == 1


def test_a_withdrawal_is_proved_again_only_when_its_output_is_removed_replaced_or_lost(
        setup: PortalSetup) -> None:
    chain, inbox, portal = setup.chain, setup.inbox, setup.portal
    setup.deposit(ETHER)
    withdrawal = new_withdrawal(setup, chain.accounts[6].address, ETHER // 2)
    trie = StorageTrie.of([withdrawal])
    outputs = {index: setup.land(index, trie.root) for index in (1, 2)}
    proof = trie.proof(withdrawal)
    setup.prove(withdrawal, 1, outputs[1], proof)
    assert setup.prove_refusal(withdrawal, 2, outputs[2], proof) == \
        "WithdrawalPortal: withdrawal already proven against a live output"
    chain.increase_time(CHALLENGE_WINDOW)

    chain.send(inbox.functions.remove(1), setup.owner)  # removed
    assert setup.finalize_refusal(withdrawal) == \
        "WithdrawalPortal: output was removed; prove the withdrawal again"
    assert portal.functions.finalizable_at_of(withdrawal.hash).call() == 0
    setup.prove(withdrawal, 2, outputs[2], proof)
    assert portal.functions.proven_withdrawals(withdrawal.hash).call()[0] == 2

    setup.set_status(2, DISPUTE_LOST)  # lost
    assert setup.finalize_refusal(withdrawal) == "WithdrawalPortal: output was disproved"
    outputs[3] = setup.land(3, trie.root)
    setup.prove(withdrawal, 3, outputs[3], proof)

    other = StorageTrie.of([withdrawal, new_withdrawal(setup, withdrawal.target, 1)])
    replaced = setup.land(3, other.root)  # replaced at the same index by another root
    assert setup.finalize_refusal(withdrawal) == \
        "WithdrawalPortal: output was removed; prove the withdrawal again"
    setup.prove(withdrawal, 3, replaced, other.proof(withdrawal))
    assert setup.finalize_refusal(withdrawal) == \
        "WithdrawalPortal: challenge window not over (see finalizable_at)"
    chain.increase_time(CHALLENGE_WINDOW)
    before = setup.balance(withdrawal.target)
    setup.finalize(withdrawal)
    assert setup.balance(withdrawal.target) - before == ETHER // 2
    assert setup.finalize_refusal(withdrawal) == "WithdrawalPortal: withdrawal already finalized"


def test_finalize_follows_the_dispute_status_and_the_inbox_verdict(setup: PortalSetup) -> None:
    chain, inbox = setup.chain, setup.inbox
    setup.deposit(ETHER)
    withdrawal = new_withdrawal(setup, chain.accounts[6].address, ETHER // 3)
    trie, output = land_trie(setup, 1, [withdrawal])
    prove(setup, withdrawal, 1, trie, output)
    chain.increase_time(CHALLENGE_WINDOW)

    setup.set_status(1, DISPUTE_OPEN)  # a dispute opened after the proof
    assert setup.finalize_refusal(withdrawal) == "WithdrawalPortal: output is disputed"
    setup.set_status(1, DISPUTE_LOST)
    assert setup.finalize_refusal(withdrawal) == "WithdrawalPortal: output was disproved"
    setup.set_status(1, DISPUTE_DEFENDED)
    chain.send(inbox.functions.veto(1, True), setup.owner)
    assert setup.finalize_refusal(withdrawal) == \
        "WithdrawalPortal: the inbox does not hold the output final"
    chain.send(inbox.functions.veto(1, False), setup.owner)
    setup.set_status(1, DISPUTE_NONE)
    before = setup.balance(withdrawal.target)
    setup.finalize(withdrawal)
    assert setup.balance(withdrawal.target) - before == ETHER // 3


def test_finalize_gives_the_call_its_whole_gas_limit_or_refuses(setup: PortalSetup) -> None:
    """A relayer cannot make a withdrawal fail by sending too little gas: below the limit the
    portal checks, finalize reverts (nothing changes); at it, the target starts with its whole
    gas_limit (not the 63/64 the EVM would otherwise cap a call at)."""
    chain, portal = setup.chain, setup.portal
    target = deploy_test_contract(chain, "WithdrawalTarget", portal.address)
    gas_limit = 300_000
    withdrawal = new_withdrawal(setup, target.address, 0, gas_limit, note_call(target, 7))
    trie, output = land_trie(setup, 1, [withdrawal])
    prove(setup, withdrawal, 1, trie, output)
    chain.increase_time(CHALLENGE_WINDOW)

    call = setup.finalize_call(withdrawal)
    estimate = int(call.estimate_gas({"from": setup.relayer.address}))
    short = estimate - 10_000
    assert call_reason(chain, call, setup.relayer, short) == \
        "WithdrawalPortal: not enough gas to give the call its gas limit"
    receipt = send_with_gas(chain, call, setup.relayer, short)
    assert receipt["status"] == 0 and not setup.finalized(withdrawal)
    assert target.functions.calls().call() == 0

    receipt = send_with_gas(chain, call, setup.relayer, estimate)
    assert receipt["status"] == 1 and setup.finalized(withdrawal)
    started_with = int(target.functions.gas_at_entry().call())
    assert gas_limit - 500 <= started_with <= gas_limit
    assert gas_limit - started_with < gas_limit // 64
    print(f"\nfinalize_withdrawal: lowest gas that passes the check {estimate} for gas_limit "
          f"{gas_limit} (gas used {receipt['gasUsed']}); the target started with "
          f"{started_with}")
