"""Execution throughput: build_block on blocks of pre-signed transfers from many senders.

Signing and decoding happen before the clock starts; what is timed is exactly what a producer
does per block: build_block (validity checks, EVM, receipts, tries, state root) and committing its
writes to an in-memory store. Prints one JSON object.

    .venv/bin/python bench/execution_bench.py [--blocks 10] [--txs-per-block 200] [--senders 400]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from coincurve import PrivateKey
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.genesis import GenesisAccount, devnet_genesis
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.state_source import MemoryKeyValueStore

COINBASE = b"\xc0" * 20
GWEI = 10**9


def sender_keys(count: int) -> list[bytes]:
    return [(index + 1).to_bytes(32, "big") for index in range(count)]


def address_of(key: bytes) -> bytes:
    return keccak(PrivateKey(key).public_key.format(compressed=False)[1:])[-20:]


def presign(
    keys: list[bytes], blocks: int, per_block: int, chain_id: int
) -> list[list[DecodedTransaction]]:
    """Block b holds per_block transfers; each sender appears once per block in rotation."""
    nonces = dict.fromkeys(range(len(keys)), 0)
    batches: list[list[DecodedTransaction]] = []
    cursor = 0
    for _ in range(blocks):
        batch = []
        for _ in range(per_block):
            index = cursor % len(keys)
            cursor += 1
            recipient = to_checksum_address((0x100000 + index).to_bytes(20, "big"))
            raw = Account.sign_transaction(
                {
                    "chainId": chain_id,
                    "nonce": nonces[index],
                    "maxFeePerGas": 50 * GWEI,
                    "maxPriorityFeePerGas": GWEI,
                    "gas": 21_000,
                    "to": recipient,
                    "value": 1,
                },
                keys[index],
            ).raw_transaction
            nonces[index] += 1
            batch.append(decode_transaction(bytes(raw)))
        batches.append(batch)
    return batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--txs-per-block", type=int, default=200)
    parser.add_argument("--senders", type=int, default=400)
    args = parser.parse_args()
    if args.blocks < 1 or args.txs_per_block < 1 or args.senders < 1:
        parser.error("--blocks, --txs-per-block and --senders must be positive")

    keys = sender_keys(args.senders)
    base = devnet_genesis()
    alloc = dict(base.alloc)
    alloc.update({address_of(key): GenesisAccount(balance=10**24) for key in keys})
    genesis = replace(base, alloc=alloc)
    batches = presign(keys, args.blocks, args.txs_per_block, genesis.chain_id)

    store = MemoryKeyValueStore()
    engine = PyEvmEngine(genesis, store)
    executed, writes = engine.genesis_block()
    store.apply(writes)
    parent = executed.block.header

    included = 0
    durations = []
    blocks = []
    for batch in batches:
        env = BlockEnvironment(coinbase=COINBASE, timestamp=parent.timestamp + 1,
                               gas_limit=parent.gas_limit)
        started = time.perf_counter()
        result = engine.build_block(parent, batch, env)
        store.apply(result.state_writes)
        durations.append(time.perf_counter() - started)
        if result.skipped:
            raise SystemExit(f"benchmark transactions were skipped: {result.skipped[:3]}")
        included += len(result.executed.block.transactions)
        blocks.append(result.executed.block)
        parent = result.executed.block.header

    validator_store = MemoryKeyValueStore()
    validator = PyEvmEngine(genesis, validator_store)
    validator_store.apply(validator.genesis_block()[1])
    parent = executed.block.header
    replay_seconds = 0.0
    for block in blocks:
        started = time.perf_counter()
        _replayed, writes = validator.execute_block(parent, block)
        validator_store.apply(writes)
        replay_seconds += time.perf_counter() - started
        parent = block.header

    total = sum(durations)
    print(json.dumps({
        "tx_per_s": round(included / total, 1),
        "blocks": len(durations),
        "txs": included,
        "seconds_per_block": round(total / len(durations), 4),
        "slowest_block_s": round(max(durations), 4),
        "execute_block_tx_per_s": round(included / replay_seconds, 1),
        "senders": args.senders,
    }))


if __name__ == "__main__":
    main()
