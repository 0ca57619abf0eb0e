from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import rlp
from eth_abi import decode
from eth_account import Account
from eth_bloom import BloomFilter
from eth_utils import keccak

from ordo.core.call import CallRequest
from ordo.core.errors import CallFailed, ExecutionReverted
from ordo.core.genesis import Genesis, GenesisAccount
from tests.execution.execution_chain import LocalChain, address_of, calldata, sign

GWEI = 10**9
STORED_TOPIC = keccak(text="Stored(address,uint256)")


@pytest.fixture
def deployed(chain: LocalChain, keys: list[bytes], recorder: tuple[bytes, Any]) -> bytes:
    """Deploys Recorder from keys[0] in block 1; returns its address."""
    bytecode, _abi = recorder
    deploy = sign(keys[0], chain.genesis.chain_id, nonce=0, gas=1_000_000,
                  maxFeePerGas=chain.next_base_fee() + GWEI, maxPriorityFeePerGas=GWEI,
                  data=bytecode)
    result = chain.build([deploy])
    (receipt,) = result.executed.receipts
    assert receipt.state_root == b"\x01", "deployment failed"
    # the created address follows from sender and nonce
    return keccak(rlp.encode([address_of(keys[0]), 0]))[12:]


def test_deploy_then_store_emits_log(
    chain: LocalChain, keys: list[bytes], deployed: bytes
) -> None:
    code = chain.engine.get_code(chain.head, deployed)
    assert len(code) > 100
    store = sign(keys[1], chain.genesis.chain_id, nonce=0, gas=100_000,
                 maxFeePerGas=chain.next_base_fee() + GWEI, maxPriorityFeePerGas=GWEI,
                 to=deployed, data=calldata("store(uint256)", ["uint256"], [42]))
    result = chain.build([store])
    header = result.executed.block.header
    (receipt,) = result.executed.receipts
    assert receipt.state_root == b"\x01"
    (log,) = receipt.logs
    assert log.address == deployed
    assert log.topics == (int.from_bytes(STORED_TOPIC, "big"),
                          int.from_bytes(address_of(keys[1]).rjust(32, b"\x00"), "big"))
    assert decode(["uint256"], log.data) == (42,)
    bloom = BloomFilter(header.bloom)
    assert deployed in bloom and STORED_TOPIC in bloom
    assert receipt.bloom == header.bloom  # one receipt: the block bloom is its bloom
    assert chain.engine.get_storage_at(header, deployed, 0) == 42  # slot 0: stored


def test_call_reads_state_and_context(
    chain: LocalChain, keys: list[bytes], deployed: bytes
) -> None:
    store = sign(keys[1], chain.genesis.chain_id, nonce=0, gas=100_000,
                 gasPrice=chain.next_base_fee() + GWEI, to=deployed,
                 data=calldata("store(uint256)", ["uint256"], [7]))
    chain.build([store])
    head = chain.head
    output = chain.engine.call(head, CallRequest(to=deployed, data=calldata("stored()", [], [])))
    assert decode(["uint256"], output) == (7,)

    # no fee fields: gas price 0, BASEFEE reads 0 like geth's eth_call
    context = chain.engine.call(head, CallRequest(to=deployed, data=calldata("context()", [], [])))
    assert decode(["uint256", "uint256", "uint256"], context) == (head.block_number,
                                                                 head.timestamp, 0)
    priced = chain.engine.call(
        head,
        CallRequest(sender=address_of(keys[2]), to=deployed, gas_price=head.base_fee_per_gas,
                    data=calldata("context()", [], [])),
    )
    assert decode(["uint256", "uint256", "uint256"], priced)[2] == head.base_fee_per_gas


def test_blockhash_sees_recent_ancestors(
    chain: LocalChain, keys: list[bytes], deployed: bytes
) -> None:
    for _ in range(3):
        chain.build(())
    head = chain.head

    def hash_of(number: int) -> bytes:
        return chain.engine.call(head, CallRequest(
            to=deployed, data=calldata("hash_of(uint256)", ["uint256"], [number])))

    for number in range(head.block_number):
        assert hash_of(number) == chain.headers[number].hash
    with pytest.raises(ExecutionReverted):  # Vyper's blockhash() asserts n < block.number
        hash_of(head.block_number)


