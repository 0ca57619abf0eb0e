"""Vyper-compiled contracts through the step tracer, against py-evm: what a real compiler emits
(dispatch tables, calldata decoding, checked arithmetic, storage maps, transient storage, events,
revert reasons) steps and verifies like the hand-written corpus."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import vyper
from eth_abi import encode
from eth_hash.auto import keccak

from ordo.faultproof.tracer import MessageCall
from tests.faultproof.evm_reference import CALLER, TARGET, Account, check_against_py_evm

CONTRACTS = Path(__file__).parent / "contracts"


@cache
def runtime(name: str) -> bytes:
    source = (CONTRACTS / f"{name}.vy").read_text(encoding="utf-8")
    output = vyper.compile_code(source, output_formats=["bytecode_runtime"])
    return bytes.fromhex(str(output["bytecode_runtime"]).removeprefix("0x"))


def calldata(signature: str, types: list[str], values: list[object]) -> bytes:
    return keccak(signature.encode())[:4] + encode(types, values)


def _slot(key: bytes, index: int) -> int:
    """Vyper's HashMap slot of ``key`` in the map at storage slot ``index``."""
    return int.from_bytes(keccak(index.to_bytes(32, "big") + key.rjust(32, b"\0")), "big")


LEDGER_CALLS = [
    ("deposit", calldata("deposit(uint256)", ["uint256"], [5]), True),
    ("deposit zero reverts with a reason",
     calldata("deposit(uint256)", ["uint256"], [0]), False),
    ("withdraw within the balance", calldata("withdraw(uint256)", ["uint256"], [3]), True),
    ("withdraw past the balance", calldata("withdraw(uint256)", ["uint256"], [50]), False),
    ("set_note", calldata("set_note(bytes)", ["bytes"], [b"fault proofs " * 4]), True),
    ("digest", calldata("digest(uint256,int128)", ["uint256", "int128"], [7, -3]), True),
    ("a selector that does not exist", b"\x12\x34\x56\x78", False),
    ("a getter", calldata("balances(address)", ["address"], ["0x" + CALLER.hex()]), True),
    ("a bytes getter", calldata("note()", [], []), True),
    ("calldata too short for the argument", calldata("deposit(uint256)", [], []), False),
]


@pytest.mark.parametrize(("name", "data", "succeeds"), LEDGER_CALLS,
                         ids=[c[0] for c in LEDGER_CALLS])
def test_ledger(name: str, data: bytes, succeeds: bool) -> None:
    storage = ((_slot(CALLER, 0), 10), (1, 10))  # balances[CALLER] = 10, total = 10
    accounts = {TARGET: Account(code=runtime("Ledger"), storage=storage),
                CALLER: Account(balance=10**18)}
    trace = check_against_py_evm(accounts, MessageCall(CALLER, TARGET, data, gas=300_000))
    assert trace.success is succeeds


def test_mixer() -> None:
    data = calldata("mix(uint256,int256,uint256)", ["uint256", "int256", "uint256"],
                    [0xDEADBEEF, -12345, 9])
    accounts = {TARGET: Account(code=runtime("Mixer")), CALLER: Account(balance=10**18)}
    trace = check_against_py_evm(accounts, MessageCall(CALLER, TARGET, data, gas=300_000))
    assert trace.success and len(trace.output) == 128


def test_value_to_a_nonpayable_function_reverts() -> None:
    accounts = {TARGET: Account(code=runtime("Ledger")), CALLER: Account(balance=10**18)}
    call = MessageCall(CALLER, TARGET, calldata("deposit(uint256)", ["uint256"], [1]),
                       gas=300_000, value=1)
    assert not check_against_py_evm(accounts, call).success
