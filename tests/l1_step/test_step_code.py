"""StepCode (the roots a call or creation step gives the callee's frame) on anvil against the
Python reference: cell_root(code) and cell_root(jumpdest_bitmap(code)) (the bitmap built a
word at a time, only the PUSHes walked), cell_root(data) alone for a transaction's data, and
the gas of the worst code (24,576 bytes)."""

from __future__ import annotations

import random

import pytest
from web3.contract import Contract

from ordo.faultproof.cells import cell_root
from ordo.faultproof.code_bits import jumpdest_bitmap
from tests.l1_contracts.anvil_chain import AnvilChain

MAX_CODE = 24_576


@pytest.fixture(scope="module")
def code_service(chain: AnvilChain) -> Contract:
    return chain.deploy("step/StepCode")


def _codes() -> list[bytes]:
    rng = random.Random(12)
    # PUSHes over cell and bitmap-cell edges, a PUSH32 running past the end, JUMPDESTs as data
    edges = [bytes([0x5B] * 31 + [0x7F] + [0x5B] * 40 + [0x60, 0x5B, 0x5B]),
             bytes([0x60]), bytes([0x7F, 0x5B]), bytes([0x5B] * 257)]
    sizes = [0, 1, 31, 32, 33, 255, 256, 257, 1000, 4097]
    randoms = [bytes(rng.choice([0x5B, 0x5B, 0x60, 0x61, 0x7F, 0x00, rng.randrange(256)])
                     for _ in range(size)) for size in sizes]
    # the word walk's cases: a PUSH right at pos, after JUMPDESTs, its data across words
    patterns = [(pattern * 400)[:1000] for pattern in (
        b"\x60", b"\x5b\x60\x5b", b"\x61\x5b\x5b", b"\x5b" * 31 + b"\x60",
        b"\x5b" * 30 + b"\x7f", b"\x5b\x7e" + b"\x5b" * 33)]
    dense = bytes(rng.choice([0x5B, 0x60, 0x61, 0x7F, 0x00]) for _ in range(MAX_CODE))
    return edges + randoms + patterns + [dense, bytes([0x5B]) * MAX_CODE]


@pytest.mark.parametrize("code", _codes(), ids=lambda c: f"{len(c)} bytes")
def test_roots_are_the_references(code_service: Contract, code: bytes) -> None:
    code_root, jumpdests_root = code_service.functions.roots(code).call()
    assert (bytes(code_root), bytes(jumpdests_root)) == \
        (cell_root(code), cell_root(jumpdest_bitmap(code)))
    data_root, nothing = code_service.functions.cells_root(code).call()
    assert (bytes(data_root), bytes(nothing)) == (cell_root(code), bytes(32))


def test_too_long_code_is_refused(code_service: Contract) -> None:
    with pytest.raises(Exception):  # noqa: B017 (the ABI bound: Vyper's decoder reverts)
        code_service.functions.roots(bytes(MAX_CODE + 1)).call()


def test_worst_code_gas(code_service: Contract) -> None:
    """24,576 bytes: every byte a JUMPDEST, every byte a PUSH1 and JUMPDEST-PUSH1 pairs (the
    dearest: a PUSH walked every two bytes), STOPs; printed for docs 3.7, bounded so that a
    frame opening with the worst code stays within EIP-7825's cap with margin."""
    for code in (bytes([0x5B]) * MAX_CODE, bytes([0x60]) * MAX_CODE,
                 b"\x5b\x60" * (MAX_CODE // 2), bytes(MAX_CODE)):
        gas = code_service.functions.roots(code).estimate_gas()
        print(f"StepCode.roots, 24,576 bytes of {code[:2].hex()}...: {gas} gas")
        assert gas < 6_500_000
    gas = code_service.functions.cells_root(bytes([0x5B]) * MAX_CODE).estimate_gas()
    print(f"StepCode.cells_root, 24,576 bytes: {gas} gas")
    assert gas < 1_500_000  # calldata, the words and the hashing: no scan
