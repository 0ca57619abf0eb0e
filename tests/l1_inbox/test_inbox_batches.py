"""RollupInbox.submit_batch with calldata payloads: quorum, order, duplicates, rewards."""

from __future__ import annotations

from web3.types import RPCEndpoint

from ordo.batcher.batch_header import Producer, calldata_data_hash
from tests.l1_contracts.ordo_votes import validator_key
from tests.l1_inbox.rollup_setup import PAYLOAD, RollupSetup


def test_accepts_a_batch_signed_by_more_than_two_thirds(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 5)
    assert rollup.inbox.functions.header_hash(header.as_abi_tuple()).call() == \
        rollup.digest(header)
    receipt = rollup.submit(header, signers=(0, 1, 3))  # 40k + 40k + 20k of 120k
    (event,) = rollup.accepted(receipt)
    assert event["index"] == 0
    assert event["header_hash"] == rollup.digest(header)
    assert event["submitter"] == rollup.poster.address
    assert (event["first_block"], event["last_block"]) == (1, 5)
    assert event["last_block_hash"] == header.last_block_hash
    assert event["output_root"] == header.output_root
    assert event["inputs_root"] == header.inputs_root
    assert (event["data_kind"], event["data_hash"]) == (0, calldata_data_hash(PAYLOAD))
    assert (event["epoch"], event["forced_through"], event["blob_hashes"]) == \
        (rollup.epoch, 0, [])
    inbox = rollup.inbox.functions
    assert (inbox.next_index().call(), inbox.last_block().call()) == (1, 5)
    assert inbox.batch_hash(0).call() == rollup.digest(header)
    assert inbox.inputs_roots(0).call() == header.inputs_root

    follow = rollup.header(1, 6, 6)
    rollup.submit(follow)
    assert (inbox.next_index().call(), inbox.last_block().call()) == (2, 6)


def test_refuses_two_thirds_or_less_of_the_stake(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 1)
    reason = "RollupInbox: signatures carry 2/3 of the stake or less"
    assert rollup.refusal(header, rollup.signatures(header, (0, 1))) == reason  # exactly 2/3
    assert rollup.refusal(header, rollup.signatures(header, (0, 2, 3))) == reason  # exactly 2/3
    assert rollup.refusal(header, rollup.signatures(header, (2, 3))) == reason
    assert rollup.refusal(header, []) == reason
    assert rollup.inbox.functions.next_index().call() == 0


def test_refuses_a_signer_outside_the_epochs_set(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 1)
    keys = [*rollup.keys, validator_key(9)]  # all four members are enough; the outsider is not
    assert rollup.refusal(header, rollup.signatures(header, keys=keys)) == \
        "RollupInbox: signer is not in the epoch's set"


def test_refuses_a_repeated_signer_and_descending_order(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 1)
    signatures = rollup.signatures(header, (0, 1, 2))
    order_reason = "RollupInbox: signers not in strictly ascending order (repeated signer?)"
    assert rollup.refusal(header, [signatures[0], *signatures]) == order_reason
    assert rollup.refusal(header, list(reversed(signatures))) == order_reason


def test_refuses_signatures_over_another_header(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 1)
    other = rollup.header(0, 1, 1, output_root=b"\x66" * 32)
    assert rollup.refusal(header, rollup.signatures(other)) == \
        "RollupInbox: signer is not in the epoch's set"


def test_refuses_malformed_signatures(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 1)
    (good,) = rollup.signatures(header, (0,))
    assert rollup.refusal(header, [good[:64]]) == "RollupInbox: signature must be 65 bytes"
    assert rollup.refusal(header, [good[:64] + b"\x1b"]) == \
        "RollupInbox: signature parity must be 0 or 1"
    high_s = good[:32] + (2**256 - 1).to_bytes(32, "big") + good[64:]
    assert rollup.refusal(header, [high_s]) == "RollupInbox: signature s not in the low half"


