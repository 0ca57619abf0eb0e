"""EIP-1186 account and storage proofs (eth_getProof) straight from the committed tries.

Proof nodes are listed the way geth lists them: RLP-encoded, root first, leaving out nodes shorter
than 32 bytes that are embedded in their parent (a verifier finds those inside the parent).
"""

from __future__ import annotations

from collections.abc import Sequence

import rlp
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.rlp.accounts import Account
from eth_hash.auto import keccak
from rlp.sedes import big_endian_int
from trie import HexaryTrie

from ordo.core.call import AccountProof, StorageProof
from ordo.execution.state_source import KeyValueReader, OverlayDatabase

UINT256_CEILING = 2**256
HASH_LENGTH = 32


def _encoded_path(nodes: Sequence[object]) -> tuple[bytes, ...]:
    encoded = [rlp.encode(node) for node in nodes]
    return tuple(
        node for index, node in enumerate(encoded) if index == 0 or len(node) >= HASH_LENGTH
    )


def build_account_proof(
    reader: KeyValueReader, state_root: bytes, address: bytes, slots: Sequence[int]
) -> AccountProof:
    """Raises ValueError for a malformed address or slot; trie.exceptions.MissingTrieNode when
    the state of ``state_root`` is not in the store."""
    if len(address) != 20:
        raise ValueError(f"address must be 20 bytes, got {len(address)}")
    for slot in slots:
        if not 0 <= slot < UINT256_CEILING:
            raise ValueError(f"storage slot out of range: {slot}")
    database = OverlayDatabase(reader)
    account_trie = HexaryTrie(database, state_root)
    account_key = keccak(address)
    encoded_account = account_trie.get(account_key)
    if encoded_account:
        account = rlp.decode(encoded_account, sedes=Account)
        nonce, balance = int(account.nonce), int(account.balance)
        storage_root, code_hash = bytes(account.storage_root), bytes(account.code_hash)
    else:
        nonce, balance, storage_root, code_hash = 0, 0, BLANK_ROOT_HASH, EMPTY_SHA3
    storage_trie = HexaryTrie(database, storage_root)
    storage_proofs = []
    for slot in slots:
        slot_key = keccak(slot.to_bytes(32, "big"))
        encoded_value = storage_trie.get(slot_key)
        value = rlp.decode(encoded_value, sedes=big_endian_int) if encoded_value else 0
        storage_proofs.append(
            StorageProof(
                key=slot, value=value, proof=_encoded_path(storage_trie.get_proof(slot_key))
            )
        )
    return AccountProof(
        address=bytes(address),
        balance=balance,
        nonce=nonce,
        code_hash=code_hash,
        storage_hash=storage_root,
        account_proof=_encoded_path(account_trie.get_proof(account_key)),
        storage_proofs=tuple(storage_proofs),
    )
