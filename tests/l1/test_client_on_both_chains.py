"""The L1 client and ContractHandle against the dev chain and a real anvil: same tests, same
expectations."""

from __future__ import annotations

import asyncio

import pytest
from eth_account import Account

from ordo.core.call import CallRequest
from ordo.l1.chain_records import LogFilter
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1RpcError
from tests.l1.conftest import Endpoint, keys, store_contract


def address_of(key: bytes) -> bytes:
    return bytes.fromhex(Account.from_key(key).address[2:])


def abi_address(key: bytes) -> str:
    """An address as eth_abi decodes it: lower-case hex."""
    return "0x" + address_of(key).hex()


async def deploy_store(client: L1Client, account: LocalAccount,
                       initial: int = 7) -> ContractHandle:
    contract = store_contract()
    handle, receipt = await ContractHandle.deploy(client, account, contract.abi,
                                                  contract.bytecode, initial, timeout=20)
    assert receipt.succeeded and receipt.contract_address == handle.address
    return handle


async def test_reads_chain_and_accounts(endpoint: Endpoint) -> None:
    async with L1Client(endpoint.url) as client:
        assert await client.chain_id() == (900 if endpoint.kind == "dev" else 31337)
        head = await client.block_number()
        block = await client.get_block("latest")
        assert block is not None and block.number == head
        assert block.base_fee_per_gas is not None and block.base_fee_per_gas > 0
        assert await client.get_block(head + 1000) is None
        assert await client.get_balance(address_of(keys()[0])) == 10_000 * 10**18
        assert await client.get_transaction_count(address_of(keys()[0]), "pending") == 0
        fees = await client.suggest_fees()
        assert fees.max_fee_per_gas >= fees.base_fee + fees.max_priority_fee_per_gas
        assert fees.max_priority_fee_per_gas >= 1


async def test_deploy_transact_and_read_events_with_confirmations(endpoint: Endpoint) -> None:
    async with L1Client(endpoint.url) as client:
        account = LocalAccount(client, keys()[0])
        store = await deploy_store(client, account)
        assert await store.call("stored") == 7
        assert await store.call("owner") == abi_address(keys()[0])
        sent = await store.transact(account, "store", 42, "hello")
        receipt = await client.wait_for_receipt(sent.tx_hash, timeout=20)
        assert receipt.succeeded and receipt.transaction_hash == sent.tx_hash
        (event,) = store.decode_receipt(receipt)
        assert event.name == "Stored"
        assert event.arguments == {"sender": abi_address(keys()[0]),
                                   "value": 42, "note": "hello"}
        assert await store.call("stored") == 42

        # Three confirmations need two more blocks on top: the wait must hold until they exist.
        waiting = asyncio.create_task(client.wait_for_receipt(sent.tx_hash, confirmations=3,
                                                              timeout=20, poll_interval=0.05))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await client.request("evm_mine", [])
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await client.request("evm_mine", [])
        confirmed = await waiting
        assert confirmed.block_number == receipt.block_number
        assert await client.block_number() == receipt.block_number + 2

        assert await client.confirmed_block_number(3) == receipt.block_number
        assert await client.confirmed_block_number(10_000) is None
        events = await store.get_events("Stored", 0, await client.block_number())
        assert [(e.arguments["value"], e.log.block_number) for e in events] == \
            [(42, receipt.block_number)]
        sender_topic = bytes(12) + account.address
        assert len(await store.get_events("Stored", 0, receipt.block_number,
                                          [sender_topic])) == 1
        assert await store.get_events("Stored", 0, receipt.block_number, [bytes(32)]) == []


async def test_revert_reason_is_surfaced(endpoint: Endpoint) -> None:
    async with L1Client(endpoint.url) as client:
        account = LocalAccount(client, keys()[1])
        store = await deploy_store(client, account)
        with pytest.raises(L1RpcError) as called:
            await store.call("store", 13, "")
        assert called.value.is_revert and called.value.revert_reason == "unlucky number"
        assert called.value.method == "eth_call"
        with pytest.raises(L1RpcError) as estimated:
            await store.transact(account, "store", 13, "")
        assert estimated.value.revert_reason == "unlucky number"
        assert estimated.value.method == "eth_estimateGas"
        # With a fixed gas limit the transaction is sent, mined, and fails on chain.
        sent = await store.transact(account, "store", 13, "", gas=100_000)
        receipt = await client.wait_for_receipt(sent.tx_hash, timeout=20)
        assert receipt.status == 0 and receipt.logs == ()
        assert await store.call("stored") == 7


async def test_time_travel(endpoint: Endpoint) -> None:
    async with L1Client(endpoint.url) as client:
        account = LocalAccount(client, keys()[2])
        store = await deploy_store(client, account)
        before = await client.get_block("latest")
        assert before is not None
        await client.request("evm_increaseTime", [3600])
        await client.request("evm_mine", [])
        after = await client.get_block("latest")
        assert after is not None and after.number == before.number + 1
        assert before.timestamp + 3600 <= after.timestamp <= before.timestamp + 3600 + 5
        assert await store.call("now") == after.timestamp
        await client.request("evm_setNextBlockTimestamp", [after.timestamp + 100])
        await client.request("evm_mine", [])
        pinned = await client.get_block("latest")
        assert pinned is not None and pinned.timestamp == after.timestamp + 100


async def test_logs_over_many_small_ranges(endpoint: Endpoint) -> None:
    async with L1Client(endpoint.url, ClientConfig(log_range=2)) as client:
        account = LocalAccount(client, keys()[3])
        store = await deploy_store(client, account)
        values = [1, 2, 3, 4, 5]
        hashes = [(await store.transact(account, "store", value, f"n{value}")).tx_hash
                  for value in values]
        receipts = [await client.wait_for_receipt(tx_hash, timeout=20) for tx_hash in hashes]
        assert [receipt.succeeded for receipt in receipts] == [True] * 5
        head = await client.block_number()
        events = await store.get_events("Stored", 0, head)
        assert [event.arguments["value"] for event in events] == values
        raw = await client.get_logs(LogFilter(0, head, (store.address,)))
        assert len(raw) == 5 and all(log.address == store.address for log in raw)


async def test_nonces_survive_a_new_account_object(endpoint: Endpoint) -> None:
    """A restarted process (a fresh LocalAccount) continues from the node's pending nonce."""
    async with L1Client(endpoint.url) as client:
        recipient = bytes.fromhex("00" * 19 + "aa")
        first = LocalAccount(client, keys()[0])
        sent = [await first.send_transaction(recipient, value=1) for _ in range(3)]
        restarted = LocalAccount(client, keys()[0])
        sent.append(await restarted.send_transaction(recipient, value=1))
        assert [item.nonce for item in sent] == [0, 1, 2, 3]
        for item in sent:
            assert (await client.wait_for_receipt(item.tx_hash, timeout=20)).succeeded
        assert await client.get_balance(recipient) == 4
        assert await client.get_transaction_count(address_of(keys()[0])) == 4


async def test_json_rpc_errors_are_not_retried(endpoint: Endpoint) -> None:
    async with L1Client(endpoint.url, ClientConfig(max_attempts=5, backoff_initial=1.0)) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(L1RpcError) as missing:
            await client.request("no_suchMethod", [])
        assert missing.value.code == -32601
        with pytest.raises(L1RpcError) as rejected:
            await client.send_raw_transaction(b"\x02\x01")
        assert rejected.value.code in (-32000, -32602, -32603)
        with pytest.raises(L1RpcError):
            await client.call(CallRequest(to=b"\x00" * 20, gas=2**64 - 1, value=10**40))
        assert loop.time() - started < 1.0
