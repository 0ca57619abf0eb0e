"""Timers and pacing alone (node/proposal_pacer.py), on a fake clock and timer queue: the round-0
propose timer and the build wait for the producer's moment, everything else is armed as asked,
and requests of a (height, round) the machine left are dropped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ordo.consensus import ProposeRequest, ScheduleTimeout, Step, TimeoutFired
from ordo.node.production_policy import QUIET_PENDING
from ordo.node.proposal_pacer import ProposalPacer

BLOCK_TIME, HEARTBEAT = 0.25, 2.0
PARENT = b"\x01" * 32


@dataclass
class Timer:
    at: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class Loop:
    now: float = 100.0
    timers: list[Timer] = field(default_factory=list)
    fired: list[TimeoutFired] = field(default_factory=list)
    built: list[ProposeRequest] = field(default_factory=list)
    pending: int = 0
    current: tuple[int, int] = (5, 0)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while True:
            due = [t for t in self.timers if not t.cancelled and t.at <= self.now]
            if not due:
                return
            timer = min(due, key=lambda t: t.at)
            self.timers.remove(timer)
            timer.callback()

    def pacer(self) -> ProposalPacer:
        return ProposalPacer(BLOCK_TIME, HEARTBEAT, lambda: self.pending, lambda: self.current,
                             self.fired.append, self.built.append, self.call_later,
                             lambda: self.now)


def test_round_zero_propose_timer_waits_for_the_producers_moment() -> None:
    loop = Loop()
    pacer = loop.pacer()
    pacer.schedule(ScheduleTimeout(5, 0, Step.PROPOSE, 600))
    loop.advance(1.0)
    assert loop.fired == []  # nothing pending: not before the heartbeat
    loop.pending = 1
    pacer.on_transaction()  # a quiet chain: armed now, fires after its 600 ms
    loop.advance(0.59)
    assert loop.fired == []
    loop.advance(0.02)
    assert loop.fired == [TimeoutFired(5, 0, Step.PROPOSE)]


def test_a_busy_chain_arms_and_builds_after_the_block_time() -> None:
    loop = Loop(pending=QUIET_PENDING + 1)
    pacer = loop.pacer()
    pacer.committed()
    pacer.request_build(ProposeRequest(5, 0, PARENT))
    pacer.schedule(ScheduleTimeout(5, 0, Step.PROPOSE, 600))
    assert loop.built == []
    loop.advance(BLOCK_TIME)
    assert loop.built == [ProposeRequest(5, 0, PARENT)]
    loop.advance(0.6)
    assert loop.fired == [TimeoutFired(5, 0, Step.PROPOSE)]


def test_quiet_chain_builds_at_once_and_idle_one_at_the_heartbeat() -> None:
    loop = Loop()
    pacer = loop.pacer()
    pacer.committed()
    pacer.request_build(ProposeRequest(5, 0, PARENT))
    loop.advance(HEARTBEAT - 0.01)
    assert loop.built == []
    loop.advance(0.01)
    assert loop.built == [ProposeRequest(5, 0, PARENT)]  # the empty heartbeat block
    loop.current = (6, 0)
    pacer.committed()
    pacer.request_build(ProposeRequest(6, 0, PARENT))
    loop.pending = 1
    pacer.on_transaction()
    assert loop.built[-1] == ProposeRequest(6, 0, PARENT)  # no block time after the commit


def test_later_rounds_build_at_once_and_other_timers_arm_as_asked() -> None:
    loop = Loop(current=(5, 2))
    pacer = loop.pacer()
    pacer.request_build(ProposeRequest(5, 2, PARENT))
    assert loop.built == [ProposeRequest(5, 2, PARENT)]
    pacer.schedule(ScheduleTimeout(5, 2, Step.PRECOMMIT, 1000))
    loop.advance(1.0)
    assert loop.fired == [TimeoutFired(5, 2, Step.PRECOMMIT)]


def test_requests_of_a_round_the_machine_left_are_dropped() -> None:
    loop = Loop()
    pacer = loop.pacer()
    pacer.request_build(ProposeRequest(5, 0, PARENT))
    pacer.schedule(ScheduleTimeout(5, 0, Step.PROPOSE, 600))
    loop.current = (5, 1)
    loop.advance(HEARTBEAT + 1)
    assert loop.built == [] and loop.fired == []
    pacer.reset()
    pacer.stop()
