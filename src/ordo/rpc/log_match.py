"""Which logs a filter selects: addresses OR-ed, topic positions AND-ed, alternatives OR-ed.

Pure functions shared by eth_getLogs, log filters and "logs" subscriptions, so the three always
agree. The bloom pre-check lets eth_getLogs skip blocks without reading their logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_bloom import BloomFilter

from ordo.core.block import LogRecord


@dataclass(frozen=True)
class LogCriteria:
    """``topics[i]`` empty means any topic at position i (a null or [] in the request)."""

    addresses: frozenset[bytes] = frozenset()
    topics: tuple[frozenset[bytes], ...] = ()

    def matches(self, log: LogRecord) -> bool:
        if self.addresses and log.address not in self.addresses:
            return False
        # geth: a log with fewer topics than the filter has positions never matches.
        if len(self.topics) > len(log.topics):
            return False
        return all(
            not alternatives or topic in alternatives
            for alternatives, topic in zip(self.topics, log.topics, strict=False)
        )

    def may_match_bloom(self, bloom: int) -> bool:
        """False when the block's logs bloom proves no log of the block can match."""
        if not self.addresses and not any(self.topics):
            return True
        bloom_filter = BloomFilter(bloom)
        if self.addresses and not any(address in bloom_filter for address in self.addresses):
            return False
        return all(
            not alternatives or any(topic in bloom_filter for topic in alternatives)
            for alternatives in self.topics
        )
