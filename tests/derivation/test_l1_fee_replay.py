"""Derivation on a chain with the L1 data fee (docs/state_transition.md 6.4): batches carry each
block's L1 prices, and the replay reproduces every block and every balance, the fee vault's
included; a batch carrying other prices does not re-execute to the signed blocks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_hash.auto import keccak

from ordo.core.block_codec import encode_block
from ordo.core.genesis import GenesisL1, devnet_genesis
from ordo.core.l1_fee import FEE_VAULT_ADDRESS, L1FeeRules, L1Prices, header_l1_prices
from ordo.derivation.derived_chain import DerivedChain
from ordo.derivation.errors import InvalidBatch
from tests.derivation.batch_fixtures import decoded_batch, derived_chain
from tests.derivation.l2_chain_maker import L1OriginRef, L2ChainMaker, batch_block_of, made_traffic

GWEI = 10**9
BUILDERS = [b"\xb1" * 20, b"\xb2" * 20]
GENESIS = devnet_genesis(timestamp=1_700_000_000, l1_fee=L1FeeRules(), l1=GenesisL1(
    chain_id=31337, locking_pool=b"\x01" * 20, origin_number=3, origin_hash=keccak(b"l1 3")))
ORIGINS = [L1OriginRef(number, keccak(b"l1 %d" % number)) for number in (3, 4, 4, 5, 6, 6)]
PRICES = {3: L1Prices(1 * GWEI, 1), 4: L1Prices(10 * GWEI, 1), 5: L1Prices(100 * GWEI, 1),
          6: L1Prices(100 * GWEI, 50 * GWEI)}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[L2ChainMaker]:
    with made_traffic(tmp_path_factory.mktemp("source"), GENESIS, BUILDERS, 6, ORIGINS,
                      PRICES) as maker:
        yield maker


@pytest.fixture
def derived(tmp_path: Path) -> Iterator[DerivedChain]:
    with derived_chain(tmp_path / "derived", GENESIS) as chain:
        yield chain


def test_replay_reproduces_blocks_and_balances(made: L2ChainMaker,
                                               derived: DerivedChain) -> None:
    blocks = made.blocks
    assert [header_l1_prices(b.header) for b in blocks] == [PRICES[o.number] for o in ORIGINS]
    posted = [batch_block_of(block) for block in blocks]
    replayed = derived.apply(decoded_batch(0, blocks[:3], posted[:3])) + \
        derived.apply(decoded_batch(1, blocks[3:], posted[3:]))
    assert [encode_block(b) for b in replayed] == [encode_block(b) for b in blocks]
    head = made.chain.head_header()
    accounts = [FEE_VAULT_ADDRESS, *BUILDERS, *(made.signers.address(i) for i in range(10))]
    source = [made.chain.engine.get_balance(head, a) for a in accounts]
    assert source[0] > 0, "the vault collected base fees and L1 fees"
    assert [derived.chain.engine.get_balance(head, a) for a in accounts] == source


def test_other_prices_in_a_batch_re_execute_to_another_block(made: L2ChainMaker,
                                                              derived: DerivedChain) -> None:
    blocks = made.blocks[:3]
    posted = [batch_block_of(block) for block in blocks]
    posted[1] = dataclasses.replace(posted[1], l1_fee_word=L1Prices(11 * GWEI, 1).word())
    with pytest.raises(InvalidBatch, match=r"^batch 0, block 3: re-executed to hash"):
        derived.apply(decoded_batch(0, blocks, posted))


def test_a_fallback_block_carries_its_origins_prices(made: L2ChainMaker,
                                                     derived: DerivedChain) -> None:
    """A fallback block's L1 fee word is its origin's prices (rule 2 of 6.4), as the poster
    builds it (settlement/fallback_post.py) and derivation replays it."""
    from ordo.derivation.fallback_rules import FallbackOrigin
    from ordo.settlement.fallback_post import build_fallback_block
    from ordo.settlement.l2_readers import StoreL2Reader
    from tests.derivation.test_fallback_replay import fallback_batch

    blocks = made.blocks
    derived.apply(decoded_batch(0, blocks, [batch_block_of(block) for block in blocks]))
    origin = FallbackOrigin(7, keccak(b"l1 7"), 1_800_000_000, L1Prices(77 * GWEI, 3))
    block = build_fallback_block(StoreL2Reader(derived.store, GENESIS), GENESIS, origin, ())
    assert block.fields.l1_fee_word == origin.prices.word()
    committed = derived.apply(fallback_batch(block), None, {7: origin.timestamp})
    assert [b.hash for b in committed] == [block.block_hash]
    assert header_l1_prices(committed[0].header) == origin.prices
