"""The deterministic pieces: block clock, range splitting, fee rule, revert and ABI decoding."""

from __future__ import annotations

import itertools

import pytest
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from hypothesis import given
from hypothesis import strategies as st

from ordo.devchain.block_clock import BlockClock, TimeTravelError
from ordo.l1.abi_codec import AbiError, ContractAbi
from ordo.l1.chain_records import L1Log, LogFilter, encode_block_tag
from ordo.l1.fee_suggestion import median_reward, suggest_fees
from ordo.l1.log_ranges import halve, is_range_refusal, split_range
from ordo.l1.rpc_errors import L1RpcError, decode_revert_reason


def test_clock_follows_the_wall_but_never_repeats_a_second() -> None:
    clock = BlockClock()
    assert clock.timestamp_for_next_block(1000.9, 900) == 1000
    assert clock.timestamp_for_next_block(1000.9, 1000) == 1001
    assert clock.increase(60, now=1000.0, latest_timestamp=1001) == 61
    assert clock.timestamp_for_next_block(1000.0, 1001) == 1061  # latest block + 60
    clock.pin_next(5000, parent_timestamp=1061)
    assert clock.timestamp_for_next_block(1001.0, 1061) == 5000
    # The pin moved the clock: the next block follows from there, once.
    assert clock.timestamp_for_next_block(1001.0, 5000) == 5001
    with pytest.raises(TimeTravelError):
        clock.pin_next(5000, parent_timestamp=5000)
    with pytest.raises(TimeTravelError):
        clock.increase(-1, now=0.0, latest_timestamp=0)


@given(st.lists(st.tuples(st.floats(0, 10), st.integers(0, 100)), max_size=30))
def test_clock_timestamps_strictly_increase(steps: list[tuple[float, int]]) -> None:
    clock, now, parent = BlockClock(), 1_000.0, 1_000
    for elapsed, jump in steps:
        now += elapsed
        if jump % 3 == 0:
            clock.increase(jump, now, parent)
        child = clock.timestamp_for_next_block(now, parent)
        assert child > parent
        parent = child


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(1, 500))
def test_split_range_covers_exactly(first: int, length: int, span: int) -> None:
    last = first + length
    pieces = split_range(first, last, span)
    assert pieces[0][0] == first and pieces[-1][1] == last
    assert all(b - a + 1 <= span for a, b in pieces)
    assert all(later[0] == earlier[1] + 1 for earlier, later in itertools.pairwise(pieces))


def test_halving_and_refusals() -> None:
    assert halve(10, 11) == ((10, 10), (11, 11))
    assert halve(5, 5) is None
    assert split_range(3, 2, 10) == []
    with pytest.raises(ValueError):
        split_range(0, 1, 0)
    assert is_range_refusal(-32005, "whatever")
    assert is_range_refusal(-32000, "query returned more than 10000 results")
    assert not is_range_refusal(-32000, "invalid topic")


def test_fee_rule() -> None:
    fees = suggest_fees(next_base_fee=10, priority_fee=3)
    assert (fees.base_fee, fees.max_priority_fee_per_gas, fees.max_fee_per_gas) == (10, 3, 23)
    assert suggest_fees(10, 0).max_priority_fee_per_gas == 1
    assert median_reward([[5], [1], [], [9]]) == 5
    assert median_reward([[], []]) is None


def test_revert_reasons() -> None:
    error_data = bytes.fromhex("08c379a0") + abi_encode(["string"], ["no way"])
    assert decode_revert_reason(error_data) == "no way"
    panic = bytes.fromhex("4e487b71") + abi_encode(["uint256"], [0x11])
    assert decode_revert_reason(panic) == "panic 0x11"
    assert decode_revert_reason(b"\x01\x02\x03\x04") is None
    assert decode_revert_reason(bytes.fromhex("08c379a0") + b"\x00" * 3) is None
    error = L1RpcError("eth_call", 3, "execution reverted", "0x" + error_data.hex())
    assert error.is_revert and error.revert_reason == "no way" and error.revert_data == error_data
    assert "no way" in str(error)
    nested = L1RpcError("eth_call", -32000, "execution reverted", {"data": "0x" + panic.hex()})
    assert nested.revert_reason == "panic 0x11"
    assert L1RpcError("x", -32000, "m", "0xzz").revert_data is None