def test_duplicate_is_a_no_op_and_a_conflict_is_refused(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 3)
    rollup.submit(header)
    owed = rollup.owed(0)
    again = rollup.submit(header)
    assert again["logs"] == []
    assert rollup.owed(0) == owed
    assert rollup.inbox.functions.next_index().call() == 1
    # the no-op holds even with signatures that would not count any more
    assert rollup.chain.send(rollup.submit_call(header, []), rollup.poster)["logs"] == []

    conflicting = rollup.header(0, 1, 3, output_root=b"\x77" * 32)
    assert rollup.refusal(conflicting) == \
        "RollupInbox: batch 0 already accepted with another header"


def test_refuses_a_skipped_index_and_broken_block_ranges(rollup: RollupSetup) -> None:
    assert rollup.refusal(rollup.header(2, 1, 1)) == \
        "RollupInbox: batch index 2 is not the next (0)"
    assert rollup.refusal(rollup.header(0, 2, 2)) == \
        "RollupInbox: first_block does not follow the previous batch"
    rollup.submit(rollup.header(0, 1, 4))
    assert rollup.refusal(rollup.header(1, 4, 6)) == \
        "RollupInbox: first_block does not follow the previous batch"
    assert rollup.refusal(rollup.header(3, 5, 6)) == \
        "RollupInbox: batch index 3 is not the next (1)"
    # BatchHeader refuses such headers in Python too, so build the struct by hand
    fields = list(rollup.header(1, 5, 7).as_abi_tuple())
    fields[9] = [(rollup.keys[0].address, 1), (rollup.keys[1].address, 1)]
    digest = rollup.inbox.functions.header_hash(tuple(fields)).call()
    signatures = [key.sign(digest) for key in sorted(rollup.keys, key=lambda key: key.address)]
    call = rollup.inbox.functions.submit_batch(tuple(fields), signatures, PAYLOAD)
    assert rollup.chain.revert_reason(call, rollup.poster) == \
        "RollupInbox: producers' blocks do not add up to the batch's blocks"


def test_refuses_a_payload_that_does_not_match_data_hash(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 1)
    assert rollup.refusal(header, payload=PAYLOAD + b"!") == \
        "RollupInbox: payload does not match data_hash"
    assert rollup.refusal(header, payload=b"") == "RollupInbox: calldata batch without payload"


def test_refuses_an_epoch_that_has_not_started_or_went_back(rollup: RollupSetup) -> None:
    assert rollup.refusal(rollup.header(0, 1, 1, epoch=rollup.epoch + 1)) == \
        "RollupInbox: epoch has not started"
    assert rollup.refusal(rollup.header(0, 1, 1, epoch=0)) == "RollupInbox: epoch has no stake"
    rollup.pools.advance_epoch()
    rollup.submit(rollup.header(0, 1, 1, epoch=rollup.epoch + 1))
    assert rollup.refusal(rollup.header(1, 2, 2)) == \
        "RollupInbox: epoch older than the previous batch's"


def test_credits_each_producer_its_blocks(rollup: RollupSetup) -> None:
    pool = rollup.pools.pool.functions
    producers = (Producer(rollup.keys[1].address, 3), Producer(rollup.keys[2].address, 2))
    header = rollup.header(0, 1, 5, producers=producers)
    before = [rollup.owed(index) for index in range(4)]
    # reward_for depends on the block's clock and the current epoch only; pin the next block's
    # timestamp so the expected amounts are computed for the very block the batch lands in
    head = rollup.chain.timestamp()
    rollup.chain.w3.provider.make_request(RPCEndpoint("evm_setNextBlockTimestamp"), [head + 1])
    receipt = rollup.submit(header)
    block = receipt["blockNumber"]
    expected = [pool.reward_for(3).call(block_identifier=block),
                pool.reward_for(2).call(block_identifier=block)]
    assert all(amount > 0 for amount in expected)
    after = [rollup.owed(index) for index in range(4)]
    assert [after[i] - before[i] for i in range(4)] == [0, expected[0], expected[1], 0]
    credited = rollup.pools.events(receipt, "RewardCredited")
    assert [(entry["blocks"], entry["amount"]) for entry in credited] == \
        [(3, expected[0]), (2, expected[1])]


def test_refuses_a_producer_the_pool_does_not_know(rollup: RollupSetup) -> None:
    header = rollup.header(0, 1, 2, producers=(Producer(validator_key(9).address, 2),))
    assert rollup.refusal(header) == "LockingPool: signer is not registered"
