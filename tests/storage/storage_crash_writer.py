"""Child process of the crash-consistency test: commits blocks forever until it is SIGKILLed.

Each round journals the next block's transactions plus one that will be dropped, then commits the
block with its state writes, certificate, finality and the dropped transaction's journal removal.
Everything is derived from the block number, so the parent can check exactly what must be there.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ordo.storage.chain_store import ChainStore
from tests.storage.storage_chain_builder import (
    build_block,
    certificate_for,
    genesis_block,
    next_nonce,
    signed_transaction,
    state_writes_for,
)

TXS_PER_BLOCK = 4
STATE_WRITES_PER_BLOCK = 300
DROPPED_KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")


def dropped_transaction(number: int) -> tuple[bytes, bytes]:
    """A transaction journaled with block ``number`` and removed by its commit, never included."""
    decoded = signed_transaction(number, key=DROPPED_KEY)
    return decoded.hash, decoded.raw


def main(path: Path) -> None:
    store = ChainStore(path, map_size=512 * 2**20)
    if store.head_number() is None:
        store.commit_block(genesis_block(), state_writes_for(0), certificate=certificate_for(0),
                           finalized_number=0)
    print("ready", flush=True)
    while True:
        head = store.head()
        assert head is not None
        number = head.number + 1
        nonce = next_nonce(store)
        txs = [signed_transaction(nonce + i) for i in range(TXS_PER_BLOCK)]
        dropped = dropped_transaction(number)
        store.journal_add([(d.hash, d.raw) for d in txs] + [dropped])
        store.commit_block(
            build_block(number, head.hash, txs),
            state_writes_for(number, STATE_WRITES_PER_BLOCK),
            certificate=certificate_for(number),
            journal_removals=[dropped[0]],
            finalized_number=number - 1,
        )
        print(f"committed {number}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
