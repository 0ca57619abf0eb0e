"""The L1 data fee's pure parts (docs/state_transition.md 6.4): the formula, the fee word, the
genesis field, the prices an L1 block sets, the batch encoding's flag, and the derivation and
validator checks of a block's L1 prices against its origin."""

from __future__ import annotations

import dataclasses

import pytest

from ordo.core.batch_blocks import (
    BatchBlock,
    BlockEncodingError,
    decode_blocks,
    encode_blocks,
)
from ordo.core.block_extra import encode_anchored_extra
from ordo.core.genesis import Genesis, devnet_genesis
from ordo.core.l1_fee import (
    L1FeeError,
    L1FeeRules,
    L1Prices,
    l1_fee,
    l1_gas_used,
    l1_prices_of_block,
)
from ordo.derivation.batch_data import DecodedBatch
from ordo.derivation.origin_rules import l1_prices_error
from ordo.execution.base_fee import blob_base_fee
from ordo.execution.block_assembly import make_header
from ordo.node.l1_origin import L1Origin, L1View, l1_prices_view_error
from tests.derivation.batch_fixtures import accepted

BUILDER = b"\xb1" * 20
GWEI = 10**9


def test_formula_and_word() -> None:
    raw = b"\x02" + bytes(10) + b"\xff" * 5
    assert l1_gas_used(raw) == 10 * 4 + 6 * 16
    prices = L1Prices(10 * GWEI, 3)
    rules = L1FeeRules(base_fee_scalar=1_000_000, blob_base_fee_scalar=0)
    # base_fee_scalar 1.0: exactly the calldata gas at the L1 base fee
    assert l1_fee(raw, prices, rules) == 136 * 10 * GWEI
    assert l1_fee(raw, prices, L1FeeRules(0, 1_000_000)) == 136 * 3 // 16
    assert L1Prices.of_word(prices.word()) == prices
    assert prices.word() == (10 * GWEI).to_bytes(16, "big") + (3).to_bytes(16, "big")
    with pytest.raises(L1FeeError, match=r"not in 0\.\.2"):
        L1Prices(2**128, 0)
    with pytest.raises(L1FeeError, match="base_fee_scalar"):
        L1FeeRules(base_fee_scalar=2**32)
    # An L1 block's prices: its base fee, and EIP-4844's blob base fee of its excess blob gas.
    assert l1_prices_of_block(7, None) == L1Prices(7, 1)
    assert l1_prices_of_block(None, 10**8) == L1Prices(0, 470_442_149)
    # One formula with the L2 header's (py-evm's constants): execution.base_fee.blob_base_fee.
    header = make_header(parent_hash=bytes(32), block_number=1, coinbase=BUILDER, timestamp=1,
                         gas_limit=30_000_000, extra_data=b"", base_fee=1, state_root=bytes(32))
    assert blob_base_fee(header.copy(excess_blob_gas=10**8)) == 470_442_149


def test_genesis_round_trip() -> None:
    genesis = devnet_genesis(l1_fee=L1FeeRules(base_fee_scalar=5, vault=b"\x42" * 20))
    again = Genesis.from_json(genesis.to_json())
    assert again.l1_fee == genesis.l1_fee
    assert Genesis.from_json(devnet_genesis().to_json()).l1_fee is None
    document = genesis.to_json()
    document["l1Fee"]["typo"] = 1
    with pytest.raises(ValueError, match="unknown keys"):
        Genesis.from_json(document)
    # JSON values of the wrong type are refused, not converted (int(true) is 1).
    for key, value, message in (("baseFeeScalar", True, "base_fee_scalar True"),
                                ("blobBaseFeeScalar", 1.5, "blob_base_fee_scalar 1.5"),
                                ("baseFeeScalar", "7", "base_fee_scalar '7'"),
                                ("vault", 42, "vault 42 is not a hex string"),
                                ("vault", "0xzz", "vault '0xzz' is not hex")):
        document = genesis.to_json()
        document["l1Fee"][key] = value
        with pytest.raises(L1FeeError, match=message):
            L1FeeRules.from_json(document["l1Fee"])


