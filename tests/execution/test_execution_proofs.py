from __future__ import annotations

import pytest
import rlp
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.rlp.accounts import Account
from eth_utils import keccak
from rlp.sedes import big_endian_int
from trie import HexaryTrie

from ordo.core.call import AccountProof
from tests.execution.execution_chain import LocalChain, address_of, calldata, sign

GWEI = 10**9


def proven_account(root: bytes, proof: AccountProof) -> bytes:
    nodes = [rlp.decode(node) for node in proof.account_proof]
    return HexaryTrie.get_from_proof(root, keccak(proof.address), nodes)


def test_proof_of_funded_account_verifies(chain: LocalChain, keys: list[bytes]) -> None:
    address = address_of(keys[0])
    header = chain.head
    proof = chain.engine.get_proof(header, address, [])
    encoded = proven_account(header.state_root, proof)
    account = rlp.decode(encoded, sedes=Account)
    assert account.balance == proof.balance == chain.engine.get_balance(header, address)
    assert account.nonce == proof.nonce == 0
    assert proof.code_hash == EMPTY_SHA3 and proof.storage_hash == BLANK_ROOT_HASH
    assert proof.account_proof[0] == rlp.encode(rlp.decode(proof.account_proof[0]))
    assert keccak(proof.account_proof[0]) == header.state_root


def test_proof_of_absent_account_proves_absence(chain: LocalChain) -> None:
    proof = chain.engine.get_proof(chain.head, b"\x42" * 20, [5])
    assert proven_account(chain.head.state_root, proof) == b""
    assert (proof.balance, proof.nonce) == (0, 0)
    assert proof.storage_proofs[0].value == 0 and proof.storage_proofs[0].proof == ()


def test_storage_proof_verifies(chain: LocalChain, keys: list[bytes], recorder) -> None:
    bytecode, _ = recorder
    deploy = sign(keys[0], chain.genesis.chain_id, nonce=0, gas=1_000_000,
                  gasPrice=chain.next_base_fee() + GWEI, data=bytecode)
    chain.build([deploy])
    contract = keccak(rlp.encode([address_of(keys[0]), 0]))[12:]
    store = sign(keys[0], chain.genesis.chain_id, nonce=1, gas=100_000,
                 gasPrice=chain.next_base_fee() + GWEI, to=contract,
                 data=calldata("store(uint256)", ["uint256"], [99]))
    chain.build([store])
    header = chain.head

    proof = chain.engine.get_proof(header, contract, [0, 1, 7])
    account = rlp.decode(proven_account(header.state_root, proof), sedes=Account)
    assert account.storage_root == proof.storage_hash != BLANK_ROOT_HASH
    assert account.code_hash == proof.code_hash == keccak(chain.engine.get_code(header, contract))
    values = {}
    for slot_proof in proof.storage_proofs:
        nodes = [rlp.decode(node) for node in slot_proof.proof]
        encoded = HexaryTrie.get_from_proof(
            proof.storage_hash, keccak(slot_proof.key.to_bytes(32, "big")), nodes
        )
        proven = rlp.decode(encoded, sedes=big_endian_int) if encoded else 0
        assert proven == slot_proof.value
        values[slot_proof.key] = proven
    assert values == {0: 99, 1: 99, 7: 0}  # stored, total, untouched


def test_proof_rejects_bad_slot(chain: LocalChain) -> None:
    with pytest.raises(ValueError, match="storage slot out of range"):
        chain.engine.get_proof(chain.head, b"\x01" * 20, [2**256])
