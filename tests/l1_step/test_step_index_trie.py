"""StepIndexTrie (the transaction-end step's insertion into the receipts and transactions tries,
docs/fault_proofs.md 4.3) against the reference ``index_trie.insert`` (py-trie's HexaryTrie over
exactly the given nodes): the same root for every insertion of a growing trie (keys rlp(0) ..
rlp(300): one-, two- and three-byte keys, leaves split at every depth, values from 40 bytes to
50 KB), and the reference's refusals refused on chain with a reason."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from eth_abi import encode
from eth_hash.auto import keccak
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from ordo.faultproof import index_trie
from ordo.faultproof.mpt_proof import BLANK_ROOT
from tests.l1_contracts.anvil_chain import AnvilChain

SELECTOR = keccak(b"insert(bytes32,uint256,uint256,uint256)")[:4]


@pytest.fixture(scope="module")
def trie_service(chain: AnvilChain) -> Contract:
    return chain.deploy("step/StepIndexTrie")


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 32)


def calldata(root: bytes, index: int, value: bytes, proof: Sequence[bytes]) -> bytes:
    nodes = b"".join(len(node).to_bytes(32, "big") + _padded(node) for node in proof)
    return (SELECTOR + encode(["bytes32", "uint256", "uint256", "uint256"],
                              [root, index, len(value), len(proof)]) + _padded(value) + nodes)


def on_chain(chain: AnvilChain, service: Contract, data: bytes) -> bytes | str:
    try:
        return bytes(chain.w3.eth.call({"to": service.address, "data": data,
                                        "gas": 29_000_000}))
    except ContractLogicError as error:
        return str(error.message).removeprefix("execution reverted: ")


def _value(rng: random.Random, index: int) -> bytes:
    size = 50_000 if index == 7 else rng.choice([40, 77, 120, 300, 1_200])
    return bytes(rng.getrandbits(8) for _ in range(size))


def test_every_insertion_gives_the_references_root(chain: AnvilChain,
                                                   trie_service: Contract) -> None:
    rng = random.Random(4)
    db: dict[bytes, bytes] = {}
    root = BLANK_ROOT
    order = [*range(140), 255, 256, 300, 1_000]
    for index in order:
        value = _value(rng, index)
        proof = index_trie.build_proof(db, root, index)
        expected = index_trie.insert(root, index, value, proof)
        assert on_chain(chain, trie_service, calldata(root, index, value, proof)) == expected, \
            index
        root = index_trie.insert_into(db, root, index, value)
        assert root == expected


def test_refusals(chain: AnvilChain, trie_service: Contract) -> None:
    rng = random.Random(5)
    db: dict[bytes, bytes] = {}
    root = BLANK_ROOT
    for index in range(20):
        root = index_trie.insert_into(db, root, index, _value(rng, 1))
    value = _value(rng, 1)
    proof = index_trie.build_proof(db, root, 20)
    assert len(proof) >= 2

    def answer(root_: bytes, index: int, proof_: Sequence[bytes]) -> bytes | str:
        return on_chain(chain, trie_service, calldata(root_, index, value, proof_))

    path = "StepVerifier: the proof is not exactly the key's path, root first"
    assert answer(root, 20, proof[:-1]) == "StepVerifier: the proof lacks a node on the key's path"
    assert answer(root, 20, [*proof, proof[-1]]) == path
    assert answer(root, 20, [proof[0], keccak(proof[1]) + proof[1]]) == path
    assert answer(bytes(32), 20, proof) == path
    present = index_trie.build_proof(db, root, 3)
    assert answer(root, 3, present) == "StepVerifier: the key is already in the trie"
    assert on_chain(chain, trie_service, calldata(root, 20, b"", proof)) == \
        "StepVerifier: an empty value is a deletion, never inserted"
    assert answer(root, 20, []) == "StepVerifier: the proof lacks a node on the key's path"
    with pytest.raises(index_trie.IndexTrieError):
        index_trie.insert(root, 3, value, present)


def test_insertion_gas(chain: AnvilChain, trie_service: Contract) -> None:
    """The L1 gas of an insertion (calldata included) into a trie of 130 keys, for a receipt
    of a few hundred bytes and one of 58 KB (the largest under the proposed 48-log rule)."""
    rng = random.Random(6)
    db: dict[bytes, bytes] = {}
    root = BLANK_ROOT
    for index in range(130):
        root = index_trie.insert_into(db, root, index, _value(rng, 1))
    proof = index_trie.build_proof(db, root, 130)
    gas = {}
    for size in (600, 58_000):
        value = bytes(rng.getrandbits(8) for _ in range(size))
        gas[size] = chain.w3.eth.estimate_gas({"to": trie_service.address,
                                               "data": calldata(root, 130, value, proof)})
    print(f"index-trie insertion gas: {gas}")
    assert gas[600] < 500_000 and gas[58_000] < 3_000_000