def test_batch_encoding_carries_the_word_only_when_it_changes() -> None:
    word = L1Prices(5 * GWEI, 9).word()
    blocks = [BatchBlock(n, 100 + n, BUILDER, 30_000_000, BUILDER, bytes(32), (b"\x01",),
                         word if n > 1 else bytes(32)) for n in (1, 2, 3)]
    data = encode_blocks(blocks)
    assert decode_blocks(data) == tuple(blocks)
    plain = [dataclasses.replace(b, l1_fee_word=bytes(32)) for b in blocks]
    assert len(data) == len(encode_blocks(plain)) + 32  # one change, one word
    with pytest.raises(BlockEncodingError, match="l1_fee_word"):
        BatchBlock(1, 1, BUILDER, 1, b"", bytes(32), (), b"\x01")
    # A flag for an unchanged word is not canonical.
    forged = bytearray(encode_blocks(plain[:1]))
    forged[1] |= 16
    forged[-3:-3] = bytes(32)  # the word goes before the transactions (count 1, length 1, byte)
    with pytest.raises(BlockEncodingError, match="L1 fee word flagged as changed"):
        decode_blocks(bytes(forged))


def test_derivation_and_validators_compare_the_word_with_the_origin() -> None:
    real = {100: L1Prices(20 * GWEI, 1), 101: L1Prices(25 * GWEI, 7)}

    def block(number: int, origin: int, prices: L1Prices) -> BatchBlock:
        return BatchBlock(number, 100 + number, BUILDER, 30_000_000,
                          encode_anchored_extra(BUILDER, origin, 0), bytes([origin]) * 32, (),
                          prices.word())

    good = DecodedBatch(accepted(2, 1, 2), (block(1, 100, real[100]), block(2, 101, real[101])))
    assert l1_prices_error(good, real) is None
    bad = DecodedBatch(accepted(2, 1, 2), (block(1, 100, real[100]), block(2, 101, real[100])))
    refused = l1_prices_error(bad, real)
    assert refused is not None and str(refused) == (
        f"batch 2, block 2: carries L1 prices {20 * GWEI}/1 (base fee/blob base fee), its "
        f"origin L1 block 101 sets {25 * GWEI}/7")

    header = make_header(parent_hash=bytes(32), block_number=1, coinbase=BUILDER, timestamp=1,
                         gas_limit=30_000_000, extra_data=b"", base_fee=1,
                         state_root=bytes(32), l1_fee_word=real[101].word())
    origin = L1Origin(101, b"\x65" * 32)
    view = L1View(110, {101: origin.hash}, real)
    assert l1_prices_view_error(header, origin, view) is None
    assert l1_prices_view_error(header, L1Origin(100, b"\x64" * 32), view) == (
        f"the block carries L1 prices {25 * GWEI}/7, L1 block 100 sets {20 * GWEI}/1")
    assert l1_prices_view_error(header, origin, L1View(110, {})) == \
        "the L1 prices of block 101 are unknown to this node's L1 endpoint"


def test_the_step_machine_needs_the_fee_rules_of_a_chain_with_the_l1_fee() -> None:
    """The challenger's rules carry the genesis's l1Fee (the step machine proves the fee,
    tests/faultproof/test_block_l1_fee.py); without them block start refuses as unprovable
    instead of tracing a wrong root."""
    from ordo.challenger.node_steps import chain_rules
    from ordo.faultproof.block_steps import block_start
    from ordo.faultproof.step import UnsupportedStep

    fee = L1FeeRules(base_fee_scalar=7)
    rules = chain_rules(devnet_genesis(l1_fee=fee))
    assert rules.l1_fee and rules.l1_fee_rules == fee
    plain = chain_rules(devnet_genesis())
    assert not plain.l1_fee and plain.l1_fee_rules is None
    with pytest.raises(UnsupportedStep, match="L1 data fee"):
        block_start(None, None, dataclasses.replace(rules, l1_fee_rules=None))  # type: ignore[arg-type]
