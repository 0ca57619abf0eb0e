"""The driver's output parts, each alone: peer penalties (node/peer_penalties.py), the mempool
re-announce (node/pool_announcer.py), the RPC views (node/consensus_status.py) and the wire
framing of consensus messages (node/consensus_transport.py)."""

from __future__ import annotations

from dataclasses import dataclass

from eth_hash.auto import keccak

from ordo.consensus import (
    NIL,
    IgnoreReason,
    MessageIgnored,
    VoteType,
    build_certificate,
    decode_proposal,
    decode_vote,
    encode_certificate,
)
from ordo.network import MessageKind, PeerInfo
from ordo.node import peer_penalties
from ordo.node.consensus_status import commit_json, current_producer, status_fields
from ordo.node.consensus_transport import framed
from ordo.node.peer_penalties import PeerPenalties
from ordo.node.pool_announcer import announce_pool
from tests.consensus.committee import Committee

PEER = b"\x07" * 33


class FakeTransport:
    def __init__(self, accept: int = 10**9) -> None:
        self.penalties: list[tuple[bytes, str, float]] = []
        self.sent: list[tuple[bytes, MessageKind, bytes]] = []
        self.accept = accept

    def broadcast(self, kind: MessageKind, payload: bytes) -> int:
        return 0

    def send(self, peer_id: bytes, kind: MessageKind, payload: bytes) -> bool:
        if len(self.sent) >= self.accept:
            return False
        self.sent.append((peer_id, kind, payload))
        return True

    def report_misbehaviour(self, peer_id: bytes, reason: str, penalty: float) -> None:
        self.penalties.append((peer_id, reason, penalty))

    def peers(self) -> list[PeerInfo]:
        return []


def test_penalties_count_punish_bad_signatures_and_answer_stale_votes_with_status() -> None:
    transport = FakeTransport()
    now = [100.0]
    parts = PeerPenalties(lambda: transport, lambda: b"status", lambda: now[0])
    parts.on_ignored(MessageIgnored(IgnoreReason.BAD_SIGNATURE, 3, b"\x01" * 20), PEER)
    assert transport.penalties == [(PEER, "bad_signature", peer_penalties.BAD_MESSAGE_PENALTY)]
    stale = MessageIgnored(IgnoreReason.STALE_HEIGHT, 2, b"\x01" * 20)
    parts.on_ignored(stale, PEER)
    parts.on_ignored(stale, PEER)  # within STATUS_ANSWER_INTERVAL: not answered again
    assert transport.sent == [(PEER, MessageKind.STATUS, b"status")]
    now[0] += peer_penalties.STATUS_ANSWER_INTERVAL
    parts.on_ignored(stale, PEER)
    assert len(transport.sent) == 2
    parts.on_ignored(stale, None)  # our own: counted only
    parts.malformed(PEER, MessageKind.VOTE, ValueError("short"))
    assert transport.penalties[-1] == (PEER, "malformed_vote",
                                       peer_penalties.BAD_MESSAGE_PENALTY)
    assert parts.ignored == {IgnoreReason.BAD_SIGNATURE.value: 1,
                             IgnoreReason.STALE_HEIGHT.value: 4, "malformed vote": 1}


def test_penalties_without_a_transport_still_count() -> None:
    parts = PeerPenalties(lambda: None, lambda: b"status")
    parts.on_ignored(MessageIgnored(IgnoreReason.BAD_SIGNATURE, 3, b"\x01" * 20), PEER)
    parts.penalize(PEER, "anything")
    assert parts.ignored[IgnoreReason.BAD_SIGNATURE.value] == 1


@dataclass
class Raw:
    raw: bytes


class Pool:
    def __init__(self, count: int) -> None:
        self.items = {keccak(bytes([i])): Raw(bytes([i])) for i in range(count)}

    def all_hashes(self) -> list[bytes]:
        return list(self.items)

    def get(self, tx_hash: bytes) -> Raw | None:
        return self.items.get(tx_hash)


async def test_pool_announce_sends_every_transaction_in_chunks_and_stops_when_refused() -> None:
    pool = Pool(7)
    sent: list[bytes] = []
    assert await announce_pool(pool, lambda raw: sent.append(raw) is None, chunk=3,
                               pause_s=0) == 7
    assert sent == [bytes([i]) for i in range(7)]
    refused_after = FakeTransport(accept=4)
    count = await announce_pool(
        pool, lambda raw: refused_after.send(PEER, MessageKind.TX, raw), chunk=3, pause_s=0)
    assert count == 4 and len(refused_after.sent) == 4


async def test_pool_announce_skips_transactions_gone_meanwhile() -> None:
    pool = Pool(3)
    first = pool.all_hashes()[0]

    def send(raw: bytes) -> bool:
        pool.items.pop(first, None)
        return True

    hashes = pool.all_hashes()
    del pool.items[hashes[1]]
    pool.all_hashes = lambda: hashes  # type: ignore[method-assign]
    assert await announce_pool(pool, send, pause_s=0) == 2


def test_status_and_commit_views() -> None:
    committee = Committee((1, 2, 3, 4))
    state, _ = committee.started(0)
    producer = current_producer(state)
    assert producer == state.order[0]
    fields = status_fields(state, 1000, [], False, {"duplicate": 2}, {"propose": 1}, 0, None)
    assert fields["height"] == "0x1" and fields["epoch"] == "0x0"
    assert fields["producer"] == "0x" + producer.hex()
    assert fields["role"] == "validator" and fields["step"] == "propose"
    assert fields["ignoredMessages"] == {"duplicate": 2} and "l1" not in fields
    assert len(fields["validators"]) == 4
    follower, _ = committee.started(None)
    assert status_fields(follower, 1000, [], True, {}, {}, 0, {"x": 1})["role"] == "follower"
    block = b"\x05" * 32
    precommits = [committee.vote(i, VoteType.PRECOMMIT, block) for i in (0, 1, 3)]
    raw = encode_certificate(build_certificate(precommits))
    view = commit_json(raw, None)
    assert view["blockHash"] == "0x" + block.hex() and view["parentHash"] is None
    assert [entry["validator"] for entry in view["signatures"]] == sorted(
        "0x" + committee.signers[i].address.hex() for i in (0, 1, 3))


def test_framing_of_proposals_and_votes() -> None:
    committee = Committee((1, 1, 1, 1))
    vote = committee.vote(1, VoteType.PREVOTE, NIL)
    kind, payload = framed(vote)
    assert kind == MessageKind.VOTE and decode_vote(payload) == vote
    proposal = committee.proposal(0, committee.value_by(0))
    kind, payload = framed(proposal)
    assert kind == MessageKind.PROPOSAL and decode_proposal(payload) == proposal
