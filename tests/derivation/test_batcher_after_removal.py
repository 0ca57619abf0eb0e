"""The node's batcher after a lost dispute, against a real inbox on anvil: a signed batch with
another output root than the node's chain is a conflict (it must be disputed, nothing is
posted); once the inbox removes it (its dispute game lost) the conflict is over and the batcher
plans its own chain again from the inbox's position."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ordo.l1.client import L1Client
from ordo.node.batcher_service import BatcherService
from tests.derivation.command_runs import l1_url
from tests.derivation.l2_chain_maker import L2ChainMaker, batch_block_of
from tests.derivation.rollup_posting import BatchEnd, post_calldata_batch
from tests.derivation.test_l1_derivation import end_of, made  # noqa: F401
from tests.derivation.test_removed_derivation import remove, rollup  # noqa: F401
from tests.l1_inbox.rollup_setup import RollupSetup


def test_a_removed_wrong_batch_ends_the_conflict_and_the_chain_is_planned_again(
        rollup: RollupSetup, made: L2ChainMaker, tmp_path: Path) -> None:  # noqa: F811
    posted = [batch_block_of(block) for block in made.blocks]
    post_calldata_batch(rollup, 0, posted[0:4], end_of(made, 4))
    wrong = post_calldata_batch(rollup, 1, posted[4:8],
                                BatchEnd(made.blocks[7].hash, b"\x66" * 32))

    async def run() -> list[Any]:
        async with L1Client(l1_url(rollup)) as client:
            service = BatcherService(
                made.store, client, rollup.inbox_address, made.genesis.chain_id,
                rollup.keys[0].private_key, 4, lambda _epoch: None, lambda: None,
                lambda _payload: None, 1, lambda header: made.output_root(
                    int(header.block_number)))
            seen: list[Any] = []
            posted_through = await service._catch_up_with_inbox(0)
            seen.append((posted_through, service.conflict, service.status()["nextIndex"]))
            await asyncio.to_thread(remove, rollup, wrong)
            posted_through = await service._catch_up_with_inbox(posted_through)
            status = service.status()
            seen.append((posted_through, service.conflict, status["nextIndex"],
                         status["rewinds"], service._next_block))
            return seen

    conflicted, rewound = asyncio.run(run())
    assert conflicted[0] == 2 and conflicted[2] is None
    assert conflicted[1] is not None and "it must be disputed" in conflicted[1]
    assert "until the inbox removes it" in conflicted[1]
    assert rewound == (1, None, 1, 1, 5)
