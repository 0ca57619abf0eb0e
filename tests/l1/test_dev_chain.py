"""What only the dev chain promises: interval mining, finality lag, dev methods, restarts."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

import aiohttp
import pytest
from eth_account import Account
from web3 import AsyncHTTPProvider, AsyncWeb3

from ordo.devchain import DevChain, DevChainConfig, faucet_address, start_dev_server
from ordo.l1.client import L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1RpcError
from tests.l1.conftest import Endpoint, keys, store_contract


async def test_finalized_and_safe_lag_the_head(dev_endpoint: Endpoint) -> None:
    async with L1Client(dev_endpoint.url) as client:
        finalized = await client.get_block("finalized")
        assert finalized is not None and finalized.number == 0
        await client.request("anvil_mine", [5])
        head = await client.get_block("latest")
        finalized = await client.get_block("finalized")
        safe = await client.get_block("safe")
        assert head is not None and finalized is not None and safe is not None
        assert head.number == 5 and finalized.number == 3 and safe.number == 3
        # A receipt is there at once, but a finalized read of its state is two blocks away.
        account = LocalAccount(client, keys()[0])
        recipient = b"\x11" * 20
        sent = await account.send_transaction(recipient, value=5)
        receipt = await client.wait_for_receipt(sent.tx_hash, timeout=10)
        assert receipt.block_number == 6
        assert await client.get_balance(recipient, "finalized") == 0
        await client.request("evm_mine", [{"blocks": 2}])
        assert await client.get_balance(recipient, "finalized") == 5


async def test_interval_mining_makes_blocks_with_strictly_increasing_times(
        tmp_path: Path) -> None:
    dev = DevChain.open(DevChainConfig(tmp_path, block_time=0.05, finality_depth=1))
    await dev.start()
    server = await start_dev_server(dev)
    try:
        async with L1Client(server.url) as client:
            deadline = asyncio.get_running_loop().time() + 5
            while await client.block_number() < 6:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.05)
            # A transaction waits for the next timer block (no automine here).
            sent = await LocalAccount(client, keys()[1]).send_transaction(b"\x22" * 20, value=1)
            receipt = await client.wait_for_receipt(sent.tx_hash, timeout=5, poll_interval=0.02)
            assert receipt.succeeded
            head = await client.block_number()
            blocks = [await client.get_block(number) for number in range(head + 1)]
            times = [block.timestamp for block in blocks if block is not None]
            assert all(later > earlier for earlier, later in itertools.pairwise(times))
            assert dev.node.finalized_number() >= head - 1
    finally:
        await server.stop()
        await dev.close()


async def test_automine_batches_a_burst_into_few_blocks(dev_endpoint: Endpoint) -> None:
    async with L1Client(dev_endpoint.url) as client:
        senders = [LocalAccount(client, key) for key in keys()]
        sent = await asyncio.gather(*(
            sender.send_transaction(b"\x33" * 20, value=1, gas=21_000)
            for sender in senders for _ in range(5)
        ))
        receipts = [await client.wait_for_receipt(item.tx_hash, timeout=10) for item in sent]
        assert all(receipt.succeeded for receipt in receipts)
        assert await client.get_balance(b"\x33" * 20) == 20
        assert len({receipt.block_number for receipt in receipts}) < 20


async def test_set_balance_raises_and_refuses_to_lower(dev_endpoint: Endpoint) -> None:
    async with L1Client(dev_endpoint.url) as client:
        target = bytes.fromhex("ab" * 20)  # letters: the faucet must checksum it
        await client.request("anvil_setBalance", ["0x" + target.hex(), hex(10**21)])
        assert await client.get_balance(target) == 10**21
        contract = store_contract()
        store, _ = await ContractHandle.deploy(client, LocalAccount(client, keys()[0]),
                                               contract.abi, contract.bytecode, 1)
        with pytest.raises(L1RpcError, match="refused the faucet's transfer"):
            await client.request("anvil_setBalance", ["0x" + store.address.hex(), "0x5"])
        await client.request("anvil_setBalance", ["0x" + target.hex(), 10**21])
        with pytest.raises(L1RpcError) as lowered:
            await client.request("anvil_setBalance", ["0x" + target.hex(), "0x1"])
        assert lowered.value.code == -32000 and "only raising" in lowered.value.message
        with pytest.raises(L1RpcError) as faucet:
            await client.request("anvil_setBalance", ["0x" + faucet_address().hex(), "0x0"])
        assert faucet.value.code == -32000
        assert await client.get_balance(target) == 10**21
        contract = store_contract()
        store, _ = await ContractHandle.deploy(client, LocalAccount(client, keys()[0]),
                                               contract.abi, contract.bytecode, 1)
        with pytest.raises(L1RpcError, match="refused the faucet's transfer"):
            await client.request("anvil_setBalance", ["0x" + store.address.hex(), "0x5"])


@pytest.mark.parametrize(("method", "params", "wording"), [
    ("evm_increaseTime", [-5], "not in 0..2^64-1"),
    ("evm_increaseTime", ["ten"], "invalid argument 0"),
    ("evm_increaseTime", [], "takes 1 arguments"),
    ("evm_increaseTime", [True], "boolean"),
    ("evm_setNextBlockTimestamp", [1], "not after the latest block"),
    ("evm_mine", [{"blocks": 0}], "blocks: 0"),
    ("evm_mine", [{"when": 1}], "unknown fields"),
    ("anvil_mine", ["0x"], "invalid argument 0"),
    ("anvil_setBalance", ["0x12", "0x1"], "invalid argument"),
    ("anvil_setBalance", ["0x" + "00" * 20, -1], "balance in 0..2^256-1"),
])
async def test_dev_methods_reject_bad_parameters(dev_endpoint: Endpoint, method: str,
                                                 params: list[object], wording: str) -> None:
    async with L1Client(dev_endpoint.url) as client:
        with pytest.raises(L1RpcError) as refused:
            await client.request(method, params)
        assert wording in refused.value.message
        assert refused.value.code in (-32602, -32000)
        assert await client.block_number() == 0


async def test_evm_mine_with_a_timestamp(dev_endpoint: Endpoint) -> None:
    async with L1Client(dev_endpoint.url) as client:
        genesis = await client.get_block(0)
        assert genesis is not None
        await client.request("evm_mine", [hex(genesis.timestamp + 500)])
        block = await client.get_block("latest")
        assert block is not None and block.timestamp == genesis.timestamp + 500
        await client.request("evm_mine", [])
        after = await client.get_block("latest")
        assert after is not None and after.timestamp > block.timestamp


async def test_restart_resumes_the_same_chain(tmp_path: Path) -> None:
    config = DevChainConfig(tmp_path, block_time=None, automine=True)
    dev = DevChain.open(config)
    await dev.start()
    recipient = b"\x55" * 20
    server = await start_dev_server(dev)
    async with L1Client(server.url) as client:
        sent = await LocalAccount(client, keys()[2]).send_transaction(recipient, value=9)
        await client.wait_for_receipt(sent.tx_hash, timeout=10)
        genesis = await client.get_block(0)
    await server.stop()
    await dev.close()

    reopened = DevChain.open(config)
    await reopened.start()
    server = await start_dev_server(reopened)
    try:
        async with L1Client(server.url) as client:
            again = await client.get_block(0)
            assert genesis is not None and again is not None and again.hash == genesis.hash
            assert await client.get_balance(recipient) == 9
            sent = await LocalAccount(client, keys()[2]).send_transaction(recipient, value=1)
            assert sent.nonce == 1
    finally:
        await server.stop()
        await reopened.close()
    with pytest.raises(ValueError, match="chain id 900"):
        DevChain.open(DevChainConfig(tmp_path, chain_id=901, automine=True))


def test_config_refuses_nonsense(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no way to make blocks"):
        DevChainConfig(tmp_path, block_time=None, automine=False)
    with pytest.raises(ValueError, match="block_time"):
        DevChainConfig(tmp_path, block_time=0)
    with pytest.raises(ValueError, match="finality_depth"):
        DevChainConfig(tmp_path, finality_depth=-1)


async def test_unlocked_development_accounts_send_transactions(dev_endpoint: Endpoint) -> None:
    w3 = AsyncWeb3(AsyncHTTPProvider(dev_endpoint.url))
    accounts = await w3.eth.accounts
    assert len(accounts) == 10 and Account.from_key(keys()[0]).address in accounts
    recipient = "0x" + "77" * 20
    tx_hash = await w3.eth.send_transaction({"from": accounts[0], "to": recipient,
                                             "value": 1234})
    receipt = await w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.02)
    assert receipt["status"] == 1 and receipt["type"] == 2
    assert await w3.eth.get_balance(recipient) == 1234

    contract = store_contract()
    factory = w3.eth.contract(abi=contract.abi, bytecode=contract.bytecode)
    deploy_hash = await factory.constructor(3).transact({"from": accounts[1]})
    deployed = await w3.eth.wait_for_transaction_receipt(deploy_hash, timeout=10,
                                                         poll_latency=0.02)
    store = w3.eth.contract(address=deployed["contractAddress"], abi=contract.abi)
    await w3.eth.wait_for_transaction_receipt(
        await store.functions.store(8, "x").transact({"from": accounts[1]}), timeout=10,
        poll_latency=0.02)
    assert await store.functions.stored().call() == 8
    legacy = await w3.eth.send_transaction({"from": accounts[2], "to": recipient, "value": 1,
                                            "gasPrice": 5 * 10**9})
    assert (await w3.eth.wait_for_transaction_receipt(legacy, timeout=10,
                                                      poll_latency=0.02))["type"] == 0

    async with L1Client(dev_endpoint.url) as client:
        stranger = {"from": "0x" + "88" * 20, "to": recipient, "value": "0x1"}
        with pytest.raises(L1RpcError, match="unknown account"):
            await client.request("eth_sendTransaction", [stranger])
        with pytest.raises(L1RpcError) as reverted:
            await client.request("eth_sendTransaction", [{
                "from": accounts[1], "to": store.address,
                "input": "0x" + store.encode_abi("store", [13, ""])[2:]}])
        assert reverted.value.code == 3 and reverted.value.revert_reason == "unlucky number"
        with pytest.raises(L1RpcError, match="missing"):
            await client.request("eth_sendTransaction", [{"to": recipient}])
        with pytest.raises(L1RpcError) as malformed:
            await client.request("eth_sendTransaction", [{"from": "0x12"}])
        assert malformed.value.code == -32602


async def test_no_web_page_can_make_the_dev_accounts_sign(dev_endpoint: Endpoint) -> None:
    """Its accounts are unlocked: a page open in the operator's browser must not reach them."""
    recipient = "0x" + "79" * 20
    sender = Account.from_key(keys()[0]).address
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction",
            "params": [{"from": sender, "to": recipient, "value": "0x1"}]}
    async with aiohttp.ClientSession() as session:
        async with session.post(dev_endpoint.url, data=json.dumps(call),
                                headers={"Origin": "http://evil.example",
                                         "Content-Type": "text/plain"}) as refused:
            assert refused.status == 403
        async with session.post(dev_endpoint.url, json={
                "jsonrpc": "2.0", "id": 2, "method": "eth_getBalance",
                "params": [recipient, "latest"]}) as balance:
            assert (await balance.json())["result"] == "0x0"
