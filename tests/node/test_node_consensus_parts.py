"""Pure parts of the consensus shell: pacing, sync and recovery encodings, the tip from headers,
the sync planner and proposal checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import rlp
from eth_hash.auto import keccak

from ordo.consensus import (
    LocalSigner,
    ProposedValue,
    RecoveryRecord,
    Validator,
    ValidatorSet,
    VoteType,
    compute_tip,
    sign_proposal,
    sign_vote,
)
from ordo.node.chain_tip import tip_after
from ordo.node.production_policy import (
    QUIET_PENDING,
    max_block_transactions,
    seconds_until_next_block,
    seconds_until_propose_timer,
)
from ordo.node.recovery_codec import RecoveryCodecError, decode_recovery, encode_recovery
from ordo.node.sync_codec import (
    BlockRequest,
    BlockResponse,
    ChainStatus,
    SyncCodecError,
    decode_request,
    decode_response,
    decode_status,
    encode_request,
    encode_response,
    encode_status,
)
from ordo.node.sync_planner import SyncPlanner

SIGNERS = [LocalSigner(keccak(bytes([i]))) for i in range(4)]
VALIDATORS = ValidatorSet.of(Validator(s.address, 10 + i) for i, s in enumerate(SIGNERS))


def test_propose_timer_starts_when_the_proposer_should_build() -> None:
    busy = QUIET_PENDING + 1
    assert seconds_until_propose_timer(10.0, 9.9, 1, 0.25, 2.0) == 0.0  # quiet: at once
    assert abs(seconds_until_propose_timer(10.0, 9.9, busy, 0.25, 2.0) - 0.15) < 1e-9
    assert abs(seconds_until_propose_timer(10.0, 9.5, 0, 0.25, 2.0) - 1.5) < 1e-9
    assert seconds_until_propose_timer(12.0, 9.5, 0, 0.25, 2.0) == 0.0
    # the proposer builds no later than the others arm their timers
    for now in (9.6, 9.7, 10.0, 11.4, 11.6):
        for pending in (0, 1, busy):
            assert seconds_until_next_block(now, 9.5, pending, 0.25, 2.0) <= \
                seconds_until_propose_timer(now, 9.5, pending, 0.25, 2.0) + 1e-9


def test_block_size_follows_the_measured_build_rate_within_bounds() -> None:
    assert max_block_transactions(400.0, 0.3, 50, 5000) == 120
    assert max_block_transactions(10.0, 0.3, 50, 5000) == 50
    assert max_block_transactions(1e6, 0.3, 50, 5000) == 5000


def test_sync_payloads_round_trip_and_refuse_junk() -> None:
    status = ChainStatus(7, b"\x01" * 32, 7)
    assert decode_status(encode_status(status)) == status
    request = BlockRequest(8, 16)
    assert decode_request(encode_request(request)) == request
    response = BlockResponse(((b"block", b"cert"),))
    assert decode_response(encode_response(response)) == response
    with pytest.raises(SyncCodecError, match="count"):
        decode_request(encode_request(BlockRequest(1, 1000)))
    with pytest.raises(SyncCodecError, match="start"):
        decode_request(encode_request(BlockRequest(0, 1)))
    with pytest.raises(SyncCodecError, match="finalized is above head"):
        decode_status(encode_status(ChainStatus(1, b"\x01" * 32, 2)))
    with pytest.raises(SyncCodecError, match="32 bytes"):
        decode_status(encode_status(ChainStatus(1, b"\x01", 1)))
    for junk in (b"", b"\xff\xff", b"\xc0"):
        with pytest.raises(SyncCodecError):
            decode_status(junk)
        with pytest.raises(SyncCodecError):
            decode_response(junk + b"\x01")


def test_recovery_record_round_trips() -> None:
    signer = SIGNERS[0]
    value = ProposedValue(3, b"\x02" * 32, b"\x03" * 32, signer.address, b"payload")
    vote = sign_vote(signer, 5, 3, 1, VoteType.PREVOTE, value.parent_hash, value.block_hash)
    proposal = sign_proposal(signer, 5, 1, -1, value)
    record = RecoveryRecord(3, 1, value.parent_hash, value, 1, value, 1, (vote,), (proposal,),
                            (vote,))
    assert decode_recovery(encode_recovery(record)) == record
    empty = RecoveryRecord(4, 0, b"\x04" * 32, None, -1, None, -1, (), ())
    assert decode_recovery(encode_recovery(empty)) == empty
    with pytest.raises(RecoveryCodecError):
        decode_recovery(b"\x01\x02")
    # a record of vote format v1 (no parent hash: 9 items) is refused, not misread
    v1 = rlp.decode(encode_recovery(empty))
    with pytest.raises(RecoveryCodecError, match="10 items"):
        decode_recovery(rlp.encode(v1[:2] + v1[3:]))


@dataclass
class FakeHeader:
    hash: bytes
    extra_data: bytes
    block_number: int


def test_tip_from_two_headers_equals_replaying_the_chain() -> None:
    epoch_length = 4
    headers = [FakeHeader(keccak(b"genesis"), b"", 0)]
    decided = []
    for number in range(1, 11):
        builder = SIGNERS[(number * 7) % 4].address
        block_hash = keccak(number.to_bytes(8, "big"))
        headers.append(FakeHeader(block_hash, builder + b"\x00" * 3, number))
        decided.append((block_hash, builder))
        expected = compute_tip(headers[0].hash, decided, epoch_length, lambda _: VALIDATORS)
        got = tip_after(number, lambda n: headers[n], epoch_length,  # type: ignore[arg-type,return-value]
                        lambda _: VALIDATORS)
        assert got == expected, number


def test_sync_planner_requests_from_a_peer_ahead_and_retries_after_timeout() -> None:
    planner = SyncPlanner(request_timeout=2.0, batch=8)
    assert planner.next_request(5, 0.0) is None
    planner.set_head(b"a" * 20, 30)
    planner.set_head(b"b" * 20, 20)
    peer, request = planner.next_request(5, 0.0) or (None, None)
    assert peer == b"a" * 20 and request == BlockRequest(6, 8)
    assert planner.next_request(5, 1.0) is None  # one outstanding request at a time
    retry = planner.next_request(5, 2.5)  # timed out: someone else is asked
    assert retry is not None and retry[0] == b"b" * 20
    planner.on_response(b"b" * 20)
    assert planner.progress(10) == {"startingBlock": 10, "currentBlock": 10, "highestBlock": 30}
    planner.forget(b"a" * 20)
    planner.set_head(b"b" * 20, 11)
    assert planner.progress(10) is None