def test_call_revert_carries_reason_and_data(chain: LocalChain, deployed: bytes) -> None:
    data = calldata("store(uint256)", ["uint256"], [13])
    with pytest.raises(ExecutionReverted) as caught:
        chain.engine.call(chain.head, CallRequest(to=deployed, data=data))
    assert caught.value.reason == "unlucky number"
    assert caught.value.message == "execution reverted: unlucky number"
    assert caught.value.revert_data[:4] == bytes.fromhex("08c379a0")


def test_call_failures_use_geth_wording(chain: LocalChain, keys: list[bytes],
                                        deployed: bytes) -> None:
    engine, head = chain.engine, chain.head
    poor = b"\x99" * 20
    with pytest.raises(CallFailed, match=r"^insufficient funds for gas \* price \+ value"):
        engine.call(head, CallRequest(sender=poor, to=deployed, value=1))
    with pytest.raises(CallFailed, match=r"^out of gas$"):
        engine.call(head, CallRequest(to=deployed, gas=30_000,
                                      data=calldata("burn_gas(uint256)", ["uint256"], [500])))
    with pytest.raises(CallFailed, match=r"^intrinsic gas too low: have 20000, want 21000$"):
        engine.call(head, CallRequest(to=deployed, gas=20_000))
    with pytest.raises(CallFailed, match="max fee per gas less than block base fee"):
        engine.call(head, CallRequest(to=deployed, max_fee_per_gas=1))
    with pytest.raises(CallFailed, match="invalid to address"):
        engine.call(head, CallRequest(to=b"\x01"))


def test_estimate_gas_for_transfer_and_contract_call(
    chain: LocalChain, keys: list[bytes], deployed: bytes
) -> None:
    engine, head = chain.engine, chain.head
    sender = address_of(keys[3])
    assert engine.estimate_gas(head, CallRequest(sender=sender, to=b"\x55" * 20, value=1)) == 21_000

    request = CallRequest(sender=sender, to=deployed,
                          data=calldata("store(uint256)", ["uint256"], [5]))
    estimate = engine.estimate_gas(head, request)
    assert 21_000 < estimate < 200_000
    engine.call(head, CallRequest(sender=sender, to=deployed, gas=estimate, data=request.data))
    with pytest.raises(CallFailed):
        engine.call(head, CallRequest(sender=sender, to=deployed, gas=estimate - 1,
                                      data=request.data))

    # the estimate is enough for a real transaction, too
    tx = sign(keys[3], chain.genesis.chain_id, nonce=0, gas=estimate,
              gasPrice=chain.next_base_fee() + GWEI, to=deployed, data=request.data)
    (receipt,) = chain.build([tx]).executed.receipts
    assert receipt.state_root == b"\x01"


def test_estimate_gas_revert_and_allowance(chain: LocalChain, deployed: bytes) -> None:
    engine, head = chain.engine, chain.head
    with pytest.raises(ExecutionReverted, match="unlucky number"):
        engine.estimate_gas(head, CallRequest(
            to=deployed, data=calldata("store(uint256)", ["uint256"], [13])))
    with pytest.raises(CallFailed, match=r"^gas required exceeds allowance \(60000\)$"):
        engine.estimate_gas(head, CallRequest(
            to=deployed, gas=60_000, data=calldata("burn_gas(uint256)", ["uint256"], [999])))


def test_call_can_create(chain: LocalChain, recorder: tuple[bytes, Any]) -> None:
    bytecode, _ = recorder
    runtime = chain.engine.call(chain.head, CallRequest(data=bytecode))
    assert len(runtime) > 100  # a create call returns the deployed code
    assert chain.engine.estimate_gas(chain.head, CallRequest(data=bytecode)) > 53_000


