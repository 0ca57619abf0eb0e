"""Scoring, rate limiting, dedup, reconnect backoff and config validation, on injected clocks."""

from __future__ import annotations

import random

import pytest

from ordo.network.backoff import reconnect_delay
from ordo.network.config import NetworkConfig
from ordo.network.message_kind import MessageKind
from ordo.network.peer_score import ScoreBook, ScoringRules
from ordo.network.rate_limit import RateLimit, RateLimiter, TokenBucket
from ordo.network.seen_cache import Arrival, SeenCache, message_id

PEER_A = b"\xaa" * 20
PEER_B = b"\xbb" * 20


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_burst_then_refills_at_rate() -> None:
    bucket = TokenBucket(RateLimit(per_second=10, burst=5), now=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.take(0.1) is True
    assert bucket.take(0.1) is False
    assert sum(bucket.take(100.0) for _ in range(10)) == 5  # never above burst


def test_rate_limiter_is_per_owner_and_kind() -> None:
    clock = FakeClock()
    limiter = RateLimiter({MessageKind.TX: RateLimit(1, 2)}, clock)
    assert [limiter.allow(1, MessageKind.TX) for _ in range(3)] == [True, True, False]
    assert limiter.allow(2, MessageKind.TX) is True
    assert all(limiter.allow(1, MessageKind.VOTE) for _ in range(100))  # no limit configured
    clock.now += 1
    assert limiter.allow(1, MessageKind.TX) is True
    limiter.forget(1)
    assert [limiter.allow(1, MessageKind.TX) for _ in range(3)] == [True, True, False]


def test_rate_limit_validation() -> None:
    with pytest.raises(ValueError, match="per_second"):
        RateLimit(0, 1)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(1, 0.5)


def test_score_falls_with_penalties_heals_with_time_and_bans_at_threshold() -> None:
    clock = FakeClock()
    book = ScoreBook(ScoringRules(ban_threshold=-100, recovery_per_second=1, ban_seconds=60),
                     clock)
    assert book.penalize(PEER_A, "bad_vote", 40) is False
    assert book.score(PEER_A) == -40
    clock.now += 10
    assert book.score(PEER_A) == -30
    clock.now += 100
    assert book.score(PEER_A) == 0  # heals to zero, never above
    assert book.penalize(PEER_A, "bad_vote", 60) is False
    assert book.penalize(PEER_A, "bad_vote", 40) is True
    assert book.is_banned(PEER_A) and not book.is_banned(PEER_B)
    assert book.penalties["bad_vote"] == 3
    clock.now += 61
    assert not book.is_banned(PEER_A)
    with pytest.raises(ValueError):
        book.penalize(PEER_A, "x", -1)


def test_score_book_is_bounded() -> None:
    book = ScoreBook(ScoringRules(), FakeClock(), capacity=3)
    for i in range(10):
        book.penalize(bytes([i]) * 20, "x", 1 + i)
    assert book.score(bytes([9]) * 20) == -10


def test_seen_cache_remembers_sessions_and_evicts_oldest() -> None:
    cache = SeenCache(capacity=2)
    first, second, third = (message_id(MessageKind.TX, p) for p in (b"1", b"2", b"3"))
    assert cache.observe(first, 7) is True
    assert cache.observe(first, 8) is False
    assert cache.has(first, 7) and cache.has(first, 8) and not cache.has(first, 9)
    cache.observe(second, None)
    cache.observe(third, None)
    assert first not in cache and second in cache and len(cache) == 2


def test_seen_cache_tells_a_re_send_from_a_relayed_copy() -> None:
    cache = SeenCache(capacity=4)
    vote = message_id(MessageKind.VOTE, b"v")
    assert cache.receive(vote, 7) is Arrival.FIRST
    assert cache.receive(vote, 8) is Arrival.DUPLICATE  # another peer's relay
    assert cache.receive(vote, 7) is Arrival.RESENT  # session 7 sends it again: send()
    ours = message_id(MessageKind.VOTE, b"ours")
    cache.observe(ours, None)
    cache.observe(ours, 9)  # we sent it on session 9; its relay crossing ours is no re-send
    assert cache.receive(ours, 9) is Arrival.DUPLICATE
    assert cache.receive(ours, 9) is Arrival.RESENT


def test_seen_cache_lets_one_re_send_per_interval_through() -> None:
    # A peer repeating one message on its session must not have every copy handed to the node.
    clock = FakeClock()
    cache = SeenCache(capacity=4, resend_interval=0.5, clock=clock)
    vote = message_id(MessageKind.VOTE, b"v")
    assert cache.receive(vote, 7) is Arrival.FIRST
    assert cache.receive(vote, 7) is Arrival.RESENT
    assert cache.receive(vote, 7) is Arrival.RESENT_TOO_SOON
    clock.now += 0.4
    assert cache.receive(vote, 7) is Arrival.RESENT_TOO_SOON
    assert cache.receive(vote, 8) is Arrival.DUPLICATE  # other sessions keep their own interval
    assert cache.receive(vote, 8) is Arrival.RESENT
    clock.now += 0.1
    assert cache.receive(vote, 7) is Arrival.RESENT  # the drivers' 1 s re-send still gets through
    assert cache.receive(vote, 7) is Arrival.RESENT_TOO_SOON


def test_message_id_depends_on_kind() -> None:
    assert message_id(MessageKind.TX, b"x") != message_id(MessageKind.VOTE, b"x")


def test_backoff_grows_to_the_maximum_with_jitter() -> None:
    rng = random.Random(1)
    delays = [reconnect_delay(n, 0.5, 30.0, rng.uniform) for n in range(12)]
    assert 0.25 <= delays[0] <= 0.5
    assert 2.0 <= delays[3] <= 4.0
    assert all(15.0 <= d <= 30.0 for d in delays[7:])


@pytest.mark.parametrize("kwargs,field", [
    ({"chain_id": -1}, "chain_id"),
    ({"static_peers": (("127.0.0.1", 0),)}, "static_peers"),
    ({"allowlist": frozenset({b"\x01"})}, "allowlist"),
    ({"ping_interval": 0}, "ping_interval"),
    ({"outbound_queue_frames": 0}, "outbound_queue_frames"),
    ({"relay_kinds": frozenset({MessageKind.STATUS})}, "relay_kinds"),
    ({"payload_caps": {MessageKind.TX: -1}}, "cap"),
    ({"reconnect_initial": 5.0, "reconnect_max": 1.0}, "reconnect_max"),
])
def test_config_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"chain_id": 1, **kwargs}
    with pytest.raises(ValueError, match=field):
        NetworkConfig(**arguments)  # type: ignore[arg-type]
