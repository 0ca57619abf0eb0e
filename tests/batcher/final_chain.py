"""Synthetic final L2 blocks as a node stores them (builders are validator keys), for planning
tests: deterministic, so two "nodes" built from the same seed hold the same chain."""

from __future__ import annotations

import random
from collections.abc import Sequence

from eth_hash.auto import keccak

from ordo.batcher.batch_plan import FinalBlock
from ordo.core.batch_blocks import BatchBlock

GAS_LIMIT = 30_000_000


def final_chain(count: int, builders: Sequence[bytes], *, transactions: int = 3,
                transaction_size: int = 120, seed: int = 7) -> list[FinalBlock]:
    """Blocks 1..count, built in turn by ``builders``, each with ``transactions`` random
    (incompressible) raw transactions of ``transaction_size`` bytes."""
    source = random.Random(seed)
    blocks = []
    for number in range(1, count + 1):
        builder = builders[(number - 1) % len(builders)]
        origin = (1_000 + number // 4).to_bytes(8, "big")
        batch_block = BatchBlock(
            number=number, timestamp=1_700_000_000 + number, coinbase=builder,
            gas_limit=GAS_LIMIT, extra_data=builder + origin,
            mix_hash=keccak(b"l1 origin" + origin),
            transactions=tuple(source.randbytes(transaction_size)
                               for _ in range(transactions)))
        blocks.append(FinalBlock(batch_block, keccak(b"block" + number.to_bytes(8, "big")),
                                 keccak(b"output" + number.to_bytes(8, "big")), builder))
    return blocks

