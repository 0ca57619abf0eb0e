"""Proofs as a real node serves them: anvil's eth_getProof for an account (against the block's
state root) and for storage slots set and unset (against the account's storage root), packed
and read by mpt_proof and by Mpt.vy alike."""

from __future__ import annotations

import rlp
from eth_hash.auto import keccak
from web3.contract import Contract
from web3.types import RPCEndpoint

from ordo.faultproof import mpt_proof
from tests.l1_contracts.anvil_chain import AnvilChain

HOLDER = "0x00000000000000000000000000000000000c0ffe"
SLOTS = {slot: value for slot, value in
         [(0, 1), (1, 255), (2, 2**255 + 7), (3, 10**18)] + [(slot, slot * 3) for slot in
                                                            range(10, 70)]}


def _set_storage(chain: AnvilChain) -> None:
    for slot, value in SLOTS.items():
        chain.w3.provider.make_request(RPCEndpoint("anvil_setStorageAt"), [
            HOLDER, "0x" + slot.to_bytes(32, "big").hex(), "0x" + value.to_bytes(32, "big").hex()])
    chain.w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [HOLDER, hex(5 * 10**18)])
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])


def _read_both(probe: Contract, root: bytes, key: bytes, nodes: list[bytes]) -> bytes | None:
    proof = mpt_proof.pack_proof(nodes)
    value = mpt_proof.read(root, key, proof)
    assert probe.functions.read(root, key, proof).call() == [value is not None, value or b""]
    return value


def test_eth_get_proof_reads_through_both_sides(chain: AnvilChain, probe: Contract) -> None:
    _set_storage(chain)
    block = chain.w3.eth.get_block("latest")
    asked = [2, 3, 40, 69, 1000]  # 1000 was never set: an absence proof
    answer = chain.w3.provider.make_request(RPCEndpoint("eth_getProof"), [
        HOLDER, ["0x" + slot.to_bytes(32, "big").hex() for slot in asked], hex(block["number"])])
    result = answer["result"]
    account_nodes = [bytes.fromhex(node[2:]) for node in result["accountProof"]]
    account = _read_both(probe, bytes(block["stateRoot"]), keccak(bytes.fromhex(HOLDER[2:])),
                         account_nodes)
    assert account is not None
    nonce, balance, storage_root, code_hash = rlp.decode(account)
    assert (nonce, code_hash) == (b"", keccak(b""))
    assert int.from_bytes(balance, "big") == 5 * 10**18
    assert storage_root == bytes.fromhex(result["storageHash"][2:])
    for slot, entry in zip(asked, result["storageProof"], strict=True):
        nodes = [bytes.fromhex(node[2:]) for node in entry["proof"]]
        value = _read_both(probe, storage_root, keccak(slot.to_bytes(32, "big")), nodes)
        if slot in SLOTS:
            assert value == rlp.encode(SLOTS[slot])
        else:
            assert value is None
