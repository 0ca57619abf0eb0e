"""Network-wide consensus parameters: every node of one network must use the same values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Step(IntEnum):
    PROPOSE = 0
    PREVOTE = 1
    PRECOMMIT = 2


@dataclass(frozen=True)
class ConsensusParams:
    """Timeouts are in milliseconds and grow linearly with the round (base + round * delta), so
    that after the network stabilises some round is long enough for every correct node.

    ``max_round_lookahead`` bounds the rounds ahead of ours we keep messages for (a faulty
    validator could otherwise fill memory with votes for absurd rounds); ``max_proposals_per_round``
    bounds what a double-proposing proposer can make us store; ``max_buffered_messages`` bounds
    the messages for the next height kept until we get there.
    """

    chain_id: int
    epoch_length: int = 1000
    propose_base_ms: int = 600
    propose_delta_ms: int = 500
    prevote_base_ms: int = 500
    prevote_delta_ms: int = 250
    precommit_base_ms: int = 500
    precommit_delta_ms: int = 250
    max_round_lookahead: int = 10_000
    max_proposals_per_round: int = 4
    max_buffered_messages: int = 1024

    def __post_init__(self) -> None:
        if not isinstance(self.chain_id, int) or not 0 <= self.chain_id < 2**256:
            raise ValueError("consensus params: chain id out of range")
        for name in (
            "epoch_length",
            "propose_base_ms",
            "prevote_base_ms",
            "precommit_base_ms",
            "max_round_lookahead",
            "max_proposals_per_round",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"consensus params: {name} must be a positive integer")
        for name in (
            "propose_delta_ms",
            "prevote_delta_ms",
            "precommit_delta_ms",
            "max_buffered_messages",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"consensus params: {name} must be a non-negative integer")

    def timeout_ms(self, step: Step, round_: int) -> int:
        if step == Step.PROPOSE:
            return self.propose_base_ms + round_ * self.propose_delta_ms
        if step == Step.PREVOTE:
            return self.prevote_base_ms + round_ * self.prevote_delta_ms
        return self.precommit_base_ms + round_ * self.precommit_delta_ms
