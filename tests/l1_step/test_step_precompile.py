"""StepPrecompile (docs/fault_proofs.md 4.2 step 7) against py-evm, the engine: for inputs of
every Prague precompile 0x01-0x11 (valid ones, refused ones, prices at the edges of each
formula), the Vyper price equals the gas py-evm's precompile uses, and the run on anvil (L1's own
precompile, called with exactly that price) gives what ``precompile_call.run_precompile`` gives:
success, gas left, the output's cell root and size, with the price exact, one gas short, and
plenty."""

from __future__ import annotations

from functools import cache

import pytest
from eth.precompiles.bls12_381.constants import (
    G1_MSM_DISCOUNTS,
    G1_MSM_MAX_DISCOUNT,
    G2_MSM_DISCOUNTS,
    G2_MSM_MAX_DISCOUNT,
)
from eth_keys import keys
from py_ecc import bn128
from web3.contract import Contract

from ordo.faultproof.cells import cell_root
from ordo.faultproof.precompile_call import PrecompileResult, run_precompile
from tests.l1_contracts.anvil_chain import AnvilChain

SENDER = bytes.fromhex("aa" * 20)
PLENTY = 10_000_000


def _word(number: int) -> bytes:
    return number.to_bytes(32, "big")


def _ecrecover_input() -> bytes:
    key = keys.PrivateKey(b"\x01" * 32)
    digest = b"\x42" * 32
    signature = key.sign_msg_hash(digest)
    return digest + _word(signature.v + 27) + _word(signature.r) + _word(signature.s)


def _g2() -> bytes:
    (x0, x1), (y0, y1) = ((int(c.coeffs[0]), int(c.coeffs[1])) for c in bn128.G2)  # type: ignore[attr-defined]
    return _word(x1) + _word(x0) + _word(y1) + _word(y0)


def _modexp(base: bytes, exponent: bytes, modulus: bytes) -> bytes:
    return _word(len(base)) + _word(len(exponent)) + _word(len(modulus)) + base + exponent + \
        modulus


def _blake2f(rounds: int, final: int) -> bytes:
    return rounds.to_bytes(4, "big") + bytes(range(64)) + bytes(128) + bytes(16) + \
        bytes([final])


G1 = _word(1) + _word(2)
CASES: list[tuple[int, bytes]] = [
    (1, _ecrecover_input()), (1, bytes(128)), (1, b"\x01"),
    (2, b""), (2, b"abc"), (2, bytes(32)), (2, bytes(33)), (2, bytes(1000)),
    (3, b""), (3, b"abc"), (3, bytes(65)),
    (4, b""), (4, b"identity " * 5), (4, bytes(64)), (4, bytes(1000)),
    (5, bytes(96)), (5, _modexp(b"\x03", b"\x01\x00\x01", b"\x07" * 20)),
    (5, _modexp(b"\x02" * 64, b"\xff" * 40, b"\x05" * 64)),
    (5, _modexp(b"\x02", b"\x00" * 33, b"\x0b")), (5, _modexp(b"", b"\x05", b"")),
    (5, _word(1) + _word(2**70) + _word(1)),  # an exponent longer than any gas pays for
    (5, _word(2**50) + _word(1) + _word(1)),
    (6, G1 + G1), (6, b"\x01" * 128), (6, b""),
    (7, G1 + _word(7)), (7, b"\x01" * 96),
    (8, b""), (8, G1 + _g2()), (8, G1 + _g2() + G1 + _g2()), (8, bytes(100)),
    (9, _blake2f(12, 1)), (9, _blake2f(0, 0)), (9, _blake2f(2000, 1)), (9, _blake2f(1, 2)),
    (9, bytes(212)),
    (10, bytes(192)), (10, b"\x01" * 10),
    (11, bytes(256)), (11, bytes(255)),
    (12, bytes(160)), (12, bytes(160 * 3)), (12, bytes(161)),
    (12, b""),
    (13, bytes(512)), (13, bytes(100)),
    (14, bytes(288)), (14, bytes(288 * 2)), (14, bytes(289)),
    (15, bytes(384)), (15, bytes(384 * 2)), (15, b""), (15, bytes(383)),
    (16, bytes(64)), (16, b"\xff" * 64), (16, bytes(63)),
    (17, bytes(128)), (17, bytes(129)),
]


@cache
def _reference(precompile: int, data: bytes, gas: int) -> PrecompileResult:
    return run_precompile(_address(precompile), data, gas, SENDER, 0)


@pytest.fixture(scope="module")
def service(chain: AnvilChain) -> Contract:
    return chain.deploy("step/StepPrecompile")


def _address(number: int) -> bytes:
    return number.to_bytes(20, "big")


@pytest.mark.parametrize(("precompile", "data"), CASES)
def test_price_and_run_match_py_evm(service: Contract, precompile: int, data: bytes) -> None:
    reference = _reference(precompile, data, PLENTY)
    price = int(service.functions.price(precompile, data).call())
    if reference.success:
        assert price == PLENTY - reference.gas_left
    gases = [PLENTY] + ([price, price - 1] if 0 < price < PLENTY else [])
    for gas in gases:
        expected = _reference(precompile, data, gas)
        success, gas_left, root, size = service.functions.run(precompile, gas, data).call(
            {"gas": 29_000_000})
        assert (success, gas_left, bytes(root), size) == (
            expected.success, expected.gas_left, cell_root(expected.output),
            len(expected.output)), (precompile, gas)


def test_every_precompile_is_covered_with_a_success_and_a_failure() -> None:
    outcomes: dict[int, set[bool]] = {}
    for precompile, data in CASES:
        result = _reference(precompile, data, PLENTY)
        outcomes.setdefault(precompile, set()).add(result.success)
    assert sorted(outcomes) == list(range(1, 18))
    # ecrecover and the hashes never refuse an input; the KZG success needs a real proof
    assert all(outcomes[p] == {True, False} for p in outcomes if p not in (1, 2, 3, 4, 10)), \
        outcomes


def test_not_a_precompile_is_refused(service: Contract, chain: AnvilChain) -> None:
    from web3.exceptions import ContractLogicError

    with pytest.raises(ContractLogicError, match="not a Prague precompile"):
        service.functions.run(18, PLENTY, b"").call()


@pytest.mark.parametrize("pairs", [1, 2, 64, 127, 128, 129, 150])
def test_the_msm_discount_tables_are_py_evms(service: Contract, pairs: int) -> None:
    """EIP-2537's MSM prices for any number of pairs, against py-evm's tables (running py-evm
    on 129 G2 pairs takes half a minute, so the price is checked by its formula here; the runs
    above check it for small inputs)."""
    g1 = G1_MSM_DISCOUNTS[pairs - 1] if pairs <= 128 else G1_MSM_MAX_DISCOUNT
    g2 = G2_MSM_DISCOUNTS[pairs - 1] if pairs <= 128 else G2_MSM_MAX_DISCOUNT
    assert service.functions.price(12, bytes(160 * pairs)).call() == \
        pairs * 12_000 * g1 // 1000
    assert service.functions.price(14, bytes(288 * pairs)).call() == \
        pairs * 22_500 * g2 // 1000
