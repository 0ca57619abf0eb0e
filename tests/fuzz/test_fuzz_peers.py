"""Hostile peers against a live 4-validator cluster over real TCP: junk before the handshake,
broken handshakes, and an authenticated outsider sending junk frames, forged and outsider-signed
votes and proposals, floods and replays. The node drops each, disconnects the peer where the
offence is unambiguous, and the honest validators keep finalizing the same blocks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import rlp
from hypothesis import given
from hypothesis import strategies as st

from ordo.consensus import LocalSigner
from ordo.consensus.actions import IgnoreReason
from ordo.consensus.certificate import CommitCertificate
from ordo.consensus.codec import (
    decode_certificate,
    decode_evidence,
    decode_proposal,
    decode_vote,
    encode_certificate,
    encode_proposal,
    encode_vote,
)
from ordo.consensus.messages import ProposedValue, Vote, VoteType, sign_proposal, sign_vote
from ordo.core.genesis import dev_private_keys
from ordo.network.frame_codec import encode_frame
from ordo.network.handshake import (
    AUTH_SIZE,
    INITIATOR,
    PROTOCOL_VERSION,
    Hello,
    Initiator,
    signing_digest,
)
from ordo.network.message_kind import DEFAULT_PAYLOAD_CAPS, MessageKind
from ordo.network.node_key import NodeKey
from ordo.network.transcript import encrypt_and_hash
from ordo.network.tx_batch import encode_tx_batch
from ordo.node.sync_codec import (
    ChainStatus,
    decode_request,
    decode_response,
    decode_status,
    encode_status,
)
from tests.fuzz.error_log_trap import trapped_errors
from tests.fuzz.fuzz_settings import fuzz
from tests.fuzz.hostile_peer import (
    Ending,
    authenticated,
    header,
    read_to_end,
    send_frames_and_watch,
    send_raw_and_leave,
)
from tests.fuzz.live_cluster import VALIDATORS, LiveCluster, live_cluster
from tests.fuzz.transaction_bytes import RAW_TRANSACTIONS, signed_odd_transaction
from tests.network.network_test_peer import RawPeer, RefusedError

NOT_VALIDATOR = IgnoreReason.NOT_VALIDATOR.value
BAN_AFTER_PENALTIES = 5  # ban threshold -100, each malformed or forged message costs 20
DECODERS: dict[MessageKind, Callable[[bytes], Any]] = {
    MessageKind.STATUS: decode_status, MessageKind.PROPOSAL: decode_proposal,
    MessageKind.VOTE: decode_vote, MessageKind.BLOCK_REQUEST: decode_request,
    MessageKind.BLOCK_RESPONSE: decode_response, MessageKind.CERTIFICATE: decode_certificate,
    MessageKind.EVIDENCE: decode_evidence,
}
GOSSIP = {MessageKind.TX, MessageKind.PROPOSAL, MessageKind.VOTE, MessageKind.CERTIFICATE,
          MessageKind.EVIDENCE}
APPLICATION = [MessageKind.STATUS, MessageKind.TX, MessageKind.PROPOSAL, MessageKind.VOTE,
               MessageKind.BLOCK_REQUEST, MessageKind.BLOCK_RESPONSE, MessageKind.CERTIFICATE,
               MessageKind.EVIDENCE]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCluster]:
    with trapped_errors() as trap, \
            live_cluster(tmp_path_factory.mktemp("fuzzed-cluster")) as cluster:
        cluster.assert_consensus_goes_on()
        yield cluster
        cluster.assert_consensus_goes_on()
    assert trap.records == [], trap.summary()


def height_of(live: LiveCluster, index: int) -> int:
    return int(live.status(index)["height"], 16)


# ---- before the handshake -------------------------------------------------------------------

def closes_promptly(data: bytes) -> bool:
    """Whether the first frame alone condemns the connection (else the node waits, correctly,
    for the rest of a HELLO until the handshake times out)."""
    if len(data) < 5:
        return False
    length, kind = int.from_bytes(data[:4], "big"), data[4]
    allowed = {int(kind): DEFAULT_PAYLOAD_CAPS[kind] for kind in
               (MessageKind.HELLO, MessageKind.AUTH, MessageKind.DISCONNECT)}
    return kind not in allowed or length > allowed[kind] or len(data) >= 5 + length


PRE_HANDSHAKE_BYTES = (
    st.binary(max_size=120)
    | st.builds(lambda kind, length, rest: header(length, kind) + rest,
                st.sampled_from([0, 1, 2, 4, 7, 12, 13, 99, 255]),
                st.sampled_from([0, 1, 64, 65, 74, 75, 76, 256, 257, 2**24, 2**32 - 1]),
                st.binary(max_size=90))
)


@fuzz(60)
@given(data=PRE_HANDSHAKE_BYTES, target=st.integers(0, VALIDATORS - 1))
def test_junk_before_the_handshake_is_refused(live: LiveCluster, data: bytes,
                                             target: int) -> None:
    prompt = closes_promptly(data)
    ending = live.loop.run(send_raw_and_leave(live.p2p_ports[target], data,
                                              wait_for_close=5.0 if prompt else 0.1))
    if prompt:
        assert ending.closed, (data.hex(), ending)
    assert all(frame.kind in (MessageKind.HELLO, MessageKind.DISCONNECT)
               for frame in ending.frames), ending


def test_consensus_went_on_after_pre_handshake_junk(live: LiveCluster) -> None:
    live.assert_consensus_goes_on()


# ---- broken handshakes ----------------------------------------------------------------------

async def broken_handshake(port: int, chain_id: int, case: str) -> Ending:
    """Protocol 2 (see ordo.network.handshake): we dial, so we are the initiator."""
    key = NodeKey.generate()
    peer = await RawPeer.open(port, key)
    initiator = Initiator(key, chain_id, os.urandom(32))
    hello = initiator.hello()
    if case == "wrong_chain_id":
        hello = Hello(chain_id + 1, PROTOCOL_VERSION, hello[10:]).encode()
    elif case == "wrong_version":
        hello = Hello(chain_id, PROTOCOL_VERSION + 1, hello[10:]).encode()
    elif case == "obsolete_protocol":  # protocol 1's cleartext HELLO: a downgrade attempt
        hello = (chain_id.to_bytes(8, "big") + (1).to_bytes(2, "big") + key.public_key
                 + os.urandom(32))
    elif case == "bad_ephemeral":
        hello = Hello(chain_id, PROTOCOL_VERSION, b"\x00" * 32).encode()
    if case == "short_hello":
        peer.send(MessageKind.HELLO, hello[:-1])
    elif case == "auth_first":
        peer.send(MessageKind.AUTH, b"\x00" * AUTH_SIZE)
    else:
        peer.send(MessageKind.HELLO, hello)
    if case in ("forged_auth", "auth_by_other_key", "second_hello", "short_auth"):
        theirs = await peer.read()
        assert theirs.kind is MessageKind.HELLO
        initiator.on_hello(theirs.payload)
        if case == "forged_auth":
            peer.send(MessageKind.AUTH, os.urandom(AUTH_SIZE))
        elif case == "auth_by_other_key":
            transcript = initiator._transcript
            other = NodeKey.generate()
            forged = key.public_key + other.sign_digest(
                signing_digest(INITIATOR, transcript.hash, key.public_key))
            peer.send(MessageKind.AUTH, encrypt_and_hash(transcript, forged)[1])
        elif case == "short_auth":
            peer.send(MessageKind.AUTH, initiator.auth()[:-1])
        else:
            peer.send(MessageKind.HELLO, hello)
    return await read_to_end(peer, 6.0)


@pytest.mark.parametrize(("case", "reason"), [
    ("wrong_chain_id", "wrong_chain_id"), ("wrong_version", "wrong_version"),
    ("obsolete_protocol", "obsolete_protocol"), ("bad_ephemeral", "bad_ephemeral"),
    ("short_hello", "malformed_hello"),
    ("auth_first", "protocol_violation"), ("forged_auth", "handshake_auth_failed"),
    ("auth_by_other_key", "bad_signature"), ("short_auth", "malformed_auth"),
    ("second_hello", "protocol_violation"),
])
def test_broken_handshakes_are_refused_with_a_reason(live: LiveCluster, case: str,
                                                     reason: str) -> None:
    ending = live.loop.run(broken_handshake(live.p2p_ports[0], live.chain_id, case))
    assert ending.closed and ending.reason == reason, ending


async def replayed_hello(port: int, chain_id: int) -> Ending:
    """The same HELLO (same ephemeral key) on a second connection: a recording."""
    key = NodeKey.generate()
    hello = Initiator(key, chain_id, os.urandom(32)).hello()
    first = await RawPeer.open(port, key)
    first.send(MessageKind.HELLO, hello)
    await first.read()
    first.close()
    second = await RawPeer.open(port, key)
    second.send(MessageKind.HELLO, hello)
    return await read_to_end(second, 6.0)


def test_replayed_hello_is_refused(live: LiveCluster) -> None:
    ending = live.loop.run(replayed_hello(live.p2p_ports[1], live.chain_id))
    assert ending.closed and ending.reason == "replayed_hello", ending


# ---- an authenticated outsider sending junk -------------------------------------------------

SEEN_GOSSIP: set[tuple[int, MessageKind, bytes]] = set()
"""(node, kind, payload) already delivered: the node drops gossip copies before looking at them,
so a repeated junk payload costs the sender nothing, correctly."""

FINISHERS: dict[str, Callable[[], bytes]] = {
    "oversized": lambda: header(DEFAULT_PAYLOAD_CAPS[MessageKind.VOTE] + 1, MessageKind.VOTE),
    "unknown_kind": lambda: header(3, 200) + b"abc",
    "protocol_violation": lambda: encode_frame(MessageKind.HELLO, b"\x00" * 75),
    "malformed_frame": lambda: encode_frame(MessageKind.PING, b"\x01\x02"),
}


def penalized(target: int, kind: MessageKind, payload: bytes) -> bool:
    decoder = DECODERS.get(kind)
    if decoder is None:
        return False  # junk transactions are refused by the mempool; that costs no score
    if kind in GOSSIP:
        if (target, kind, payload) in SEEN_GOSSIP:
            return False
        SEEN_GOSSIP.add((target, kind, payload))
    try:
        decoder(payload)
    except ValueError:
        return True
    return False


JUNK_PAYLOADS = (st.binary(max_size=200)
                 | st.lists(st.binary(max_size=40) | st.lists(st.binary(max_size=33),
                                                              max_size=4),
                            max_size=8).map(lambda items: bytes(rlp.encode(items))))


@fuzz(40)
@given(frames=st.lists(st.tuples(st.sampled_from(APPLICATION), JUNK_PAYLOADS), min_size=1,
                       max_size=8),
       finisher=st.none() | st.sampled_from(sorted(FINISHERS)),
       target=st.integers(0, VALIDATORS - 1))
def test_junk_frames_from_an_authenticated_outsider(
        live: LiveCluster, frames: list[tuple[MessageKind, bytes]], finisher: str | None,
        target: int) -> None:
    penalties = sum(penalized(target, kind, payload) for kind, payload in frames)
    wire = [encode_frame(kind, payload) for kind, payload in frames]
    if finisher is not None:
        wire.append(FINISHERS[finisher]())
    # Scores heal continuously, so exactly BAN_AFTER_PENALTIES offences may land a hair above
    # the threshold: only a margin on either side is decidable.
    banned = penalties > BAN_AFTER_PENALTIES
    spared = penalties < BAN_AFTER_PENALTIES
    must_close = finisher is not None or banned
    ending = live.loop.run(send_frames_and_watch(
        live.p2p_ports[target], live.chain_id, wire, wait_for_close=5.0 if must_close else 0.3))
    if finisher is not None:
        assert ending.closed and ending.reason is not None, ending
        assert ending.reason in (finisher, f"banned:{finisher}") or (
            not spared and ending.reason.startswith("banned:reported:malformed_")), ending
    elif banned:
        assert ending.closed and ending.reason is not None, ending
        assert ending.reason.startswith("banned:reported:malformed_"), ending
    elif spared:
        assert not ending.closed, (frames, ending)


async def truncated_frame(port: int, chain_id: int) -> Ending:
    peer = await authenticated(port, chain_id)
    peer.send_wire(header(100, MessageKind.VOTE) + b"\x01" * 10)
    await peer.writer.drain()
    peer.writer.write_eof()
    return await read_to_end(peer, 5.0)


def test_truncated_frame_ends_the_session(live: LiveCluster) -> None:
    ending = live.loop.run(truncated_frame(live.p2p_ports[2], live.chain_id))
    assert ending.closed and ending.reason == "truncated", ending


def test_consensus_went_on_after_junk_frames(live: LiveCluster) -> None:
    live.assert_consensus_goes_on()


# ---- forged and outsider-signed consensus messages ------------------------------------------

def forged_messages(live: LiveCluster, height: int, rng: random.Random,
                    forger: LocalSigner) -> list[bytes]:
    """Messages naming a real validator but signed by ``forger``, at heights just ahead (a
    future-height message is checked for its signature before it is buffered)."""
    frames = []
    for offset in range(BAN_AFTER_PENALTIES + 1):
        victim = live.signers[rng.randrange(VALIDATORS)]
        block_hash = rng.randbytes(32)
        target_height = height + 5 + offset
        if rng.random() < 0.5:
            vote = sign_vote(forger, live.chain_id, target_height, rng.randrange(3),
                             rng.choice([VoteType.PREVOTE, VoteType.PRECOMMIT]),
                             rng.randbytes(32), block_hash)
            forged = type(vote)(vote.chain_id, vote.height, vote.round, vote.vote_type,
                                vote.parent_hash, vote.block_hash, victim.address,
                                vote.signature)
            frames.append(encode_frame(MessageKind.VOTE, encode_vote(forged)))
        else:
            value = ProposedValue(target_height, rng.randbytes(32), block_hash, victim.address,
                                  rng.randbytes(rng.randrange(64)))
            proposal = sign_proposal(forger, live.chain_id, 0, -1, value)
            forged_proposal = type(proposal)(proposal.chain_id, proposal.height, proposal.round,
                                             proposal.valid_round, value, victim.address,
                                             proposal.signature)
            frames.append(encode_frame(MessageKind.PROPOSAL, encode_proposal(forged_proposal)))
    return frames


@fuzz(12)
@given(seed=st.integers(0, 2**32), target=st.integers(0, VALIDATORS - 1))
def test_forged_votes_and_proposals_get_the_sender_banned(live: LiveCluster, seed: int,
                                                         target: int) -> None:
    rng = random.Random(seed)
    frames = forged_messages(live, height_of(live, target), rng,
                             LocalSigner(rng.randbytes(32)))
    ending = live.loop.run(send_frames_and_watch(live.p2p_ports[target], live.chain_id,
                                                 frames, wait_for_close=5.0))
    assert ending.closed and ending.reason == "banned:reported:bad_signature", ending


async def outsider_votes(port: int, chain_id: int, height: int, count: int, watch: float,
                         signed: bool = True, key: NodeKey | None = None) -> Ending:
    """Votes from a signer outside the set; ``signed=False`` skips real signatures (they are
    never checked: membership is), which lets a flood outpace the rate limit's refill."""
    outsider = LocalSigner(os.urandom(32))
    peer = await authenticated(port, chain_id, key)
    for index in range(count):
        if signed:
            vote = sign_vote(outsider, chain_id, height + index % 3, index // 3,
                             VoteType.PREVOTE, os.urandom(32), os.urandom(32))
        else:
            vote = Vote(chain_id, height + index % 3, index // 3, VoteType.PREVOTE,
                        os.urandom(32), os.urandom(32), outsider.address, os.urandom(65))
        peer.send(MessageKind.VOTE, encode_vote(vote))
        if index % 500 == 499:
            with contextlib.suppress(ConnectionError):
                await peer.writer.drain()
    with contextlib.suppress(ConnectionError):
        await peer.writer.drain()
    return await read_to_end(peer, watch)


