"""Account reads of committed state walked by the native extension (``ordo._native``).

Every transaction a node receives, over RPC or by gossip, is admitted against its sender's nonce
and balance at the head, and every committed block re-reads the nonce and balance of each sender
it touched. py-evm's ``AccountDB`` walks the trie in Python for each of those reads: about
0.2 ms apiece, a third of a loaded node's CPU (docs/native_engine.md, "Profile"). The extension
walks the same trie nodes, read through the same ``KeyValueReader``, for the cost of one store
read per node, so it answers exactly what py-evm would (tests/native/test_native_reads.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.core.errors import UnknownBlock
from ordo.core.native_loader import native_module
from ordo.execution.state_source import KeyValueReader


@dataclass(frozen=True)
class AccountState:
    """One account as the state trie stores it."""

    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes


def read_account(reader: KeyValueReader, state_root: bytes, address: bytes) -> AccountState | None:
    """The account of ``address`` at ``state_root``, None where the trie has none. Raises
    ValueError for a malformed address or root, UnknownBlock when the store lacks a node on the
    account's path (the state was never committed here)."""
    if len(address) != 20:
        raise ValueError(f"address must be 20 bytes, got {len(address)}")
    if len(state_root) != 32:
        raise ValueError(f"state root must be 32 bytes, got {len(state_root)}")
    native = native_module()
    try:
        found = native.read_account(reader.get, state_root, address)
    except native.MissingState as error:
        raise UnknownBlock(f"state root 0x{state_root.hex()} is not available: {error}") from error
    if found is None:
        return None
    nonce, balance, storage_root, code_hash = found
    return AccountState(nonce, balance, storage_root, code_hash)
