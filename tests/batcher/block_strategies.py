"""Hypothesis strategies for runs of BatchBlocks as a chain makes them: increasing numbers,
non-decreasing timestamps, header fields that often repeat."""

from __future__ import annotations

from hypothesis import strategies as st

from ordo.core.batch_blocks import BatchBlock

MAX_UINT64 = 2**64 - 1

transactions = st.lists(st.binary(min_size=1, max_size=300), max_size=6).map(tuple)
coinbases = st.sampled_from([b"\x01" * 20, b"\x02" * 20, bytes(20)]) | st.binary(min_size=20,
                                                                                   max_size=20)
mix_hashes = st.sampled_from([bytes(32), b"\x07" * 32]) | st.binary(min_size=32, max_size=32)
extras = st.sampled_from([b"", b"ordo"]) | st.binary(max_size=40)
gas_limits = st.sampled_from([30_000_000, 0]) | st.integers(0, MAX_UINT64)


@st.composite
def block_runs(draw: st.DrawFn, max_blocks: int = 8) -> list[BatchBlock]:
    count = draw(st.integers(1, max_blocks))
    number = draw(st.integers(0, 2**40))
    timestamp = draw(st.integers(0, 2**40))
    blocks = []
    for _ in range(count):
        blocks.append(BatchBlock(number, timestamp, draw(coinbases), draw(gas_limits),
                                 draw(extras), draw(mix_hashes), draw(transactions)))
        number += draw(st.sampled_from([1, 1, 2]) | st.integers(1, 2**20))
        timestamp += draw(st.sampled_from([0, 1, 2, 2**33]))
    return blocks
