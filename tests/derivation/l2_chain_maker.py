"""A real L2 chain made in-process, the way a single sequencer would: a Chain over a ChainStore,
blocks built by the engine from signed transfers and calls, each naming its builder and L1
origin in extra_data and its L1 origin hash as mix_hash; and the verbs to turn its blocks into
batch payloads.

Every block also calls a probe contract that stores PREVRANDAO and BLOCKHASH(number - 1) under
the block number, so a derivation that passed a wrong origin hash or wrong ancestor hashes
would land on another state root.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rlp
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.chain.chain import Chain
from ordo.core.batch_blocks import BatchBlock
from ordo.core.block import Block
from ordo.core.block_extra import decode_anchored_extra, encode_anchored_extra
from ordo.core.forced_item import ForcedItem, ForcedTransaction
from ordo.core.genesis import Genesis, dev_private_keys
from ordo.core.l1_fee import NO_PRICES, L1Prices, header_l1_prices
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.execution.engine import BlockEnvironment
from ordo.execution.output_roots import output_root_at
from ordo.storage.chain_store import ChainStore

PROBE_RUNTIME = bytes.fromhex("4443556001430340436110000155" "00")
"""sstore(number, prevrandao); sstore(number + 0x1000, blockhash(number - 1)); stop"""
PROBE_INIT = bytes.fromhex("600f600c600039600f6000f3") + PROBE_RUNTIME
GAS_PRICE = 2 * 10**9
BLOCK_SECONDS = 2


@dataclass(frozen=True)
class L1OriginRef:
    number: int
    hash: bytes


def anchored_extra_data(builder: bytes, origin: L1OriginRef | None,
                        forced_through: int = 0) -> bytes:
    if origin is None:
        return builder
    return encode_anchored_extra(builder, origin.number, forced_through)


class DevSigners:
    """The genesis's dev accounts signing EIP-1559 transactions with nonces tracked here."""

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        self.keys = dev_private_keys()
        self.nonces = [0] * len(self.keys)

    def address(self, index: int) -> bytes:
        return bytes.fromhex(Account.from_key(self.keys[index]).address[2:])

    def sign(self, index: int, to: bytes | None, value: int = 0, data: bytes = b"",
             gas: int = 21_000, nonce: int | None = None) -> DecodedTransaction:
        chosen = self.nonces[index] if nonce is None else nonce
        fields: dict[str, Any] = {"chainId": self.chain_id, "nonce": chosen, "gas": gas,
                  "maxFeePerGas": GAS_PRICE, "maxPriorityFeePerGas": 10**9, "value": value,
                  "data": "0x" + data.hex(), "type": 2}
        if to is not None:
            fields["to"] = to_checksum_address(to)
        signed = Account.sign_transaction(fields, self.keys[index])
        if nonce is None:
            self.nonces[index] += 1
        return decode_transaction(bytes(signed.raw_transaction))


class L2ChainMaker:
    """Builds and commits blocks on a fresh store; ``blocks`` holds them from block 1 on."""

    def __init__(self, data_dir: Path, genesis: Genesis, builders: Sequence[bytes]) -> None:
        self.store = ChainStore(data_dir)
        self.chain = Chain(self.store, genesis)
        self.genesis = genesis
        self.builders = list(builders)
        self.signers = DevSigners(genesis.chain_id)
        self.blocks: list[Block] = []
        self.probe = b""
        self.l1_prices: dict[int, L1Prices] = {}
        """L1 prices by origin number, on a genesis with the L1 fee (a producer's L1 view)."""

    def close(self) -> None:
        self.store.close()

    def output_root(self, number: int) -> bytes:
        """The output root of block ``number`` (what a batch ending there commits to)."""
        return output_root_at(self.chain.engine, self.chain.header_at(number)).root

    def build(self, transactions: Sequence[DecodedTransaction],
              origin: L1OriginRef | None, queue: Sequence[ForcedItem] = ()) -> Block:
        """A block on the head; with ``queue`` (every item the L1 queue holds), it takes the
        items enqueued up to its origin that its parent did not, as a producer does."""
        parent = self.chain.head_header()
        number = int(parent.block_number) + 1
        builder = self.builders[number % len(self.builders)]
        parent_fields = decode_anchored_extra(bytes(parent.extra_data))
        parent_through = 0 if parent_fields is None else parent_fields.forced_through
        visible = [] if origin is None else \
            [item for item in queue if item.enqueued_block <= origin.number]
        forced = tuple(visible[parent_through:])
        env = BlockEnvironment(
            coinbase=builder, timestamp=int(parent.timestamp) + BLOCK_SECONDS,
            gas_limit=int(parent.gas_limit),
            extra_data=anchored_extra_data(builder, origin, len(visible)),
            prev_randao=bytes(32) if origin is None else origin.hash, forced=forced,
            l1_prices=NO_PRICES if origin is None else self.l1_prices.get(origin.number,
                                                                          NO_PRICES))
        result = self.chain.engine.build_block(parent, transactions, env)
        assert not result.skipped, result.skipped
        forced_included = len(result.executed.block.transactions) - len(transactions)
        assert 0 <= forced_included <= sum(isinstance(item, ForcedTransaction)
                                           for item in forced)
        self.store.commit_block(result.executed, result.state_writes, finalized_number=number)
        self.blocks.append(result.executed.block)
        return result.executed.block

    def build_traffic(self, count: int, origins: Sequence[L1OriginRef | None],
                      transfers_per_block: int = 3) -> None:
        """``count`` blocks: the first deploys the probe, each later one calls it and moves ETH
        between dev accounts (several senders, so blocks hold interleaved nonces)."""
        for position in range(count):
            origin = origins[min(position, len(origins) - 1)]
            if not self.probe:
                deployer = self.signers.address(0)
                nonce = self.signers.nonces[0]
                deploy = self.signers.sign(0, None, data=PROBE_INIT, gas=200_000)
                self.probe = _created_address(deployer, nonce)
                self.build([deploy], origin)
                continue
            transactions = [self.signers.sign(1, self.probe, gas=100_000)]
            for offset in range(transfers_per_block):
                sender = 2 + (position + offset) % 7
                receiver = self.signers.address((sender + 1) % 10)
                transactions.append(self.signers.sign(sender, receiver, value=10**15 + offset))
            self.build(transactions, origin)


@contextmanager
def made_traffic(data_dir: Path, genesis: Genesis, builders: Sequence[bytes], count: int,
                 origins: Sequence[L1OriginRef | None],
                 l1_prices: Mapping[int, L1Prices] | None = None) -> Iterator[L2ChainMaker]:
    """A maker holding ``count`` blocks of ``build_traffic`` (with ``l1_prices`` by origin number
    on a genesis with the L1 fee), closed on exit: the source chain of the replay tests."""
    maker = L2ChainMaker(data_dir, genesis, builders)
    maker.l1_prices = dict(l1_prices or {})
    try:
        maker.build_traffic(count, origins)
        yield maker
    finally:
        maker.close()


def batch_block_of(block: Block) -> BatchBlock:
    header = block.header
    return BatchBlock(
        number=int(header.block_number), timestamp=int(header.timestamp),
        coinbase=bytes(header.coinbase), gas_limit=int(header.gas_limit),
        extra_data=bytes(header.extra_data), mix_hash=bytes(header.mix_hash),
        transactions=tuple(bytes(transaction.encode()) for transaction in block.transactions),
        l1_fee_word=header_l1_prices(header).word())


def _created_address(sender: bytes, nonce: int) -> bytes:
    return keccak(rlp.encode([sender, nonce]))[12:]