def test_estimate_gas_capped_by_what_the_sender_can_pay(
    chain: LocalChain, keys: list[bytes]
) -> None:
    """With a fee cap, the balance limits the gas (geth's allowance); below 21,000 nothing fits."""
    price = chain.next_base_fee() + GWEI
    thrifty = b"\x5a" * 20
    fund = sign(keys[0], chain.genesis.chain_id, nonce=0, gasPrice=price, to=thrifty,
                value=20_000 * 3 * GWEI)
    chain.build([fund])
    request = CallRequest(sender=thrifty, to=b"\x66" * 20, max_fee_per_gas=3 * GWEI,
                          max_priority_fee_per_gas=0)
    with pytest.raises(CallFailed, match=r"^gas required exceeds allowance \(20000\)$"):
        chain.engine.estimate_gas(chain.head, request)
    assert chain.engine.estimate_gas(chain.head, CallRequest(sender=thrifty, to=b"\x66" * 20)) == (
        21_000  # without fee fields the call is free, as in geth
    )


def test_reverting_transaction_is_included_and_pays(
    chain: LocalChain, keys: list[bytes], deployed: bytes
) -> None:
    sender = address_of(keys[4])
    before = chain.engine.get_balance(chain.head, sender)
    price = chain.next_base_fee() + GWEI
    tx = sign(keys[4], chain.genesis.chain_id, nonce=0, gas=100_000, gasPrice=price, to=deployed,
              data=calldata("store(uint256)", ["uint256"], [13]))
    result = chain.build([tx])
    (receipt,) = result.executed.receipts
    assert receipt.state_root == b""  # EIP-658 failure
    assert receipt.logs == ()
    gas_used = receipt.gas_used
    assert 21_000 < gas_used < 100_000  # a revert refunds the unused gas
    assert chain.engine.get_balance(chain.head, sender) == before - gas_used * price
    assert chain.engine.get_nonce(chain.head, sender) == 1
    assert chain.engine.get_storage_at(chain.head, deployed, 0) == 0


def test_set_code_transaction_delegates_an_eoa(
    chain: LocalChain, keys: list[bytes], deployed: bytes
) -> None:
    """EIP-7702: keys[5] delegates to Recorder; a call to keys[5] then runs Recorder's code in
    keys[5]'s own storage."""
    authority = address_of(keys[5])
    authorization = Account.sign_authorization(
        {"chainId": chain.genesis.chain_id, "address": "0x" + deployed.hex(), "nonce": 0}, keys[5]
    )
    price = chain.next_base_fee() + GWEI
    delegate = sign(keys[6], chain.genesis.chain_id, nonce=0, gas=100_000,
                    maxFeePerGas=price, maxPriorityFeePerGas=GWEI, to=authority,
                    authorizationList=[authorization])
    result = chain.build([delegate])
    assert result.skipped == ()
    assert result.executed.block.transactions[0].type_id == 4
    assert chain.engine.get_code(chain.head, authority) == b"\xef\x01\x00" + deployed
    assert chain.engine.get_nonce(chain.head, authority) == 1

    store = sign(keys[6], chain.genesis.chain_id, nonce=1, gas=100_000, gasPrice=price * 2,
                 to=authority, data=calldata("store(uint256)", ["uint256"], [31]))
    (receipt,) = chain.build([store]).executed.receipts
    assert receipt.state_root == b"\x01"
    assert chain.engine.get_storage_at(chain.head, authority, 0) == 31
    assert chain.engine.get_storage_at(chain.head, deployed, 0) == 0

    # a delegated EOA can still send transactions (EIP-3607 allows delegation designators)
    own = sign(keys[5], chain.genesis.chain_id, nonce=1, gasPrice=price * 2, to=b"\x01" * 20)
    assert chain.build([own]).skipped == ()


def test_sender_with_code_is_refused(genesis: Genesis, keys: list[bytes]) -> None:
    """EIP-3607: an account with (non-delegation) code cannot originate transactions."""
    victim = address_of(keys[7])
    alloc = dict(genesis.alloc)
    alloc[victim] = GenesisAccount(balance=10**20, code=b"\x60\x00")
    chain = LocalChain(replace(genesis, alloc=alloc))
    tx = sign(keys[7], genesis.chain_id, nonce=0, gasPrice=chain.next_base_fee() + GWEI,
              to=b"\x01" * 20)
    ((_, reason),) = chain.build([tx]).skipped
    assert reason == f"sender not an eoa: address 0x{victim.hex()}, len(code): 2"
