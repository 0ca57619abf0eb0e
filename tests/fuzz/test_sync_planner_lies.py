"""Regression for a fuzz finding: a peer that claimed a head far ahead (a STATUS or an unsigned
certificate costs nothing) and never delivered made every node report eth_syncing towards that
head for as long as it stayed connected, and sent every sync request its way first."""

from __future__ import annotations

from ordo.node.sync_codec import BlockRequest
from ordo.node.sync_planner import UNANSWERED_LIMIT, SyncPlanner

LIAR = b"l" * 20
HONEST = b"h" * 20


def test_a_silent_peer_claim_stops_counting_after_unanswered_requests() -> None:
    planner = SyncPlanner(request_timeout=1.0, batch=8)
    planner.set_head(LIAR, 2**63)
    now = 0.0
    for _ in range(UNANSWERED_LIMIT):
        assert planner.progress(10) is not None
        planned = planner.next_request(10, now)
        assert planned == (LIAR, BlockRequest(11, 8))
        now += 1.5  # never answered
    planner.next_request(10, now)  # notices the last expiry
    assert planner.progress(10) is None
    planner.set_head(LIAR, 2**63)  # repeating the claim does not restore it
    assert planner.progress(10) is None


def test_an_honest_peer_ahead_is_preferred_over_a_silent_one_and_still_counts() -> None:
    planner = SyncPlanner(request_timeout=1.0, batch=8)
    planner.set_head(LIAR, 2**63)
    now = 0.0
    for _ in range(UNANSWERED_LIMIT):
        planner.next_request(10, now)
        now += 1.5
    planner.set_head(HONEST, 40)
    planned = planner.next_request(10, now)
    assert planned is not None and planned[0] == HONEST
    assert planner.progress(10) == {"startingBlock": 10, "currentBlock": 10, "highestBlock": 40}
    planner.on_response(HONEST, delivered=True)
    assert planner.next_request(18, now)[0] == HONEST  # type: ignore[index]


def test_a_silent_peer_is_still_asked_when_no_one_else_is_ahead_and_redeems_itself() -> None:
    planner = SyncPlanner(request_timeout=1.0, batch=8)
    planner.set_head(LIAR, 50)
    now = 0.0
    for _ in range(UNANSWERED_LIMIT):
        planner.next_request(10, now)
        now += 1.5
    planned = planner.next_request(10, now)
    assert planned is not None and planned[0] == LIAR  # the only one ahead: still worth asking
    planner.on_response(LIAR, delivered=True)
    assert planner.progress(18)["highestBlock"] == 50  # type: ignore[index]


def test_empty_or_unsolicited_answers_do_not_redeem_a_peer() -> None:
    planner = SyncPlanner(request_timeout=1.0, batch=8)
    planner.set_head(LIAR, 2**63)
    planner.next_request(10, 0.0)
    planner.on_response(LIAR, delivered=False)  # answered, with nothing: first strike
    planner.next_request(10, 0.1)  # asked again (no one else is ahead), never answered
    planner.set_head(HONEST, 40)
    planned = planner.next_request(10, 1.5)  # expiry: second strike, the honest peer is asked
    assert planned is not None and planned[0] == HONEST
    planner.on_response(LIAR, delivered=True)  # replayed old blocks, never asked for
    assert planner.progress(10) == {"startingBlock": 10, "currentBlock": 10, "highestBlock": 40}
