"""The L2ToL1MessagePasser predeploy on the real engine: a withdrawal records its hash at the
slot the portal proves, burns the ETH, and the output root commits to the record."""

from __future__ import annotations

import rlp
from eth.constants import BLANK_ROOT_HASH
from eth_abi import encode
from eth_utils import keccak
from rlp.sedes import big_endian_int
from trie import HexaryTrie

from ordo.core.output_root import compute_output_root
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS, message_passer_code
from ordo.execution.output_roots import output_root_at
from ordo.l1.compiler import compile_contract
from ordo.settlement.withdrawal import Withdrawal, withdrawal_from_log
from tests.execution.execution_chain import LocalChain, address_of, calldata, sign

GWEI = 10**9
TARGET = bytes.fromhex("00000000000000000000000000000000000071a7")
INITIATE = "initiate_withdrawal(address,uint256,bytes)"


def withdraw(chain: LocalChain, key: bytes, nonce: int, value: int, data: bytes = b"",
             gas_limit: int = 100_000) -> tuple[object, object]:
    transaction = sign(key, chain.genesis.chain_id, nonce=nonce, to=MESSAGE_PASSER_ADDRESS,
                       value=value, gas=200_000, maxFeePerGas=chain.next_base_fee() * 2,
                       maxPriorityFeePerGas=GWEI,
                       data=calldata(INITIATE, ["address", "uint256", "bytes"],
                                     [TARGET, gas_limit, data]))
    result = chain.build([transaction])
    assert not result.skipped
    return result, result.executed.receipts[0]


def test_the_shipped_code_is_the_compiled_source() -> None:
    assert message_passer_code() == compile_contract("L2ToL1MessagePasser").runtime_bytecode


def test_a_withdrawal_is_recorded_where_the_portal_looks_and_its_eth_burned(
        chain: LocalChain, keys: list[bytes]) -> None:
    sender = address_of(keys[3])
    before = chain.engine.get_balance(chain.head, sender)
    assert output_root_at(chain.engine, chain.head).message_passer_storage_root == \
        BLANK_ROOT_HASH
    result, receipt = withdraw(chain, keys[3], 0, 2 * 10**18, data=b"\xca\xfe")
    assert receipt.state_root == b"\x01"
    header = chain.head
    transaction = result.executed.block.transactions[0]
    price = min(transaction.max_fee_per_gas, header.base_fee_per_gas + GWEI)
    assert chain.engine.get_balance(header, sender) == before - 2 * 10**18 - \
        receipt.gas_used * price
    # The ETH left L2: neither the passer nor the burner it created holds it.
    burner = keccak(rlp.encode([MESSAGE_PASSER_ADDRESS, 1]))[12:]
    assert chain.engine.get_balance(header, MESSAGE_PASSER_ADDRESS) == 0
    assert chain.engine.get_balance(header, burner) == 0
    assert chain.engine.get_code(header, burner) == b""

    (log,) = receipt.logs
    withdrawal = withdrawal_from_log(bytes(log.address), [t.to_bytes(32, "big") for t in
                                                          log.topics], bytes(log.data))
    assert withdrawal == Withdrawal(0, sender, TARGET, 2 * 10**18, 100_000, b"\xca\xfe")
    assert withdrawal.hash == keccak(encode(
        ["uint256", "address", "address", "uint256", "uint256", "bytes"],
        [0, sender, TARGET, 2 * 10**18, 100_000, b"\xca\xfe"]))
    # Vyper's HashMap slot is keccak256(slot ++ key): the formula the portal relies on.
    assert withdrawal.storage_slot == int.from_bytes(
        keccak(bytes(32) + withdrawal.hash), "big")
    assert chain.engine.get_storage_at(header, MESSAGE_PASSER_ADDRESS,
                                       withdrawal.storage_slot) == 1
    assert chain.engine.get_storage_at(header, MESSAGE_PASSER_ADDRESS, 1) == 1, "nonce"

    output = output_root_at(chain.engine, header)
    assert output.root == compute_output_root(bytes(header.state_root),
                                              output.message_passer_storage_root, header.hash)
    proof = chain.engine.get_proof(header, MESSAGE_PASSER_ADDRESS, [withdrawal.storage_slot])
    assert proof.storage_hash == output.message_passer_storage_root
    nodes = [rlp.decode(node) for node in proof.storage_proofs[0].proof]
    value = HexaryTrie.get_from_proof(output.message_passer_storage_root,
                                      keccak(withdrawal.storage_slot.to_bytes(32, "big")), nodes)
    assert rlp.decode(value, sedes=big_endian_int) == 1


def test_each_withdrawal_gets_its_own_nonce_and_hash(chain: LocalChain,
                                                     keys: list[bytes]) -> None:
    _, first = withdraw(chain, keys[1], 0, 10**18)
    _, second = withdraw(chain, keys[1], 1, 10**18)
    logged = [withdrawal_from_log(bytes(r.logs[0].address),
                                  [t.to_bytes(32, "big") for t in r.logs[0].topics],
                                  bytes(r.logs[0].data)) for r in (first, second)]
    assert [w.nonce for w in logged] == [0, 1]
    assert logged[0].hash != logged[1].hash


def test_a_withdrawal_to_the_zero_address_reverts(chain: LocalChain, keys: list[bytes]) -> None:
    transaction = sign(keys[2], chain.genesis.chain_id, nonce=0, to=MESSAGE_PASSER_ADDRESS,
                       value=10**18, gas=200_000, maxFeePerGas=chain.next_base_fee() * 2,
                       maxPriorityFeePerGas=GWEI,
                       data=calldata(INITIATE, ["address", "uint256", "bytes"],
                                     [bytes(20), 0, b""]))
    receipt = chain.build([transaction]).executed.receipts[0]
    assert receipt.state_root == b""
    assert output_root_at(chain.engine, chain.head).message_passer_storage_root == \
        BLANK_ROOT_HASH
