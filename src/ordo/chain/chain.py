"""The chain: committed blocks on disk (ChainStore) and the EVM that reads and extends them.

This joins the store and the execution engine so that its users (the node, the dev L1, the
derivation verifier, the bridge's readers) never have to know
which state root belongs to which block number, and so that every commit is one atomic write of
block, receipts, state and indexes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from eth.abc import BlockHeaderAPI

from ordo.core.errors import UnknownBlock
from ordo.core.genesis import Genesis
from ordo.execution.engine_choice import PY_EVM, make_engine
from ordo.storage.chain_store import ChainStore

log = logging.getLogger(__name__)

GENESIS_HASH_KEY = "genesis_hash"
BLOCKHASH_WINDOW = 256


class GenesisMismatchError(Exception):
    """The data directory holds a chain that started from another genesis."""


class Chain:
    def __init__(self, store: ChainStore, genesis: Genesis, engine: str = PY_EVM,
                 shadow_check: int = 0) -> None:
        """``engine`` names the block executor (ordo.execution.engine_choice): a node passes its
        configured one; readers, derivation and the dev L1 keep the py-evm reference.
        ``shadow_check`` N > 0 re-executes every Nth native block with py-evm."""
        self.store = store
        self.genesis = genesis
        self.engine = make_engine(engine, genesis, store.state_reader(), self.ancestor_hashes,
                                  shadow_check)
        self._ensure_genesis()

    def _ensure_genesis(self) -> None:
        executed, state_writes = self.engine.genesis_block()
        stored = self.store.get_meta(GENESIS_HASH_KEY)
        if stored is None:
            self.store.commit_block(executed, state_writes, finalized_number=0)
            self.store.put_meta(GENESIS_HASH_KEY, executed.block.hash)
            log.info("initialised chain at genesis 0x%s", executed.block.hash.hex())
        elif stored != executed.block.hash:
            raise GenesisMismatchError(
                f"data directory holds a chain with genesis 0x{stored.hex()}, but the genesis "
                f"file gives 0x{executed.block.hash.hex()}"
            )

    # --- reads ---------------------------------------------------------------------------------
    def head_number(self) -> int:
        number = self.store.head_number()
        assert number is not None, "genesis is committed at open"
        return number

    def head_header(self) -> BlockHeaderAPI:
        return self.header_at(self.head_number())

    def header_at(self, number: int) -> BlockHeaderAPI:
        header = self.store.get_header_by_number(number)
        if header is None:
            raise UnknownBlock(f"header not found: block {number}")
        return header

    def ancestor_hashes(self, block_hash: bytes) -> Sequence[bytes]:
        """``[block_hash, parent, ...]`` newest first, up to 256 (BLOCKHASH), from the store."""
        block = self.store.get_block_by_hash(block_hash)
        if block is None:
            return [block_hash]
        hashes = [block_hash]
        number = block.number - 1
        while number >= 0 and len(hashes) < BLOCKHASH_WINDOW:
            ancestor_hash = self.store.get_block_hash(number)
            if ancestor_hash is None:
                break
            hashes.append(ancestor_hash)
            number -= 1
        return hashes
