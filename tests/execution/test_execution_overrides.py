"""State and block overrides for calls: applied to the call's throw-away state only."""

from __future__ import annotations

import pytest
import rlp
from eth_utils import keccak

from ordo.core.call import CallRequest
from ordo.core.errors import CallFailed
from ordo.execution.call_overrides import AccountOverride, BlockOverrides, CallOverrides
from tests.execution.execution_chain import COINBASE, LocalChain, address_of, calldata, sign

TARGET = bytes.fromhex("7a" * 20)
RETURN_TOP = bytes.fromhex("60005260206000f3")  # MSTORE at 0, RETURN 32 bytes


def returning(opcodes: str) -> bytes:
    """Code that pushes one word with ``opcodes`` and returns it."""
    return bytes.fromhex(opcodes) + RETURN_TOP


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def call_with(chain: LocalChain, code: bytes, *, state: dict[bytes, AccountOverride] | None = None,
              block: BlockOverrides | None = None, **request: object) -> bytes:
    """Call TARGET with ``code`` (unless ``state`` overrides TARGET itself)."""
    accounts = {TARGET: AccountOverride(code=code), **(state or {})}
    overrides = CallOverrides(state=accounts, block=block)
    return chain.engine.call(chain.head, CallRequest(to=TARGET, **request),  # type: ignore[arg-type]
                             overrides)


def test_code_balance_and_nonce_overrides(chain: LocalChain) -> None:
    other = bytes.fromhex("0b" * 20)
    balance_of_other = returning("73" + other.hex() + "31")  # PUSH20 other, BALANCE
    assert call_with(chain, balance_of_other) == word(0)
    assert call_with(chain, balance_of_other,
                     state={other: AccountOverride(balance=12345)}) == word(12345)
    # CREATE from TARGET lands at the address of TARGET's (overridden) nonce
    create_empty = returning("600060006000f0")
    created = call_with(chain, create_empty, state={TARGET: AccountOverride(code=create_empty,
                                                                            nonce=41)})
    assert created == keccak(rlp.encode([TARGET, 41]))[12:].rjust(32, b"\0")
    assert chain.engine.get_code(chain.head, TARGET) == b""  # nothing persisted
    assert chain.engine.get_balance(chain.head, other) == 0


def test_state_replaces_all_storage_and_state_diff_patches(chain: LocalChain) -> None:
    slot_5 = returning("600554")  # PUSH1 5, SLOAD
    slot_6 = returning("600654")
    base = {TARGET: AccountOverride(code=slot_5, state_diff={5: 7, 6: 8})}
    assert call_with(chain, slot_5, state=base) == word(7)
    patched = {TARGET: AccountOverride(code=slot_6, state_diff={6: 8})}
    assert call_with(chain, slot_6, state=patched) == word(8)
    replaced = {TARGET: AccountOverride(code=slot_5, state={6: 1})}
    assert call_with(chain, slot_5, state=replaced) == word(0)


def test_state_override_wipes_storage_that_was_committed(chain: LocalChain, keys: list[bytes],
                                                         recorder: tuple[bytes, list]) -> None:
    bytecode, _abi = recorder
    sender = address_of(keys[0])
    fees = dict(maxFeePerGas=10**10, maxPriorityFeePerGas=1)
    deploy = sign(keys[0], chain.genesis.chain_id, nonce=0, gas=2_000_000, data=bytecode, **fees)
    deployed = keccak(rlp.encode([sender, 0]))[12:]
    store = sign(keys[0], chain.genesis.chain_id, nonce=1, gas=200_000, to=deployed,
                 data=calldata("store(uint256)", ["uint256"], [5]), **fees)
    chain.build([deploy, store])
    assert chain.engine.get_storage_at(chain.head, deployed, 0) == 5
    read_slot_0 = returning("600054")
    with_state = CallOverrides(state={deployed: AccountOverride(code=read_slot_0, state={})})
    assert chain.engine.call(chain.head, CallRequest(to=deployed), with_state) == word(0)
    with_diff = CallOverrides(state={deployed: AccountOverride(code=read_slot_0,
                                                               state_diff={1: 1})})
    assert chain.engine.call(chain.head, CallRequest(to=deployed), with_diff) == word(5)
    assert chain.engine.get_storage_at(chain.head, deployed, 0) == 5  # never persisted


