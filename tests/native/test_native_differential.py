"""The native engine against py-evm, block by block (issue 16's differential test).

Each test drives a :class:`TwinChain`: both engines build every block from the same parent
state, must agree on skipped candidates, transactions, receipts, logs, gas, every header field
and root, and must each accept the other's block; the reference then reads the native engine's
trie nodes for the next block. The corpus covers transfers, ERC-20, deploys, CREATE2,
SELFDESTRUCT, reverts, out-of-gas, access lists, EIP-7702, precompiles, forced items and
deposits, refusals, the EIP-7623 gas quirk and large blocks.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest
from eth.vm.forks.cancun.constants import BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CONTRACT_CODE
from eth.vm.forks.prague.constants import HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CONTRACT_CODE
from eth_account import Account

from ordo.core.forced_item import ForcedDeposit, ForcedTransaction
from ordo.core.genesis import Genesis, GenesisAccount, dev_private_keys, devnet_genesis
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS
from ordo.execution.errors import InvalidBlock
from tests.native.corpus import (
    CREATE2_FACTORY,
    CREATE_FACTORY,
    GWEI,
    LOGGER,
    LOOP,
    MEMORY_BOMB,
    REVERTER,
    SELFDESTRUCT_TO_CALLER,
    SLOTS,
    Wallet,
    call,
    compile_token,
    initcode,
)
from tests.native.twin_chain import TwinChain, require_native

ETHER = 10**18


@pytest.fixture(autouse=True)
def _native() -> None:
    require_native()


@pytest.fixture(scope="module")
def token() -> tuple[bytes, list[dict[str, Any]]]:
    return compile_token()


@pytest.fixture
def genesis() -> Genesis:
    return devnet_genesis()


@pytest.fixture
def chain(genesis: Genesis) -> TwinChain:
    return TwinChain(genesis)


@pytest.fixture
def wallets(genesis: Genesis) -> list[Wallet]:
    return [Wallet(key, genesis.chain_id) for key in dev_private_keys(10)]


def test_empty_blocks_and_coinbase_touch(chain: TwinChain) -> None:
    chain.block()
    chain.block(coinbase=b"\x00" * 20)
    chain.block(timestamp=int(chain.head.timestamp))  # equal timestamps are allowed


def test_transfers_of_every_type(chain: TwinChain, wallets: list[Wallet]) -> None:
    a, b = wallets[0], wallets[1]
    fresh = bytes.fromhex("00000000000000000000000000000000000000aa")
    chain.block([
        a.sign(to=b.address, value=ETHER),
        a.sign(to=fresh, value=1),
        a.sign(to=fresh, value=0, gasPrice=2 * 10**9),  # legacy, EIP-155
        a.sign(to=fresh, value=5, type=1, gasPrice=2 * 10**9, accessList=[], gas=21_000),
        b.sign(to=b.address, value=0),  # to itself
        a.sign(to=bytes(20), value=0),  # zero-value call to an empty account (EIP-161 touch)
    ])
    chain.block([b.sign(to=a.address, value=ETHER // 2)])


def test_erc20(chain: TwinChain, wallets: list[Wallet],
               token: tuple[bytes, list[dict[str, Any]]]) -> None:
    code, _abi = token
    a, b, c = wallets[0], wallets[1], wallets[2]
    from tests.native.twin_chain import created_address

    address = created_address(a.address, a.nonce)
    deploy = a.sign(data=code + (10**24).to_bytes(32, "big"), gas=1_000_000)
    chain.block([deploy])
    transfer = "transfer(address,uint256)"
    chain.block([
        a.sign(to=address, data=call(transfer, ["address", "uint256"], [b.address, 10**20]),
               gas=100_000),
        b.sign(to=address, data=call(transfer, ["address", "uint256"], [c.address, 10**19]),
               gas=100_000),
        c.sign(to=address, data=call(transfer, ["address", "uint256"], [a.address, 10**30]),
               gas=100_000),  # reverts: insufficient balance
        b.sign(to=address, data=call("approve(address,uint256)", ["address", "uint256"],
                                     [c.address, 10**18]), gas=100_000),
        c.sign(to=address, data=call("transferFrom(address,address,uint256)",
                                     ["address", "address", "uint256"],
                                     [b.address, c.address, 10**18]), gas=100_000),
        c.sign(to=address, data=call("transferFrom(address,address,uint256)",
                                     ["address", "address", "uint256"],
                                     [b.address, c.address, 1]), gas=100_000),  # allowance gone
    ], watch=[address])


def test_deploys_create2_and_collisions(chain: TwinChain, wallets: list[Wallet]) -> None:
    a = wallets[0]
    deploy, factory = a.deploy(CREATE2_FACTORY)
    deploy2, creator = a.deploy(CREATE_FACTORY)
    chain.block([deploy, deploy2])
    child = initcode(LOGGER)
    chain.block([
        a.sign(to=factory, data=child, gas=300_000),
        a.sign(to=factory, data=child, gas=300_000),  # same salt: collision, returns 0
        a.sign(to=creator, data=child, gas=300_000, value=7),
        a.sign(data=b"", gas=60_000),  # creation with empty init code
        a.sign(data=initcode(b"\xef\x00"), gas=100_000),  # EIP-3541: refused code
        a.sign(data=bytes.fromhex("60006000fd"), gas=100_000),  # init code reverts
    ], watch=[factory, creator])


def test_selfdestruct_and_withdrawal_burn(chain: TwinChain, wallets: list[Wallet]) -> None:
    a, b = wallets[0], wallets[1]
    deploy, victim = a.deploy(SELFDESTRUCT_TO_CALLER, value=ETHER)
    deploy2, creator = a.deploy(CREATE_FACTORY)
    chain.block([deploy, deploy2])
    withdraw = call("initiate_withdrawal(address,uint256,bytes)", ["address", "uint256", "bytes"],
                    [b.address, 100_000, b"hello"])
    chain.block([
        b.sign(to=victim, gas=100_000),  # not created in this transaction: balance moves only
        a.sign(to=creator, data=SELFDESTRUCT_TO_CALLER, value=3, gas=200_000),  # created: deleted
        b.sign(to=MESSAGE_PASSER_ADDRESS, data=withdraw, value=ETHER, gas=300_000),
        b.sign(to=MESSAGE_PASSER_ADDRESS, data=withdraw, value=0, gas=300_000),
    ], watch=[victim, creator, MESSAGE_PASSER_ADDRESS])


def test_reverts_out_of_gas_and_refund_floor(chain: TwinChain, wallets: list[Wallet]) -> None:
    a = wallets[0]
    d1, loop = a.deploy(LOOP)
    d2, reverter = a.deploy(REVERTER)
    d3, slots = a.deploy(SLOTS)
    chain.block([d1, d2, d3])
    chain.block([a.sign(to=slots, gas=100_000)])  # set three slots
    chain.block([
        a.sign(to=loop, gas=50_000),
        a.sign(to=reverter, gas=50_000, value=5),
        # 1,000 non-zero bytes and three cleared slots: the EIP-7623 floor applies and the
        # refund is capped, where py-evm's block gas figure is below the gas charged (6.3)
        a.sign(to=slots, data=b"\x01" * 1000, gas=100_000),
        a.sign(to=slots, gas=100_000),
        a.sign(to=slots, data=b"\x00" * 10, gas=100_000),  # refund under the cap
    ], watch=[loop, reverter, slots])


def test_access_lists(chain: TwinChain, wallets: list[Wallet]) -> None:
    a = wallets[0]
    deploy, logger = a.deploy(LOGGER)
    chain.block([deploy])
    slot = "0x" + (chain.head.block_number + 1).to_bytes(32, "big").hex()
    chain.block([
        a.sign(to=logger, data=b"\x12\x34", gas=100_000, accessList=[
            {"address": "0x" + logger.hex(), "storageKeys": [slot]},
            {"address": "0x" + bytes(20).hex(), "storageKeys": []},
        ]),
        a.sign(to=logger, type=1, gasPrice=3 * 10**9, gas=100_000, accessList=[
            {"address": "0x" + logger.hex(), "storageKeys": []},
        ]),
    ], watch=[logger])


def test_eip7702(chain: TwinChain, wallets: list[Wallet], genesis: Genesis) -> None:
    sponsor, alice, bob = wallets[0], wallets[5], wallets[6]
    deploy, logger = sponsor.deploy(LOGGER)
    chain.block([deploy])
    tx = sponsor.sign(
        to=alice.address, gas=200_000, data=b"\xaa",
        authorizationList=[
            alice.authorize(logger, alice.nonce),
            bob.authorize(logger, bob.nonce + 5),  # wrong nonce: skipped
            bob.authorize(logger, bob.nonce, chain_id=genesis.chain_id + 1),  # wrong chain
        ],
    )
    chain.block([tx], watch=[alice.address, bob.address, logger])
    alice.nonce += 1
    # the delegated account runs the logger's code on its own storage
    chain.block([sponsor.sign(to=alice.address, data=b"\x01\x02", gas=100_000)],
                watch=[alice.address])
    # self-sponsored (authorization nonce = tx nonce + 1), then cleared with the zero address
    own = alice.sign(to=alice.address, gas=100_000, advance=False,
                     authorizationList=[alice.authorize(bytes(20), alice.nonce + 1)])
    alice.nonce += 2
    chain.block([own], watch=[alice.address])


def test_precompiles(chain: TwinChain, wallets: list[Wallet]) -> None:
    a = wallets[0]
    calls = []
    for index in range(1, 0x12):
        target = index.to_bytes(20, "big")
        calls.append(a.sign(to=target, data=bytes(range(64)) * 2, gas=300_000))
    calls.append(a.sign(to=(5).to_bytes(20, "big"), gas=300_000,
                        data=(1).to_bytes(32, "big") * 3 + b"\x03\x05\x07"))  # modexp
    calls.append(a.sign(to=(9).to_bytes(20, "big"), gas=300_000,
                        data=(12).to_bytes(4, "big") + bytes(200) + b"\x01"))  # blake2f
    chain.block(calls)


def test_forced_items_and_deposits(chain: TwinChain, wallets: list[Wallet]) -> None:
    a, b = wallets[0], wallets[1]
    stranger = Account.create()
    fresh = bytes.fromhex(stranger.address[2:])
    forced_ok = b.sign(to=a.address, value=ETHER)
    forced_bad_nonce = b.sign(to=a.address, value=1, nonce=b.nonce + 7, advance=False)
    forced = (
        ForcedDeposit(index=0, recipient=fresh, amount=ETHER, enqueued_block=1),
        ForcedTransaction(index=1, raw=forced_ok.raw, enqueued_block=1),
        ForcedTransaction(index=2, raw=b"\x02\xc0garbage", enqueued_block=1),
        ForcedTransaction(index=3, raw=forced_bad_nonce.raw, enqueued_block=1),
        ForcedDeposit(index=4, recipient=b.address, amount=3, enqueued_block=1),
    )
    chain.block([a.sign(to=fresh, value=1)], forced=forced, watch=[fresh])
    spender = Wallet(stranger.key, a.chain_id)
    chain.block([spender.sign(to=a.address, value=10**15)])


def test_refused_candidates_are_skipped_alike(chain: TwinChain, wallets: list[Wallet]) -> None:
    a, b, c, d, e, f = wallets[:6]
    poor = Wallet(Account.create().key, a.chain_id)
    candidates = [
        a.sign(to=b.address, value=1, nonce=a.nonce + 3, advance=False),  # nonce too high
        a.sign(to=b.address, value=1),  # same sender after a refusal: skipped
        b.sign(to=a.address, value=1, maxFeePerGas=10**6, maxPriorityFeePerGas=0),  # fee cap
        poor.sign(to=a.address, value=1),  # no funds
        c.sign(to=a.address, value=1, gas=20_000),  # intrinsic gas
        d.sign(to=a.address, data=b"\x01" * 200, gas=25_000),  # EIP-7623 floor
        e.sign(to=a.address, value=1, chainId=a.chain_id + 1),  # chain id
        f.sign(to=a.address, value=1),
    ]
    result = chain.block(candidates)
    assert len(result.skipped) == 7
    assert len(result.executed.block.transactions) == 1


def test_full_block_stops_building(chain: TwinChain, wallets: list[Wallet]) -> None:
    a, b, c = wallets[0], wallets[1], wallets[2]
    deploy, loop = a.deploy(MEMORY_BOMB)
    chain.block([deploy])
    limit = int(chain.head.gas_limit)
    third = limit // 3
    candidates = [
        a.sign(to=loop, gas=third),  # out of gas at once: uses all of it
        a.sign(to=loop, gas=third),
        b.sign(to=loop, gas=third + 1),  # more than is left: skipped
        c.sign(to=a.address, value=1),
        a.sign(to=loop, gas=limit - 2 * third - 21_000),  # fills the block
        b.sign(to=a.address, value=2),  # never read: less than 21,000 gas left
    ]
    result = chain.block(candidates, watch=[loop])
    assert len(result.executed.block.transactions) == 4
    assert len(result.skipped) == 1


def test_large_block(chain: TwinChain, wallets: list[Wallet]) -> None:
    candidates = []
    for round_ in range(25):
        for index, wallet in enumerate(wallets):
            target = wallets[(index + 1) % len(wallets)].address
            candidates.append(wallet.sign(to=target, value=round_ + 1))
    result = chain.block(candidates)
    assert len(result.executed.block.transactions) == 250
    chain.block([wallets[0].sign(to=wallets[1].address, value=1)])


def test_native_refuses_what_py_evm_refuses(chain: TwinChain, wallets: list[Wallet]) -> None:
    a = wallets[0]
    built = chain.block([a.sign(to=wallets[1].address, value=1)])
    parent = chain.headers[-2]
    block = built.executed.block
    forged = type(block)(header=block.header.copy(gas_used=block.header.gas_used + 1),
                         transactions=block.transactions, senders=block.senders)
    for engine in (chain.reference, chain.native):
        with pytest.raises(InvalidBlock, match="gas_used mismatch"):
            engine.execute_block(parent, forged)
    replay = type(block)(header=block.header, transactions=block.transactions * 2,
                         senders=block.senders * 2)
    for engine in (chain.reference, chain.native):
        with pytest.raises(InvalidBlock):
            engine.execute_block(parent, replay)


def test_values_revm_cannot_hold_run_on_py_evm(
    wallets: list[Wallet], caplog: pytest.LogCaptureFixture
) -> None:
    rich = Wallet(Account.create().key, wallets[0].chain_id)
    base = devnet_genesis()
    genesis = replace(base, alloc={**base.alloc, rich.address: GenesisAccount(balance=2**250)})
    chain = TwinChain(genesis)
    huge_fee = rich.sign(to=wallets[1].address, value=1, maxFeePerGas=2**130,
                         maxPriorityFeePerGas=GWEI)
    with caplog.at_level(logging.INFO, logger="ordo.execution.native_engine"):
        chain.block([wallets[0].sign(to=rich.address, value=1), huge_fee])
    assert any("runs on py-evm: fee per gas of 2^128" in r.message for r in caplog.records)
    chain.block([rich.sign(to=wallets[1].address, value=2)])  # and back on revm


def test_system_contracts_when_deployed(wallets: list[Wallet]) -> None:
    """5.2: with py-evm's exact EIP-4788 and EIP-2935 code in the genesis, every block writes
    their slots at block start; calls read them back (history: the parent's hash)."""
    base = devnet_genesis()
    alloc = {
        **base.alloc,
        bytes(BEACON_ROOTS_ADDRESS): GenesisAccount(code=BEACON_ROOTS_CONTRACT_CODE),
        bytes(HISTORY_STORAGE_ADDRESS): GenesisAccount(code=HISTORY_STORAGE_CONTRACT_CODE),
    }
    chain = TwinChain(replace(base, alloc=alloc))
    a = wallets[0]
    chain.block()
    number = int(chain.head.block_number)
    timestamp = int(chain.head.timestamp)
    chain.block([
        a.sign(to=bytes(HISTORY_STORAGE_ADDRESS), data=(number - 1).to_bytes(32, "big"),
               gas=100_000),
        a.sign(to=bytes(BEACON_ROOTS_ADDRESS), data=timestamp.to_bytes(32, "big"), gas=100_000),
        a.sign(to=bytes(BEACON_ROOTS_ADDRESS), data=b"\x01" * 31, gas=100_000),  # reverts
    ], watch=[bytes(BEACON_ROOTS_ADDRESS), bytes(HISTORY_STORAGE_ADDRESS)])
    stored = chain.native.get_storage_at(chain.head, bytes(HISTORY_STORAGE_ADDRESS), number)
    assert stored == int.from_bytes(bytes(chain.headers[-2].hash), "big")
