"""Test helper: a devnet chain built by the project's engine (``PyEvmEngine.build_block``) on a
memory store, with what ``trace_block`` needs for any of its blocks (the parent header's RLP, the
ancestors' headers, the state store, the block as a batch carries it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import rlp
import vyper
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.batch_blocks import BatchBlock
from ordo.core.block import ExecutedBlock
from ordo.core.forced_item import ForcedItem
from ordo.core.genesis import Genesis, dev_private_keys, devnet_genesis
from ordo.core.l1_fee import NO_PRICES, L1Prices, header_l1_prices
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.output_roots import output_root_at
from ordo.execution.state_source import MemoryKeyValueStore, OverlayDatabase
from ordo.faultproof.block_parts import NO_QUEUE, ChainRules, ForcedQueue
from ordo.faultproof.block_tracer import BlockTrace, trace_block
from ordo.faultproof.machine_state import PHASE_EVM
from ordo.faultproof.step import InvalidWitness
from ordo.faultproof.verify import verify_step

CONTRACTS = Path(__file__).parent / "contracts"
COINBASE = bytes.fromhex("cb" * 20)
BUILDER = bytes.fromhex("b0" * 20)
MAX_FEE = 3 * 10**9
TIP = 10**9


@cache
def init_code(name: str) -> bytes:
    """The init code of ``contracts/<name>.vy`` compiled by the real Vyper compiler."""
    source = (CONTRACTS / f"{name}.vy").read_text(encoding="utf-8")
    output = vyper.compile_code(source, output_formats=["bytecode"])
    return bytes.fromhex(str(output["bytecode"]).removeprefix("0x"))


def ledger_init_code() -> bytes:
    return init_code("Ledger")


def flipped_bytes_refused(trace: BlockTrace, rules: ChainRules, per_witness: int) -> int:
    """Flip one bit at ``per_witness`` evenly spaced bytes of every block-level witness of
    ``trace``: each must be refused, the untouched witness still verify; the flips checked."""
    checked = 0
    for index, step in enumerate(trace.steps):
        if step.phase == PHASE_EVM:
            continue
        witness = step.witness
        for position in range(0, len(witness), max(1, len(witness) // per_witness)):
            tampered = bytearray(witness)
            tampered[position] ^= 0x01
            with pytest.raises(InvalidWitness):
                verify_step(step.pre, bytes(tampered), rules)
            checked += 1
        assert verify_step(step.pre, witness, rules) == step.post, index
    return checked


def rules_of(genesis: Genesis) -> ChainRules:
    fees = genesis.fee_rules
    return ChainRules(genesis.chain_id, fees.base_fee_floor, fees.elasticity_multiplier,
                      fees.base_fee_max_change_denominator, genesis.l1 is not None,
                      genesis.l1_fee is not None, genesis.l1_fee)


@dataclass
class DevChain:
    """Blocks built one by one; ``blocks[0]`` is the genesis."""

    genesis: Genesis = field(default_factory=devnet_genesis)
    store: MemoryKeyValueStore = field(default_factory=MemoryKeyValueStore)
    blocks: list[ExecutedBlock] = field(default_factory=list)
    nonces: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.engine = PyEvmEngine(self.genesis, self.store)
        block, writes = self.engine.genesis_block()
        self.store.apply(writes)
        self.blocks.append(block)
        self.keys = dev_private_keys()

    def address(self, signer: int) -> bytes:
        return bytes.fromhex(Account.from_key(self.keys[signer]).address[2:])

    def sign(self, signer: int, to: bytes | None, value: int = 0, data: bytes = b"",
             gas: int = 21_000, tx_type: int = 2, tip: int = TIP, nonce: int | None = None,
             **extra: Any) -> DecodedTransaction:
        """A signed transaction of dev account ``signer``; its nonce is tracked here unless
        given."""
        if nonce is None:
            nonce = self.nonces.get(signer, 0)
            self.nonces[signer] = nonce + 1
        fields: dict[str, Any] = {"chainId": self.genesis.chain_id, "nonce": nonce, "gas": gas,
                                  "value": value, "data": "0x" + data.hex(), **extra}
        if tx_type == 0:
            fields["gasPrice"] = MAX_FEE
        else:
            fields.update(maxFeePerGas=MAX_FEE, maxPriorityFeePerGas=tip, type=tx_type)
            if tx_type == 1:
                fields.pop("maxFeePerGas")
                fields.pop("maxPriorityFeePerGas")
                fields["gasPrice"] = MAX_FEE
        if to is not None:
            fields["to"] = to_checksum_address(to)
        signed = Account.sign_transaction(fields, self.keys[signer])
        return decode_transaction(bytes(signed.raw_transaction))

    def build(self, txs: list[DecodedTransaction], forced: tuple[ForcedItem, ...] = (),
              coinbase: bytes = COINBASE, extra_data: bytes = BUILDER,
              mix_hash: bytes = bytes(32), l1_prices: L1Prices = NO_PRICES) -> ExecutedBlock:
        parent = self.blocks[-1].block.header
        env = BlockEnvironment(coinbase=coinbase, timestamp=int(parent.timestamp) + 2,
                               gas_limit=int(parent.gas_limit), extra_data=extra_data,
                               prev_randao=mix_hash, forced=forced, l1_prices=l1_prices)
        result = self.engine.build_block(parent, txs, env)
        assert not result.skipped, result.skipped
        self.store.apply(result.state_writes)
        self.blocks.append(result.executed)
        return result.executed

    def batch_block(self, number: int) -> BatchBlock:
        block = self.blocks[number].block
        header = block.header
        return BatchBlock(number, int(header.timestamp), bytes(header.coinbase),
                          int(header.gas_limit), bytes(header.extra_data),
                          bytes(header.mix_hash), tuple(tx.encode() for tx in block.transactions),
                          l1_fee_word=header_l1_prices(header).word())

    def header_rlp(self, number: int) -> bytes:
        return rlp.encode(self.blocks[number].block.header)

    def trace(self, number: int, batch_from: int | None = None,
              queue: ForcedQueue = NO_QUEUE,
              forced_raw: Mapping[int, bytes] | None = None) -> BlockTrace:
        """The trace of block ``number``, in a batch of blocks ``batch_from .. number``."""
        start = number if batch_from is None else batch_from
        batch = [self.batch_block(n) for n in range(start, number + 1)]
        ancestors = [self.header_rlp(n) for n in range(number - 2, -1, -1)]
        return trace_block(OverlayDatabase(self.store), rules_of(self.genesis),
                           self.header_rlp(number - 1), ancestors, batch, number - start,
                           queue, forced_raw)

    def output_root(self, number: int) -> bytes:
        return output_root_at(self.engine, self.blocks[number].block.header).root

    def contract_address(self, signer: int, nonce: int) -> bytes:
        return keccak(rlp.encode([self.address(signer), nonce]))[12:]