TRANSFER_ABI = [
    {"type": "event", "name": "Note", "anonymous": False, "inputs": [
        {"name": "who", "type": "address", "indexed": True},
        {"name": "tag", "type": "string", "indexed": True},
        {"name": "point", "type": "tuple", "indexed": False, "components": [
            {"name": "x", "type": "uint8"}, {"name": "y", "type": "int16"}]},
    ]},
    {"type": "function", "name": "f", "inputs": [{"name": "a", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}], "stateMutability": "view"},
    {"type": "function", "name": "f", "inputs": [{"name": "a", "type": "address"}],
     "outputs": [], "stateMutability": "nonpayable"},
    {"type": "function", "name": "g", "inputs": [], "outputs": [
        {"name": "", "type": "uint256"}, {"name": "", "type": "string"}]},
    {"type": "constructor", "inputs": [{"name": "n", "type": "uint64"}]},
]


def test_abi_events_with_tuples_and_hashed_indexed_strings() -> None:
    abi = ContractAbi.parse(TRANSFER_ABI)
    event = abi.event("Note")
    assert event.signature == "Note(address,string,(uint8,int16))"
    who = b"\xab" * 20
    log = L1Log(address=b"\x01" * 20,
                topics=(event.topic, bytes(12) + who, keccak(b"hello")),
                data=abi_encode(["(uint8,int16)"], [(7, -3)]), block_number=1,
                block_hash=b"\x00" * 32, transaction_hash=b"\x00" * 32, transaction_index=0,
                log_index=0)
    decoded = event.decode(log)
    assert decoded.arguments == {"who": "0x" + who.hex(), "tag": keccak(b"hello"),
                                 "point": (7, -3)}
    with pytest.raises(AbiError, match="indexed topics"):
        event.decode(L1Log(log.address, log.topics[:2], log.data, 1, log.block_hash,
                           log.transaction_hash, 0, 0))
    with pytest.raises(AbiError, match="not a Note"):
        event.decode(L1Log(log.address, (b"\x00" * 32,), b"", 1, log.block_hash,
                           log.transaction_hash, 0, 0))


def test_abi_functions_overloads_and_errors() -> None:
    abi = ContractAbi.parse(TRANSFER_ABI)
    with pytest.raises(AbiError, match="overloaded"):
        abi.function("f", 1)
    by_signature = abi.function("f(uint256)", 1)
    assert by_signature.encode_call([5]) == keccak(b"f(uint256)")[:4] + (5).to_bytes(32, "big")
    with pytest.raises(AbiError, match="cannot encode"):
        by_signature.encode_call(["five"])
    with pytest.raises(AbiError, match="takes 1 arguments"):
        by_signature.encode_call([])
    g = abi.function("g", 0)
    assert g.decode_result(abi_encode(["uint256", "string"], [3, "x"])) == (3, "x")
    with pytest.raises(AbiError, match="cannot decode"):
        g.decode_result(b"\x01")
    with pytest.raises(AbiError, match="no function h"):
        abi.function("h", 0)
    assert abi.encode_constructor([9]) == (9).to_bytes(32, "big")
    with pytest.raises(AbiError):
        ContractAbi.parse([{"type": "function", "name": "x", "inputs": [{"name": "a"}]}])


def test_block_tags_and_log_filters() -> None:
    assert encode_block_tag(16) == "0x10" and encode_block_tag("safe") == "safe"
    for bad in (-1, "newest", True, 1.5):
        with pytest.raises(ValueError):
            encode_block_tag(bad)  # type: ignore[arg-type]
    query = LogFilter(1, 2, (b"\x01" * 20,), (b"\x02" * 32, None, (b"\x03" * 32, b"\x04" * 32)))
    assert query.to_json(1, 2) == {
        "fromBlock": "0x1", "toBlock": "0x2", "address": ["0x" + "01" * 20],
        "topics": ["0x" + "02" * 32, None, ["0x" + "03" * 32, "0x" + "04" * 32]]}
    with pytest.raises(ValueError, match="empty"):
        LogFilter(3, 2)
    with pytest.raises(ValueError, match="20 bytes"):
        LogFilter(0, 1, (b"\x01",))
    with pytest.raises(ValueError, match="32 bytes"):
        LogFilter(0, 1, (), (b"\x01",))
