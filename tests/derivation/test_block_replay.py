"""Re-execution without L1: a chain made by the engine is rebuilt byte for byte from its batch
blocks, and every way a batch can decode yet not be that chain is named precisely."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_hash.auto import keccak

from ordo.core.block_codec import encode_block
from ordo.core.genesis import Genesis, GenesisL1, devnet_genesis
from ordo.derivation.derived_chain import DerivedChain
from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.storage.chain_store import ChainStore
from tests.derivation.batch_fixtures import decoded_batch, derived_chain
from tests.derivation.l2_chain_maker import L1OriginRef, L2ChainMaker, batch_block_of, made_traffic

BUILDERS = [b"\xb1" * 20, b"\xb2" * 20]
GENESIS = devnet_genesis(timestamp=1_700_000_000, l1=GenesisL1(
    chain_id=31337, locking_pool=b"\x01" * 20, origin_number=3, origin_hash=keccak(b"l1 3")))
ORIGINS = [L1OriginRef(number, keccak(b"l1 %d" % number)) for number in (3, 3, 4, 5, 5, 5, 6)]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[L2ChainMaker]:
    with made_traffic(tmp_path_factory.mktemp("source"), GENESIS, BUILDERS, 9, ORIGINS) as maker:
        yield maker


@pytest.fixture
def derived(tmp_path: Path) -> Iterator[DerivedChain]:
    with derived_chain(tmp_path / "derived", GENESIS) as chain:
        yield chain


def test_batches_rebuild_every_block_byte_for_byte(made: L2ChainMaker,
                                                   derived: DerivedChain) -> None:
    blocks = made.blocks
    posted = [batch_block_of(block) for block in blocks]
    first = derived.apply(decoded_batch(0, blocks[:4], posted[:4]))
    second = derived.apply(decoded_batch(1, blocks[4:], posted[4:]))
    assert [encode_block(block) for block in first + second] == \
        [encode_block(block) for block in blocks]
    for block in blocks:
        stored = derived.store.get_block_by_number(block.number)
        assert stored is not None and encode_block(stored) == encode_block(block)
    assert derived.store.finalized_number() == blocks[-1].number
    # a batch already derived is checked against the store, not replayed
    assert derived.apply(decoded_batch(0, blocks[:4], posted[:4])) == []


def test_a_wrong_output_root_in_the_signed_header_is_named(made: L2ChainMaker,
                                                          derived: DerivedChain) -> None:
    blocks = made.blocks[:3]
    batch = decoded_batch(0, blocks, [batch_block_of(block) for block in blocks],
                          output_root=b"\x5a" * 32)
    with pytest.raises(InvalidBatch) as refused:
        derived.apply(batch)
    root = made.output_root(3).hex()
    assert str(refused.value) == (
        f"batch 0, block 3: re-executed to hash 0x{blocks[-1].hash.hex()} and output root "
        f"0x{root}, the signed header says hash 0x{blocks[-1].hash.hex()} and output root "
        f"0x{'5a' * 32}")
    assert derived.head_number() == 0, "nothing of an invalid batch is committed"


def test_a_changed_timestamp_decodes_but_re_executes_to_another_hash(
        made: L2ChainMaker, derived: DerivedChain) -> None:
    blocks = made.blocks[:3]
    posted = [batch_block_of(block) for block in blocks]
    posted[1] = dataclasses.replace(posted[1], timestamp=posted[1].timestamp + 1)
    with pytest.raises(InvalidBatch, match=r"^batch 0, block 3: re-executed to hash 0x(?!"
                                           rf"{blocks[-1].hash.hex()})"):
        derived.apply(decoded_batch(0, blocks, posted))


def test_a_transaction_the_engine_skips_is_named(made: L2ChainMaker,
                                                 derived: DerivedChain) -> None:
    blocks = made.blocks[:3]
    posted = [batch_block_of(block) for block in blocks]
    stale = made.signers.sign(4, b"\x33" * 20, value=1, nonce=50)
    kept = posted[2].transactions
    posted[2] = dataclasses.replace(posted[2], transactions=(*kept[:2], stale.raw, *kept[2:]))
    with pytest.raises(InvalidBatch) as refused:
        derived.apply(decoded_batch(0, blocks, posted))
    assert str(refused.value).startswith(
        f"batch 0, block 3: transaction 2 (0x{stale.hash.hex()}) is skipped on re-execution: "
        f"nonce too high")


def test_a_transaction_that_does_not_decode_is_named(made: L2ChainMaker,
                                                     derived: DerivedChain) -> None:
    blocks = made.blocks[:2]
    posted = [batch_block_of(block) for block in blocks]
    posted[1] = dataclasses.replace(posted[1], transactions=(b"\x02\xc0",))
    with pytest.raises(InvalidBatch, match=r"^batch 0, block 2: transaction 0 does not decode: "):
        derived.apply(decoded_batch(0, blocks, posted))


def test_a_block_without_its_l1_origin_is_named(made: L2ChainMaker,
                                                derived: DerivedChain) -> None:
    blocks = made.blocks[:2]
    posted = [batch_block_of(block) for block in blocks]
    posted[1] = dataclasses.replace(posted[1], extra_data=posted[1].extra_data[:20])
    with pytest.raises(InvalidBatch, match=r"^batch 0, block 2: extra data is 20 bytes; an "
                                           r"L1-anchored network uses 32"):
        derived.apply(decoded_batch(0, blocks, posted))


def test_a_block_over_its_gas_limit_is_named(tmp_path: Path) -> None:
    small = Genesis(**{**GENESIS.__dict__, "gas_limit": 100_000})
    maker = L2ChainMaker(tmp_path / "small", small, BUILDERS)
    try:
        maker.build([maker.signers.sign(index, b"\x44" * 20, value=1) for index in range(4)],
                    ORIGINS[0])
        fifth = maker.signers.sign(5, b"\x44" * 20, value=1)
        posted = batch_block_of(maker.blocks[0])
        posted = dataclasses.replace(posted, transactions=(*posted.transactions, fifth.raw))
        with ChainStore(tmp_path / "derived") as store, \
                pytest.raises(InvalidBatch) as refused:
            DerivedChain(store, small).apply(decoded_batch(0, maker.blocks, [posted]))
    finally:
        maker.close()
    assert str(refused.value) == (f"batch 0, block 1: transaction 4 (0x{fifth.hash.hex()}) does "
                                  f"not fit: the block's gas ran out after 4 of 5 transactions")


def test_a_data_dir_from_another_chain_is_refused(made: L2ChainMaker, tmp_path: Path) -> None:
    blocks = made.blocks[:2]
    posted = [batch_block_of(block) for block in blocks]
    with ChainStore(tmp_path / "derived") as store:
        chain = DerivedChain(store, GENESIS)
        chain.apply(decoded_batch(0, blocks, posted))
        other = decoded_batch(0, blocks, posted)
        forged = dataclasses.replace(other, accepted=dataclasses.replace(
            other.accepted, last_block_hash=b"\x01" * 32))
        with pytest.raises(DerivationError, match=r"batch 0: the data directory holds block 2 "
                                                  r"0x.*it was derived from another chain"):
            chain.apply(forged)
        later = decoded_batch(3, made.blocks[5:7], [batch_block_of(block)
                                                    for block in made.blocks[5:7]])
        with pytest.raises(DerivationError, match="batch 3 starts at block 6 but the derived "
                                                  "chain ends at 2"):
            chain.apply(later)
