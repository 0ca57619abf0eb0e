"""The L1 data fee per ERC-20 transfer, and whether it pays for posting (issue 13's bench).

Two measurements, both real:
- the fee: a chain with the genesis's default ``l1Fee`` (docs/state_transition.md 6.4) runs on
  the py-evm engine; a Vyper ERC-20 (tests/native/Token.vy) is deployed and handed out, then a
  block of signed ERC-20 transfers is built at each L1 price level; the fee per transfer is what
  the fee vault received beyond the L2 base fee, divided by the transfers (the engine's charge,
  not the formula re-typed);
- the posting cost: ``bench/batch_gas.py`` posts a batch of the rollup traffic mix to a real
  RollupInbox on anvil, as calldata and as a blob, and reports L1 execution gas and blob gas
  per L2 transaction; at each price level the cost per transaction is
  ``execution_gas_per_tx * l1_base_fee (+ blob_gas_per_tx * blob_base_fee)``.

"Covered" compares the L1 fee one transfer pays with the posting cost of one transaction of the
mix (about 100 compressed bytes, an ERC-20 transfer's size). Writes
``bench/results/l1_fee-<UTC date>.json`` and prints the same JSON.

    .venv/bin/python bench/l1_fee.py [--transfers 200] [--blob-pressure-gwei 30]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import rlp
import vyper
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from ordo.core.genesis import dev_private_keys, devnet_genesis
from ordo.core.l1_fee import FEE_VAULT_ADDRESS, L1FeeRules, L1Prices
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.state_source import MemoryKeyValueStore

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN_SOURCE = REPO_ROOT / "tests/native/Token.vy"
RESULTS = REPO_ROOT / "bench/results"
GWEI = 10**9
TRANSFER_SELECTOR = bytes.fromhex("a9059cbb")
COINBASE = b"\xc0" * 20


class Chain:
    """One engine over an in-memory store, with a moving head."""

    def __init__(self, rules: L1FeeRules) -> None:
        self.genesis = devnet_genesis(l1_fee=rules)
        self.store = MemoryKeyValueStore()
        self.engine = PyEvmEngine(self.genesis, self.store)
        executed, writes = self.engine.genesis_block()
        self.store.apply(writes)
        self.head = executed.block.header
        self.keys = dev_private_keys(10)
        self.nonces = [0] * 10

    def sign(self, index: int, to: bytes | None, data: bytes, gas: int) -> DecodedTransaction:
        base_fee = self.engine.next_base_fee(self.head)
        fields: dict[str, Any] = {"type": 2, "chainId": self.genesis.chain_id,
                                  "nonce": self.nonces[index], "gas": gas, "value": 0,
                                  "maxFeePerGas": 2 * base_fee + GWEI,
                                  "maxPriorityFeePerGas": GWEI, "data": data}
        if to is not None:
            fields["to"] = to_checksum_address(to)
        self.nonces[index] += 1
        raw = Account.sign_transaction(fields, self.keys[index]).raw_transaction
        return decode_transaction(bytes(raw))

    def build(self, txs: list[DecodedTransaction], prices: L1Prices) -> tuple[int, int, int]:
        """Builds a block; returns (vault income, L2 base fee part, transactions included)."""
        env = BlockEnvironment(coinbase=COINBASE, timestamp=int(self.head.timestamp) + 1,
                               gas_limit=int(self.head.gas_limit), l1_prices=prices)
        before = self.engine.get_balance(self.head, FEE_VAULT_ADDRESS)
        result = self.engine.build_block(self.head, txs, env)
        if result.skipped:
            raise RuntimeError(f"skipped: {result.skipped[:2]}")
        self.store.apply(result.state_writes)
        header = result.executed.block.header
        self.head = header
        income = self.engine.get_balance(header, FEE_VAULT_ADDRESS) - before
        return (income, int(header.gas_used) * int(header.base_fee_per_gas),
                len(result.executed.block.transactions))


def address_of(key: bytes) -> bytes:
    return bytes.fromhex(Account.from_key(key).address[2:])


def transfer_data(recipient: bytes, amount: int) -> bytes:
    return TRANSFER_SELECTOR + bytes(12) + recipient + amount.to_bytes(32, "big")


def fee_per_transfer(rules: L1FeeRules, levels: list[L1Prices], transfers: int) -> list[int]:
    chain = Chain(rules)
    code = vyper.compile_code(TOKEN_SOURCE.read_text(), output_formats=["bytecode"])["bytecode"]
    deploy = chain.sign(0, None, bytes.fromhex(code[2:]) + (10**30).to_bytes(32, "big"),
                        1_500_000)
    chain.build([deploy], levels[0])
    token_address = keccak(rlp.encode([address_of(chain.keys[0]), 0]))[12:]
    handout = [chain.sign(0, token_address, transfer_data(address_of(chain.keys[i]), 10**24),
                          80_000) for i in range(1, 10)]
    chain.build(handout, levels[0])
    results = []
    for prices in levels:
        txs = [chain.sign(1 + i % 9, token_address,
                          transfer_data(address_of(chain.keys[1 + (i + 1) % 9]), 10**18 + i),
                          80_000) for i in range(transfers)]
        income, base_part, count = chain.build(txs, prices)
        results.append((income - base_part) // count)
    return results


def posting_gas() -> dict[str, Any]:
    """bench/batch_gas.py's figures: a batch posted to a real RollupInbox on anvil (one batch
    of 4 blocks x 50 transactions, closed by a 4-block plan limit: a small batch, so the fixed
    cost weighs more per transaction than in the node's 600-transaction batches of full
    blocks)."""
    out = subprocess.run([sys.executable, str(REPO_ROOT / "bench/batch_gas.py"), "--batches", "1",
                          "--max-blocks", "4", "--txs-per-block", "50", "--no-write"],
                         capture_output=True, text=True, check=True, cwd=REPO_ROOT, timeout=900)
    document: dict[str, Any] = json.loads(out.stdout)
    return document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--blob-pressure-gwei", type=float, default=30.0,
                        help="the blob base fee 'under pressure' (the floor is 1 wei)")
    args = parser.parse_args()
    rules = L1FeeRules()
    blob_levels = {"floor": 1, "pressure": int(args.blob_pressure_gwei * GWEI)}
    levels = [(base, name, L1Prices(base * GWEI, blob))
              for base in (1, 10, 100) for name, blob in blob_levels.items()]
    started = time.time()
    fees = fee_per_transfer(rules, [prices for _, _, prices in levels], args.transfers)
    print("fees measured; posting a batch on anvil", file=sys.stderr)
    gas = posting_gas()
    calldata, blobs = gas["calldata"], gas["blobs"]
    rows = []
    for (base, blob_name, prices), fee in zip(levels, fees, strict=True):
        cost_calldata = round(calldata["execution_gas_per_tx"] * prices.base_fee)
        cost_blob = round(blobs["execution_gas_per_tx"] * prices.base_fee
                          + blobs["blob_gas_per_tx"] * prices.blob_base_fee)
        rows.append({
            "l1_base_fee_gwei": base, "blob_base_fee": blob_name,
            "blob_base_fee_wei": prices.blob_base_fee,
            "l1_fee_per_erc20_transfer_wei": fee,
            "l1_fee_per_erc20_transfer_gwei": round(fee / GWEI, 3),
            "posting_cost_per_tx_calldata_wei": cost_calldata,
            "posting_cost_per_tx_blob_wei": cost_blob,
            "covered_calldata": fee >= cost_calldata,
            "covered_blob": fee >= cost_blob,
            "coverage_ratio_blob": round(fee / cost_blob, 4) if cost_blob else None,
            "coverage_ratio_calldata": round(fee / cost_calldata, 4) if cost_calldata else None,
        })
    document = {
        "bench": "l1_fee",
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, cwd=REPO_ROOT).stdout.strip(),
        "scalars": {"base_fee_scalar": rules.base_fee_scalar,
                    "blob_base_fee_scalar": rules.blob_base_fee_scalar},
        "transfers_per_level": args.transfers,
        "posting": {"calldata_execution_gas_per_tx": calldata["execution_gas_per_tx"],
                    "blob_execution_gas_per_tx": blobs["execution_gas_per_tx"],
                    "blob_gas_per_tx": blobs["blob_gas_per_tx"],
                    "payload_bytes_per_tx": blobs["payload_bytes_per_tx"],
                    "l2_transactions_per_batch": blobs["l2_transactions"]},
        "rows": rows,
        "seconds": round(time.time() - started, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"l1_fee-{document['date']}.json").write_text(json.dumps(document, indent=2)
                                                             + "\n")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