def test_outsider_signed_votes_are_dropped_and_counted(live: LiveCluster) -> None:
    before = live.status(3)["ignoredMessages"].get(NOT_VALIDATOR, 0)
    ending = live.loop.run(outsider_votes(live.p2p_ports[3], live.chain_id,
                                          height_of(live, 3), 30, watch=1.0))
    # a signer outside the set is not proof of malice (next epoch's validators look the same),
    # so the session stays up; what it sent never counts
    assert not ending.closed, ending
    after = live.status(3)["ignoredMessages"].get(NOT_VALIDATOR, 0)
    assert after - before >= 30
    live.assert_consensus_goes_on()


def test_a_flood_of_outsider_votes_is_rate_limited_into_a_ban(live: LiveCluster) -> None:
    key = NodeKey.generate()
    ending = live.loop.run(outsider_votes(live.p2p_ports[1], live.chain_id, height_of(live, 1),
                                          8000, watch=10.0, signed=False, key=key), timeout=120)
    # the goodbye can be lost: closing with our unread flood in its buffer makes the node's
    # kernel answer with a reset, so the ban is checked where it lasts, at the next handshake
    assert ending.closed and ending.reason in ("banned:rate_limited", None), ending
    with pytest.raises(RefusedError, match=r"^banned$"):
        live.loop.run(authenticated(live.p2p_ports[1], live.chain_id, key))
    live.assert_consensus_goes_on()


