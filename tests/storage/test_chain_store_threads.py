"""Readers on one thread while a worker thread commits: every read sees a whole block."""

from __future__ import annotations

import threading

from ordo.storage.chain_store import ChainStore
from tests.storage.storage_chain_builder import (
    build_block,
    certificate_for,
    genesis_block,
    signed_transaction,
    state_writes_for,
)

BLOCKS = 40


def test_concurrent_reads_see_only_committed_blocks(store: ChainStore) -> None:
    genesis = genesis_block()
    store.commit_block(genesis, state_writes_for(0))
    blocks = [genesis]
    for number in range(1, BLOCKS + 1):
        txs = [signed_transaction(2 * (number - 1) + i) for i in range(2)]
        blocks.append(build_block(number, blocks[-1].block.hash, txs))
    failures: list[str] = []

    def commit_all() -> None:
        try:
            for executed in blocks[1:]:
                number = executed.block.number
                store.commit_block(
                    executed, state_writes_for(number), certificate=certificate_for(number)
                )
        except Exception as error:  # reported to the main thread's assertion
            failures.append(f"writer: {error!r}")

    writer = threading.Thread(target=commit_all)
    writer.start()
    reader = store.state_reader()
    reads = 0
    while writer.is_alive() or reads == 0:
        head = store.head()
        assert head is not None
        expected = blocks[head.number].block
        if head.hash != expected.hash:
            failures.append(f"head {head.number} has the wrong hash")
        if len(store.get_receipts(head.hash)) != len(head.transactions):
            failures.append(f"receipts of {head.number} missing")
        for key, value in state_writes_for(head.number).items():
            if reader.get(key) != value:
                failures.append(f"state of {head.number} missing")
        for index, tx in enumerate(head.transactions):
            location = store.get_transaction_location(bytes(tx.hash))
            if location is None or location.index != index:
                failures.append(f"tx index of {head.number} missing")
        reads += 1
    writer.join()
    assert failures == []
    assert store.head_number() == BLOCKS
    assert reads > 1, "the reader never overlapped the writer"
