"""Re-execution with forced-queue items: a chain whose blocks took forced deposits and forced
transactions (valid, failing, undecodable) is rebuilt byte for byte, and every wrong claim about
the queue (a count, the header's count, a missing forced transaction) is named precisely."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.block_codec import encode_block
from ordo.core.block_extra import encode_anchored_extra
from ordo.core.forced_item import ForcedDeposit, ForcedItem, ForcedTransaction
from ordo.core.genesis import Genesis, GenesisL1, devnet_genesis
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.derivation.derived_chain import DerivedChain
from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.derivation.forced_rules import ForcedQueueItems
from ordo.storage.chain_store import ChainStore
from tests.derivation.batch_fixtures import decoded_batch, derived_chain
from tests.derivation.l2_chain_maker import GAS_PRICE, L1OriginRef, L2ChainMaker, batch_block_of

BUILDERS = [b"\xb1" * 20, b"\xb2" * 20]
GENESIS: Genesis = devnet_genesis(timestamp=1_700_000_000, l1=GenesisL1(
    chain_id=31337, locking_pool=b"\x01" * 20, origin_number=3, origin_hash=keccak(b"l1 3"),
    forced_queue=b"\x0f" * 20))
NO_QUEUE_GENESIS = dataclasses.replace(
    GENESIS, l1=dataclasses.replace(GENESIS.l1, forced_queue=None) if GENESIS.l1 else None)
USER_KEY = keccak(b"forced user: no L2 funds before its deposit")
USER = bytes.fromhex(Account.from_key(USER_KEY).address[2:])
RECIPIENT = b"\xab" * 20
DEPOSITED = 10**18


def origin(number: int) -> L1OriginRef:
    return L1OriginRef(number, keccak(b"l1 %d" % number))


def user_transfer(nonce: int) -> DecodedTransaction:
    fields: dict[str, Any] = {"chainId": GENESIS.chain_id, "nonce": nonce, "gas": 21_000,
                              "maxFeePerGas": GAS_PRICE, "maxPriorityFeePerGas": 10**9,
                              "value": 777, "to": to_checksum_address(RECIPIENT), "type": 2}
    return decode_transaction(bytes(Account.sign_transaction(fields, USER_KEY).raw_transaction))


@dataclasses.dataclass
class ForcedChain:
    maker: L2ChainMaker
    items: tuple[ForcedItem, ...]
    forced_valid: DecodedTransaction
    """The forced transaction that executes in block 4's prelude."""

    @property
    def queue(self) -> ForcedQueueItems:
        return ForcedQueueItems(self.items, 7)


@pytest.fixture(scope="module")
def forced_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForcedChain]:
    maker = L2ChainMaker(tmp_path_factory.mktemp("source"), GENESIS, BUILDERS)
    signers = maker.signers
    unfunded = user_transfer(0)  # fails in the prelude (no funds yet), then posted normally
    forced_valid = signers.sign(5, RECIPIENT, value=5)
    items: tuple[ForcedItem, ...] = (
        ForcedTransaction(0, unfunded.raw, 4),
        ForcedDeposit(1, USER, DEPOSITED, 4),
        ForcedTransaction(2, forced_valid.raw, 5),
        ForcedTransaction(3, signers.sign(6, RECIPIENT, value=1, nonce=99).raw, 5),
        ForcedTransaction(4, b"\x02\xc0", 5),
        ForcedDeposit(5, RECIPIENT, 3, 7),
        ForcedTransaction(6, user_transfer(1).raw, 7),
    )
    maker.build([signers.sign(1, signers.address(2), value=1)], origin(3), items)
    maker.build([unfunded, signers.sign(1, signers.address(3), value=2)], origin(4), items)
    maker.build([signers.sign(2, signers.address(4), value=3)], origin(4), items)
    maker.build([signers.sign(5, signers.address(1), value=4),
                 signers.sign(1, signers.address(5), value=5)], origin(5), items)
    maker.build([signers.sign(3, signers.address(1), value=6)], origin(6), items)
    maker.build([signers.sign(2, signers.address(1), value=7)], origin(7), items)
    yield ForcedChain(maker, items, forced_valid)
    maker.close()


@pytest.fixture
def derived(tmp_path: Path) -> Iterator[DerivedChain]:
    with derived_chain(tmp_path / "derived", GENESIS) as chain:
        yield chain


def test_the_chain_took_its_items_as_a_producer_would(forced_chain: ForcedChain) -> None:
    blocks = forced_chain.maker.blocks
    hashes = [[bytes(tx.hash) for tx in block.transactions] for block in blocks]
    assert hashes[1][0] == user_transfer(0).hash, "the failed forced tx is posted normally"
    assert hashes[3][0] == forced_chain.forced_valid.hash and len(hashes[3]) == 3
    assert hashes[5][0] == user_transfer(1).hash and len(hashes[5]) == 2


