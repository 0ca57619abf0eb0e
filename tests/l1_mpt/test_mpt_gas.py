"""The gas of Mpt.vy's read and write (the module alone, proofs in calldata), for the path of a
trie of a million keys and for the deepest path a trie of 32-byte keys can have; the numbers
docs/fault_proofs.md 1.3.1 states. Calldata (16 gas a non-zero byte) comes on top."""

from __future__ import annotations

from eth_abi import decode
from hexbytes import HexBytes
from web3.contract import Contract

from ordo.faultproof import mpt_proof
from tests.faultproof.mpt_cases import KEY, comb_trie

# Five full branches, one of two children, the leaf: the path of a key in a random trie of
# 10^6 keys (16^5 ~ 10^6).
MILLION_KEYS = {0: 15, 1: 15, 2: 15, 3: 15, 4: 15, 5: 1}
# 64 branches of 16 children: the most a 64-nibble key can cross.
DEEPEST = {depth: 15 for depth in range(64)}


def _gas(chain_probe: Contract, function: str, args: list[object], proof: bytes,
         extra: bytes = b"") -> int:
    """Call a gas probe function with the proof and extra appended to its calldata."""
    w3 = chain_probe.w3
    placeholder = [*args]
    data = HexBytes(chain_probe.encode_abi(function, args=placeholder))
    proof_at = len(data)
    if function == "read_gas":
        args = [args[0], args[1], proof_at, len(proof)]
    else:
        args = [args[0], args[1], args[2], proof_at, len(proof), proof_at + len(proof),
                len(extra)]
    data = HexBytes(chain_probe.encode_abi(function, args=args))
    assert len(data) == proof_at
    result = w3.eth.call({"to": chain_probe.address, "data": bytes(data) + proof + extra})
    return int(decode(["uint256"], result)[0])


def _measure(gas_probe: Contract, shape: dict[int, int], value_size: int) -> dict[str, int]:
    trie = comb_trie(KEY, shape, value_size)
    root = trie.root_hash
    proof = mpt_proof.pack_proof(mpt_proof.build_proof(trie.db, root, KEY))
    deletion = mpt_proof.build_write_witness(trie.db, root, KEY, None)
    return {
        "nodes": len(mpt_proof.build_proof(trie.db, root, KEY)),
        "proof_bytes": len(proof),
        "read": _gas(gas_probe, "read_gas", [root, KEY, 0, 0], proof),
        "write": _gas(gas_probe, "write_gas", [root, KEY, b"\x09" * value_size, 0, 0, 0, 0],
                      proof),
        "delete": _gas(gas_probe, "write_gas", [root, KEY, b"", 0, 0, 0, 0],
                       mpt_proof.pack_proof(deletion.proof), deletion.extra),
    }


def test_gas_of_a_million_key_trie_and_of_the_deepest_path(gas_probe: Contract) -> None:
    typical = _measure(gas_probe, MILLION_KEYS, 33)
    account = _measure(gas_probe, MILLION_KEYS, 110)
    deepest = _measure(gas_probe, DEEPEST, 33)
    print(f"\nMpt gas: 10^6 keys, storage values {typical}; account values {account}; "
          f"deepest path {deepest}")
    assert typical["nodes"] == 7 and deepest["nodes"] == 65