# ---- replays and lies -----------------------------------------------------------------------

async def record_then_replay(ports: list[int], chain_id: int, seconds: float) -> list[Ending]:
    listener = await authenticated(ports[0], chain_id)
    recorded: list[tuple[MessageKind, bytes]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        try:
            frame = await listener.read(timeout=max(0.01, deadline - loop.time()))
        except TimeoutError:
            break
        if frame.kind in APPLICATION:
            recorded.append((frame.kind, frame.payload))
    assert any(kind is MessageKind.VOTE for kind, _ in recorded), recorded
    for kind, payload in recorded:  # back to the node that sent them
        listener.send(kind, payload)
    await listener.writer.drain()
    replayers = [await authenticated(port, chain_id) for port in ports[1:]]
    for replayer in replayers:
        for kind, payload in recorded:
            replayer.send(kind, payload)
        await replayer.writer.drain()
    return list(await asyncio.gather(*(read_to_end(peer, 1.0)
                                       for peer in [listener, *replayers])))


def test_replayed_gossip_is_harmless(live: LiveCluster) -> None:
    endings = live.loop.run(record_then_replay(live.p2p_ports, live.chain_id, 1.5))
    # replays of honestly signed messages are dropped as copies or stale, not punished
    assert not any(ending.closed and ending.reason and ending.reason.startswith("banned")
                   for ending in endings), endings
    live.assert_consensus_goes_on()


async def lie_about_the_head(ports: list[int], chain_id: int) -> list[RawPeer]:
    liars = [await authenticated(port, chain_id) for port in ports]
    status = encode_status(ChainStatus(2**63, b"\x11" * 32, 2**62))
    certificate = encode_certificate(CommitCertificate(2**63, 0, b"\x22" * 32, ()))
    for liar in liars:
        liar.send(MessageKind.STATUS, status)
        liar.send(MessageKind.CERTIFICATE, certificate)
        await liar.writer.drain()
    return liars


async def repeat_the_lie(liars: list[RawPeer], seconds: float) -> None:
    status = encode_status(ChainStatus(2**63, b"\x11" * 32, 2**62))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        for liar in liars:
            liar.send(MessageKind.STATUS, status)
        await asyncio.sleep(0.5)


def test_a_peer_claiming_a_far_higher_head_is_not_believed_for_long(live: LiveCluster) -> None:
    liars = live.loop.run(lie_about_the_head(live.p2p_ports, live.chain_id))
    try:
        live.assert_consensus_goes_on(blocks=3)
        # two unanswered sync requests (3 s each) and the claim stops counting, however often
        # it is repeated; before the fix eth_syncing aimed at 2**63 until the liar left
        live.loop.run(repeat_the_lie(liars, 8.0), timeout=30)
        assert [live.call(index, "eth_syncing") for index in range(VALIDATORS)] == \
            [False] * VALIDATORS
        live.assert_consensus_goes_on(blocks=3)
    finally:
        for liar in liars:
            liar.close()


# ---- well-formed but wrong sync, certificate and evidence messages --------------------------

BOUNDARY_HEIGHTS = st.sampled_from([0, 1, 2, 10, 63, 64, 65, 2**32, 2**63, 2**64 - 1])


@st.composite
def structured_message(draw: st.DrawFn, chain_id: int, validators: list[bytes]) -> bytes:
    """One frame that decodes, with values chosen to hit the edges of what handles it."""
    kind = draw(st.sampled_from(["request", "certificate", "evidence", "response", "status"]))
    if kind == "request":
        start, count = draw(BOUNDARY_HEIGHTS), draw(st.sampled_from([0, 1, 32, 64, 65, 2**40]))
        return encode_frame(MessageKind.BLOCK_REQUEST, bytes(rlp.encode([start, count])))
    if kind == "status":
        head, finalized = draw(BOUNDARY_HEIGHTS), draw(BOUNDARY_HEIGHTS)
        return encode_frame(MessageKind.STATUS, bytes(rlp.encode(
            [head, os.urandom(32), min(head, finalized)])))
    if kind == "certificate":
        signers = draw(st.lists(st.sampled_from(validators) | st.binary(min_size=20,
                                                                       max_size=20), max_size=5))
        certificate = CommitCertificate(draw(BOUNDARY_HEIGHTS), draw(st.integers(0, 5)),
                                        os.urandom(32),
                                        tuple((signer, os.urandom(65)) for signer in signers))
        return encode_frame(MessageKind.CERTIFICATE, encode_certificate(certificate))
    if kind == "response":
        entries = draw(st.lists(st.tuples(st.binary(max_size=80), st.binary(max_size=80)),
                                max_size=4))
        return encode_frame(MessageKind.BLOCK_RESPONSE,
                            bytes(rlp.encode([list(entry) for entry in entries])))
    forger = LocalSigner(os.urandom(32))
    victim = draw(st.sampled_from(validators))
    height, round_ = draw(BOUNDARY_HEIGHTS), draw(st.integers(0, 3))
    votes = []
    for _ in range(2):
        vote = sign_vote(forger, draw(st.just(chain_id) | st.integers(0, 2**64)), height,
                         round_, draw(st.sampled_from([VoteType.PREVOTE, VoteType.PRECOMMIT])),
                         draw(st.sampled_from([b"\x00" * 32, b"\x02" * 32])),
                         draw(st.sampled_from([b"\x00" * 32, b"\x01" * 32, os.urandom(32)])))
        signer = draw(st.sampled_from([victim, forger.address]))
        votes.append(type(vote)(vote.chain_id, vote.height, vote.round, vote.vote_type,
                                vote.parent_hash, vote.block_hash, signer, vote.signature))
    return encode_frame(MessageKind.EVIDENCE, bytes(rlp.encode([
        rlp.decode(encode_vote(votes[0])), rlp.decode(encode_vote(votes[1]))])))


@fuzz(40)
@given(data=st.data(), target=st.integers(0, VALIDATORS - 1))
def test_well_formed_but_wrong_sync_certificates_and_evidence(live: LiveCluster,
                                                              data: st.DataObject,
                                                              target: int) -> None:
    validators = [signer.address for signer in live.signers]
    frames = data.draw(st.lists(structured_message(live.chain_id, validators), min_size=1,
                                max_size=6))
    ending = live.loop.run(send_frames_and_watch(live.p2p_ports[target], live.chain_id, frames,
                                                 wait_for_close=0.3))
    if ending.closed:
        assert ending.reason is not None and ending.reason.startswith("banned:"), ending
    assert live.status(target)["evidence"] == 0  # forged evidence is never kept


def test_consensus_went_on_after_well_formed_lies(live: LiveCluster) -> None:
    live.assert_consensus_goes_on()


# ---- transactions gossiped by an outsider ---------------------------------------------------

GOSSIP_SENDER_KEY = dev_private_keys()[8]


@fuzz(30)
@given(transactions=st.lists(signed_odd_transaction(GOSSIP_SENDER_KEY) | RAW_TRANSACTIONS,
                             min_size=1, max_size=5),
       batched=st.booleans(), target=st.integers(0, VALIDATORS - 1))
def test_odd_transactions_gossiped_by_an_outsider(live: LiveCluster, transactions: list[bytes],
                                                  batched: bool, target: int) -> None:
    """One TX frame each, or all in one TX_BATCH (what protocol-3 nodes send)."""
    frames = [encode_frame(MessageKind.TX_BATCH, encode_tx_batch(transactions))] if batched \
        else [encode_frame(MessageKind.TX, raw) for raw in transactions]
    ending = live.loop.run(send_frames_and_watch(live.p2p_ports[target], live.chain_id, frames,
                                                 wait_for_close=0.2))
    assert not ending.closed, ending  # refused transactions are dropped, never punished


def test_a_valid_transfer_after_gossiped_junk_is_final_everywhere(live: LiveCluster) -> None:
    raw = live.cluster.transfer(dev_private_keys()[9])
    tx_hash = live.call(0, "eth_sendRawTransaction", raw)
    deadline = time.monotonic() + 30
    while live.call(0, "eth_getTransactionReceipt", tx_hash) is None:
        assert time.monotonic() < deadline, "transfer not included"
        time.sleep(0.05)
    live.assert_consensus_goes_on()
    receipts = [live.call(index, "eth_getTransactionReceipt", tx_hash)
                for index in range(VALIDATORS)]
    assert {receipt["blockHash"] for receipt in receipts} == {receipts[0]["blockHash"]}