def test_blocks_with_forced_items_rebuild_byte_for_byte(forced_chain: ForcedChain,
                                                        derived: DerivedChain) -> None:
    blocks = forced_chain.maker.blocks
    posted = [batch_block_of(block) for block in blocks]
    first = derived.apply(decoded_batch(0, blocks[:3], posted[:3]), forced_chain.queue)
    second = derived.apply(decoded_batch(1, blocks[3:], posted[3:]), forced_chain.queue)
    assert [encode_block(block) for block in first + second] == \
        [encode_block(block) for block in blocks]
    state = derived.chain.engine
    head = derived.chain.head_header()
    assert state.get_balance(head, RECIPIENT) == 5 + 777 * 2 + 3


def test_a_count_that_is_not_the_items_up_to_the_origin_is_named(
        forced_chain: ForcedChain, derived: DerivedChain) -> None:
    blocks = forced_chain.maker.blocks
    posted = [batch_block_of(block) for block in blocks]
    builder = posted[3].extra_data[:20]
    posted[3] = dataclasses.replace(posted[3], extra_data=encode_anchored_extra(builder, 5, 4))
    derived.apply(decoded_batch(0, blocks[:3], posted[:3]), forced_chain.queue)
    with pytest.raises(InvalidBatch) as refused:
        derived.apply(decoded_batch(1, blocks[3:], posted[3:]), forced_chain.queue)
    assert str(refused.value) == ("batch 1, block 4: claims forced-queue items up to 4, but 5 "
                                  "were enqueued up to its L1 origin 5")
    assert derived.head_number() == 3


def test_a_count_going_back_is_named(forced_chain: ForcedChain, derived: DerivedChain) -> None:
    blocks = forced_chain.maker.blocks
    posted = [batch_block_of(block) for block in blocks[:3]]
    builder = posted[2].extra_data[:20]
    posted[2] = dataclasses.replace(posted[2], extra_data=encode_anchored_extra(builder, 4, 1))
    with pytest.raises(InvalidBatch) as refused:
        derived.apply(decoded_batch(0, blocks[:3], posted), forced_chain.queue)
    assert str(refused.value) == ("batch 0, block 3: forced-queue position 1 goes back from "
                                  "its parent's 2")
    assert derived.head_number() == 0


def test_a_count_on_a_network_without_a_queue_is_named(forced_chain: ForcedChain,
                                                       tmp_path: Path) -> None:
    blocks = forced_chain.maker.blocks[:2]
    with ChainStore(tmp_path / "no-queue") as store:
        chain = DerivedChain(store, NO_QUEUE_GENESIS)
        with pytest.raises(InvalidBatch) as refused:
            chain.apply(decoded_batch(0, blocks, [batch_block_of(block) for block in blocks]))
    assert str(refused.value) == ("batch 0, block 2: claims forced-queue position 2, but the "
                                  "genesis names no forced queue (it must stay 0)")


def test_a_header_count_other_than_its_last_block_is_named(forced_chain: ForcedChain,
                                                           derived: DerivedChain) -> None:
    blocks = forced_chain.maker.blocks[:3]
    batch = decoded_batch(0, blocks, [batch_block_of(block) for block in blocks],
                          forced_through=9)
    with pytest.raises(InvalidBatch) as refused:
        derived.apply(batch, forced_chain.queue)
    assert str(refused.value) == ("batch 0, block 3: the signed header's forced_through is 9, "
                                  "its last block claims 2")


def test_a_block_leaving_out_a_valid_forced_transaction_is_named(
        forced_chain: ForcedChain, derived: DerivedChain) -> None:
    blocks = forced_chain.maker.blocks
    posted = [batch_block_of(block) for block in blocks]
    kept = posted[3].transactions
    posted[3] = dataclasses.replace(posted[3], transactions=kept[1:])
    derived.apply(decoded_batch(0, blocks[:3], posted[:3]), forced_chain.queue)
    with pytest.raises(InvalidBatch) as refused:
        derived.apply(decoded_batch(1, blocks[3:], posted[3:]), forced_chain.queue)
    assert str(refused.value) == (
        f"batch 1, block 4: transaction 0 is 0x{keccak(kept[1]).hex()}, but the block's "
        f"forced-queue items execute forced transaction 0x{forced_chain.forced_valid.hash.hex()}"
        f" there (the 1 valid forced transactions lead the block)")


def test_a_queue_read_short_of_an_origin_is_an_error(forced_chain: ForcedChain,
                                                     derived: DerivedChain) -> None:
    blocks = forced_chain.maker.blocks[:3]
    short = ForcedQueueItems(forced_chain.items[:2], 3)
    with pytest.raises(DerivationError, match=r"^forced queue read up to L1 block 3, a block "
                                              r"names L1 origin 4$"):
        derived.apply(decoded_batch(0, blocks, [batch_block_of(block) for block in blocks]),
                      short)