def test_state_and_state_diff_together_is_geths_error(chain: LocalChain) -> None:
    with pytest.raises(CallFailed, match=r"^account 0x7A7a.* has both 'state' and 'stateDiff'$"):
        call_with(chain, b"", state={TARGET: AccountOverride(state={}, state_diff={})})


def test_block_overrides_change_the_context(chain: LocalChain) -> None:
    chain.build()
    chain.build()
    head = chain.head
    assert call_with(chain, returning("43")) == word(int(head.block_number))
    block = BlockOverrides(number=50, time=999, gas_limit=40_000_000,
                           fee_recipient=bytes.fromhex("fe" * 20), prev_randao=word(77),
                           base_fee_per_gas=0, blob_base_fee=9)
    assert call_with(chain, returning("43"), block=block) == word(50)
    assert call_with(chain, returning("42"), block=block) == word(999)
    assert call_with(chain, returning("45"), block=block) == word(40_000_000)
    assert call_with(chain, returning("41"), block=block) == word(int("fe" * 20, 16))
    assert call_with(chain, returning("41")) == word(int.from_bytes(COINBASE, "big"))
    assert call_with(chain, returning("44"), block=block) == word(77)
    assert call_with(chain, returning("4a"), block=block) == word(9)
    assert call_with(chain, returning("4a")) == word(1)
    # BASEFEE reads the overridden base fee once the call pays fees
    payer = bytes.fromhex("0d" * 20)
    priced = BlockOverrides(base_fee_per_gas=123)
    assert call_with(chain, returning("48"), block=priced, max_fee_per_gas=200, sender=payer,
                     state={payer: AccountOverride(balance=10**18)}) == word(123)


def test_blockhash_follows_an_overridden_number(chain: LocalChain) -> None:
    for _ in range(3):
        chain.build()
    head = chain.head  # number 3
    parent_hash = bytes(head.parent_hash)  # hash of block 2
    blockhash_of_2 = returning("600240")  # PUSH1 2, BLOCKHASH
    assert call_with(chain, blockhash_of_2) == parent_hash
    # at number 5, block 2 is still known; block 3 and 4 are not (read as zero)
    assert call_with(chain, blockhash_of_2, block=BlockOverrides(number=5)) == parent_hash
    assert call_with(chain, returning("600440"), block=BlockOverrides(number=5)) == word(0)
    # at number 2, block 2 is no ancestor; block 1 is
    assert call_with(chain, blockhash_of_2, block=BlockOverrides(number=2)) == word(0)
    assert call_with(chain, returning("600140"), block=BlockOverrides(number=2)) == \
        bytes(chain.headers[1].hash)


def test_estimate_gas_sees_overrides(chain: LocalChain) -> None:
    store = bytes.fromhex("6001600555")  # SSTORE(5, 1)
    fresh = chain.engine.estimate_gas(chain.head, CallRequest(to=TARGET),
                                      CallOverrides(state={TARGET: AccountOverride(code=store)}))
    dirty = chain.engine.estimate_gas(
        chain.head, CallRequest(to=TARGET),
        CallOverrides(state={TARGET: AccountOverride(code=store, state_diff={5: 2})}))
    # zero -> nonzero costs 20,000; an overridden nonzero original makes it a 2,900 reset
    assert fresh - dirty == 20_000 - 2_900
    poor = bytes.fromhex("0c" * 20)
    request = CallRequest(sender=poor, to=TARGET, value=10**18)
    with pytest.raises(CallFailed, match="insufficient"):
        chain.engine.estimate_gas(chain.head, request)
    rich = CallOverrides(state={poor: AccountOverride(balance=2 * 10**18)})
    assert chain.engine.estimate_gas(chain.head, request, rich) == 21_000
